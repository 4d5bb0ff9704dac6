"""``file:///abs/folder``: a channel duban delivers itself, writing each message into a local folder.

For the demo, a training room, an air-gapped office that collects messages by hand, or a relay that
watches a folder. Each part of each outbox message becomes one JSON file in the folder::

    000012-minzheng@530000-1.json
    {"message": 12, "key": "digest|minzheng@530000|2026-03-16|red", "receiver": "minzheng@530000",
     "level": "red", "level_label": "红", "subject": "…", "body": "…", "part": 1, "parts": 1,
     "route": "民政厅收件夹: file:///…", "written_at": "2026-03-16T02:00:00+00:00"}

The name comes from the outbox row (its id, receiver and part), so a retry after a crash between writing
and recording the attempt rewrites the same file instead of adding a second one. Each file is written to a
temporary name in the same folder and renamed into place (``os.replace``): a reader never sees half a
message. The folder is created on first delivery; a folder that cannot be written is a failed attempt
(permanent when the path is wrong or not permitted, retryable otherwise, e.g. a full disk), never a crash.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from duban.errors import ConfigError
from duban.notify.delivery import Delivery, Envelope

if TYPE_CHECKING:
    from duban.notify.routes import Route

SCHEME = "file"
_UNSAFE = re.compile(r"[^\w@.\-]+")
#: errors a retry will not cure: the path names a file, or the folder may not be written
_PERMANENT = (PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError)


def folder_path(url: str, where: str) -> Path:
    """The folder a ``file://`` URL names (syntax only; :func:`folder_of` also looks at the disk).

    Accepted: ``file:///abs/path`` and ``file://localhost/abs/path``, percent-escapes decoded, and
    ``file://~/path`` (``~`` expanded). A relative path, another host, a query or a fragment is a
    :class:`ConfigError` naming the route.
    """
    parts = urlsplit(url)
    home = parts.netloc.startswith("~")
    if parts.netloc not in ("", "localhost") and not home:
        raise ConfigError(
            f"{where}：file:// 地址应写本机文件夹的绝对路径，如 file:///var/lib/duban/通知"
            f"（“{parts.netloc}”被当作了主机名）"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{where}：file:// 地址不接受参数（? 或 # 之后的部分）")
    raw = unquote(parts.netloc + parts.path if home else parts.path)
    path = Path(raw).expanduser()
    if not raw or not path.is_absolute():
        raise ConfigError(f"{where}：file:// 地址应写文件夹的绝对路径，如 file:///var/lib/duban/通知")
    return path


def folder_of(url: str, where: str) -> Path:
    """:func:`folder_path`, refused also when the path (or a parent of it) exists and is not a folder.

    A folder that does not exist yet is fine (it is created on first delivery); whether it can be
    written is learnt when delivering, and a failure then is a recorded attempt.
    """
    path = folder_path(url, where)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "该路径" if existing == path else f"其上级 {existing} "
        raise ConfigError(f"{where}：通知文件夹 {path} 不可用：{what}是文件，不是文件夹")
    return path


def file_name(envelope: Envelope) -> str:
    """``<message id>-<receiver>-<part>.json``: stable for one part of one outbox row."""
    receiver = _UNSAFE.sub("_", envelope.receiver).strip("_") or "receiver"
    return f"{envelope.message_id:06d}-{receiver}-{envelope.part}.json"


def write_message(route: Route, title: str, body: str, envelope: Envelope | None) -> Delivery:
    """Write one part into the route's folder, atomically; the outcome as a :class:`Delivery`."""
    folder = folder_path(route.url, route.label)
    at = envelope.at if envelope else dt.datetime.now(dt.UTC)
    record = {
        "message": envelope.message_id if envelope else None,
        "key": envelope.key if envelope else None,
        "receiver": envelope.receiver if envelope else None,
        "level": envelope.level.value if envelope else None,
        "level_label": envelope.level.label if envelope else None,
        "subject": title,
        "body": body,
        "part": envelope.part if envelope else 1,
        "parts": envelope.parts if envelope else 1,
        "route": route.label,
        "written_at": at.isoformat(),
    }
    # outside the outbox (no row to name the file by): the time, to the microsecond
    name = file_name(envelope) if envelope else f"{at:%Y%m%d-%H%M%S-%f}.json"
    target = folder / name
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
    except _PERMANENT as exc:
        return Delivery(
            False, True, f"无法写入通知文件夹 {folder}：{type(exc).__name__}: {exc.strerror or exc}"
        )
    except OSError as exc:
        return Delivery(
            False, False, f"写入通知文件夹 {folder} 失败：{type(exc).__name__}: {exc.strerror or exc}"
        )
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return Delivery(True, False, f"已写入 {name}")
