"""Signed checkpoints of the audit journal: ``duban audit checkpoint`` and ``duban audit verify --checkpoint``.

The hash chain (:mod:`duban.services.audit`) shows an event edited in place, but not a journal whose tail was
deleted, that was emptied, or that was rewritten with every later hash recomputed — a chain is only as good
as the last hash someone kept. A checkpoint keeps it: the journal's head (number of events, last ``seq``, last
hash, time) and the key state of the supervised rows (every responsibility, report and extension: a
fingerprint of each row with its task and policy), signed with HMAC-SHA256 under a key that lives *outside* the
database (a file named by ``DUBAN_AUDIT_KEY_FILE`` or ``[audit] key_file``). Whoever can rewrite the database
but cannot read the key cannot forge a checkpoint; whoever deletes the checkpoint file cannot unsend the copy
that went out as a notification.

Verifying against a checkpoint finds: the journal emptied (truncated), its last events deleted, any event up to
the checkpoint edited even with the chain recomputed after it, events inserted or deleted before it, a forged
event appended after it that does not chain (the chain walk), and supervised rows changed, added or deleted
without an event: rows that differ from the checkpoint must be named by an event appended after it (the row
itself, its task, or its policy for an import). Limits: an event appended *after* the last checkpoint with the
chain recomputed is only found by the next checkpoint taken before the forgery (take them regularly: a timer);
rows of tables other than the three are not fingerprinted; a row changed by hand on a task that also has a
genuine event after the checkpoint is taken as explained.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.errors import ConfigError, DubanError, NotificationError, ValidationError
from duban.notify import NotifyConfig, Sender, message_parts, send
from duban.services.audit import AuditProblem, verify
from duban.storage.models import AuditEvent, Extension, Milestone, Report, Responsibility, Task

FORMAT = "duban-audit-checkpoint/1"
KEY_ENV = "DUBAN_AUDIT_KEY_FILE"
KEY_SETTING = "audit.key_file"
MIN_KEY_CHARS = 32
#: the supervised tables whose rows a checkpoint fingerprints
TABLES = ("responsibility", "report", "extension")
TABLE_LABELS = {"responsibility": "责任", "report": "报送", "extension": "延期申请"}
KEYGEN_HINT = f"用 duban audit keygen 文件 生成密钥（或 openssl rand -hex 32 > 文件; chmod 600 文件），再设置环境变量 {KEY_ENV} 或配置项 [audit] key_file"


class CheckpointInvalid(DubanError):
    """The checkpoint file is unreadable, not a checkpoint, or its signature does not match the key."""

    exit_code = 13


#: one fingerprinted row: (table, id, fingerprint, task id, policy id)
RowMark = tuple[str, int, str, int, int]


@dataclass(frozen=True, slots=True)
class Checkpoint(JsonResult):
    """A signed checkpoint; its ``to_json()`` is the checkpoint file. ``at`` is UTC; ``hmac`` signs every other
    field (HMAC-SHA256 over their canonical JSON)."""

    format: str
    database: str  #: the database's address without password (for the reader; not checked)
    at: dt.datetime
    count: int
    last_seq: int
    last_hash: str
    rows: tuple[RowMark, ...]
    hmac: str = ""


@dataclass(frozen=True, slots=True)
class CheckpointResult(JsonResult):
    """``duban audit checkpoint --json``: the head signed, where it went. ``at`` is UTC."""

    count: int
    last_seq: int
    last_hash: str
    at: dt.datetime
    rows: tuple[tuple[str, int], ...]  #: (table, number of rows fingerprinted)
    path: str | None
    notified: tuple[str, ...]  #: names of the notification routes that accepted it


@dataclass(frozen=True, slots=True)
class CheckpointVerdict(JsonResult):
    """``duban audit verify --checkpoint FILE --json``: the checkpoint's head and every problem found."""

    count: int
    last_seq: int
    at: dt.datetime
    events_now: int
    events_after: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- the key


def key_path(settings_value: str | None) -> Path:
    """The key file: ``DUBAN_AUDIT_KEY_FILE``, else ``[audit] key_file``; a ConfigError saying how to make
    one when neither is set."""
    raw = os.environ.get(KEY_ENV) or settings_value or ""
    if not raw:
        raise ConfigError(f"没有审计签名密钥：检查点需要数据库之外的密钥文件。{KEYGEN_HINT}")
    return Path(raw).expanduser()


def load_key(path: Path) -> bytes:
    """The key in ``path``: readable, only by its owner, at least 32 characters (hex or any text)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"无法读取审计签名密钥 {path}：{exc.strerror or exc}。{KEYGEN_HINT}") from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"审计签名密钥 {path} 的权限过宽（{stat.filemode(mode)}）：请 chmod 600 {path}")
    if len(text) < MIN_KEY_CHARS:
        raise ConfigError(f"审计签名密钥 {path} 太短（至少 {MIN_KEY_CHARS} 个字符）。{KEYGEN_HINT}")
    return text.encode("utf-8")


def generate_key(path: Path) -> Path:
    """``duban audit keygen FILE``: 32 random bytes as hex, mode 0600; never overwrites a file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ValidationError(f"{path} 已存在：不会覆盖已有的密钥（旧检查点要用它验证）") from exc
    except OSError as exc:
        raise ValidationError(f"无法创建密钥文件 {path}：{exc.strerror or exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path


# --------------------------------------------------------------------------- fingerprints


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _row_fingerprint(obj: Any) -> str:
    columns = {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}
    return hashlib.sha256(_canonical(columns).encode("utf-8")).hexdigest()[:24]


def _row_state(session: Session) -> dict[tuple[str, int], RowMark]:
    """Every supervised row, by (table, id)."""
    marks: list[RowMark] = []
    for resp, policy_id in session.execute(
        select(Responsibility, Task.policy_id).join(Task, Task.id == Responsibility.task_id)
    ):
        marks.append(("responsibility", resp.id, _row_fingerprint(resp), resp.task_id, policy_id))
    for report, task_id, policy_id in session.execute(
        select(Report, Responsibility.task_id, Task.policy_id)
        .join(Responsibility, Responsibility.id == Report.responsibility_id)
        .join(Task, Task.id == Responsibility.task_id)
    ):
        marks.append(("report", report.id, _row_fingerprint(report), task_id, policy_id))
    for ext, task_id, policy_id in session.execute(
        select(Extension, Milestone.task_id, Task.policy_id)
        .join(Milestone, Milestone.id == Extension.milestone_id)
        .join(Task, Task.id == Milestone.task_id)
    ):
        marks.append(("extension", ext.id, _row_fingerprint(ext), task_id, policy_id))
    return {(m[0], m[1]): m for m in marks}


# --------------------------------------------------------------------------- signing


def _sign(key: bytes, body: Mapping[str, Any]) -> str:
    unsigned = {k: v for k, v in body.items() if k != "hmac"}
    return hmac.new(key, _canonical(unsigned).encode("utf-8"), hashlib.sha256).hexdigest()


def _head(session: Session) -> tuple[int, int, str]:
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return count, (last.seq if last else 0), (last.hash if last else "")


def make_checkpoint(
    session: Session, *, key: bytes, database: str, at: dt.datetime | None = None
) -> Checkpoint:
    """The signed checkpoint of the journal's head and the supervised rows.

    Read in one transaction so the head and the rows belong together (REPEATABLE READ on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    count, last_seq, last_hash = _head(session)
    unsigned = Checkpoint(
        format=FORMAT,
        database=database,
        at=(at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0),
        count=count,
        last_seq=last_seq,
        last_hash=last_hash,
        rows=tuple(sorted(_row_state(session).values())),
    )
    return dataclasses.replace(unsigned, hmac=_sign(key, unsigned.to_json()))


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> Path:
    """Write the checkpoint file (owner-readable only; never over an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ValidationError(f"{path} 已存在：检查点文件不覆盖，请换一个文件名") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(checkpoint.to_json(), out, ensure_ascii=False, indent=1, sort_keys=True)
        out.write("\n")
    return path


def result_of(checkpoint: Checkpoint, path: Path | None, notified: Iterable[str]) -> CheckpointResult:
    tables = [m[0] for m in checkpoint.rows]
    return CheckpointResult(
        count=checkpoint.count,
        last_seq=checkpoint.last_seq,
        last_hash=checkpoint.last_hash,
        at=checkpoint.at,
        rows=tuple((name, tables.count(name)) for name in TABLES),
        path=str(path) if path is not None else None,
        notified=tuple(notified),
    )


def read_checkpoint(path: Path, *, key: bytes) -> Checkpoint:
    """The checkpoint in ``path`` after its signature is checked (:class:`CheckpointInvalid` otherwise)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointInvalid(f"无法读取检查点文件 {path}：{exc.strerror or exc}") from exc
    except ValueError as exc:
        raise CheckpointInvalid(f"{path} 不是有效的 JSON：{exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointInvalid(f"{path} 不是 duban 审计检查点（format 应为 {FORMAT}）")
    signature = document.get("hmac")
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _sign(key, document)):
        raise CheckpointInvalid(
            f"检查点 {path} 的签名不符：文件被改动过，或所用密钥不是签发它的密钥；不能据此验证"
        )
    try:
        return Checkpoint.from_json(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointInvalid(f"检查点 {path} 缺少或损坏了字段：{exc}") from exc


def notify_checkpoint(
    checkpoint: Checkpoint, *, config: NotifyConfig, tag: str, sender: Sender = send
) -> tuple[str, ...]:
    """Send the checkpoint (its JSON as the body) to every notification route tagged ``tag``, now, without the
    outbox (the outbox is in the database the checkpoint is meant to guard). The names of the routes that took
    it; a NotificationError when no route has the tag or none took it."""
    routes = config.routes_for(f"tag:{tag}")
    if not routes:
        raise NotificationError(
            f"没有标签为 {tag} 的通知渠道（见配置 [[notify.routes]] 的 tags）", permanent=True
        )
    title = f"【督办】审计检查点：第 {checkpoint.last_seq} 条，{checkpoint.count} 条事件"
    body = json.dumps(checkpoint.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    accepted: list[str] = []
    failures: list[str] = []
    for route in routes:
        results = [sender(route, t, b, config.timeout) for t, b in message_parts(route, title, body)]
        if all(r.ok for r in results):
            accepted.append(route.name)
        else:
            failures.append(f"{route.name}：" + "；".join(r.detail for r in results if not r.ok))
    if not accepted:
        raise NotificationError("审计检查点未能发出：" + "；".join(failures))
    return tuple(accepted)


# --------------------------------------------------------------------------- verifying


def verify_against(session: Session, checkpoint: Checkpoint) -> CheckpointVerdict:
    """The chain walk plus everything a signed checkpoint (already read by :func:`read_checkpoint`) proves."""
    count, last_seq, last_hash = checkpoint.count, checkpoint.last_seq, checkpoint.last_hash
    problems = list(verify(session))
    now_count, now_last, _ = _head(session)
    prefix = (
        session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq <= last_seq)) or 0
    )
    at_checkpoint = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == last_seq)).first()
    head_ok = False
    if count and now_count == 0:
        problems.append(
            AuditProblem(
                last_seq,
                "truncated",
                f"审计日志已被清空：检查点时有 {count} 条事件（至第 {last_seq} 条），现在一条也没有",
            )
        )
    elif count and now_last < last_seq:
        problems.append(
            AuditProblem(
                last_seq,
                "tail_deleted",
                f"审计日志末尾的事件被删除：检查点时最后一条是第 {last_seq} 条，现在最后一条是第 {now_last} 条",
            )
        )
    elif count and at_checkpoint is None:
        problems.append(
            AuditProblem(last_seq, "deleted", f"检查点记下的第 {last_seq} 条事件已不存在：被删除")
        )
    elif count and at_checkpoint is not None and at_checkpoint.hash != last_hash:
        problems.append(
            AuditProblem(
                last_seq,
                "rewritten",
                f"第 {last_seq} 条事件的哈希与检查点不符：检查点之前的日志被改写，且其后的哈希链被重新计算过",
            )
        )
    elif prefix != count:
        problems.append(
            AuditProblem(
                last_seq,
                "deleted" if prefix < count else "inserted",
                f"检查点之前（至第 {last_seq} 条）的事件数由 {count} 条变为 {prefix} 条：有事件被"
                + ("删除" if prefix < count else "插入"),
            )
        )
    else:
        head_ok = True
    if head_ok:
        problems += _unexplained_rows(session, checkpoint.rows, last_seq)
    return CheckpointVerdict(
        count=count,
        last_seq=last_seq,
        at=checkpoint.at,
        events_now=now_count,
        events_after=max(0, now_count - prefix),
        problems=tuple(problems),
    )


def _unexplained_rows(session: Session, then: Iterable[RowMark], last_seq: int) -> list[AuditProblem]:
    """Supervised rows that differ from the checkpoint without an event after it naming them, their task or
    their policy."""
    named: set[tuple[str, str]] = set()
    tasks: set[int] = set()
    for entity_type, entity_id, task_id in session.execute(
        select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.task_id).where(
            AuditEvent.seq > last_seq
        )
    ):
        named.add((entity_type, entity_id))
        if task_id is not None:
            tasks.add(task_id)
    before = {(m[0], m[1]): m for m in then}
    after = _row_state(session)
    order = {name: i for i, name in enumerate(TABLES)}
    problems: list[AuditProblem] = []
    for key in sorted(set(before) | set(after), key=lambda k: (order.get(k[0], len(order)), k[1])):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[2] == new[2]:
            continue
        table, row_id, _fp, task_id, policy_id = new or old  # type: ignore[misc]  # one of them is set
        if (table, str(row_id)) in named or task_id in tasks or ("policy", str(policy_id)) in named:
            continue
        what = "被删除" if new is None else "被添加" if old is None else "被改动"
        problems.append(
            AuditProblem(
                last_seq,
                "data_changed",
                f"{TABLE_LABELS.get(table, table)} #{row_id}（任务 #{task_id}）在检查点之后{what}，"
                "审计日志中却没有相应事件：数据表在日志之外被修改",
            )
        )
    return problems
