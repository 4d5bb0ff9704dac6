"""The error edge: every failure a command meets becomes a :class:`~duban.errors.DubanError` with its documented
exit code and a Chinese message naming the thing (docs/errors.md), and everything written for a person passes
through :class:`EscapingStream` so that stored text cannot drive the terminal.

Imported when a command runs, not for ``duban --help`` (sqlalchemy is imported only when a failure is met).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from duban.domain.limits import escape
from duban.errors import ConfigError, DubanError, StorageError, ValidationError

if TYPE_CHECKING:
    from duban.cli.state import CliState


class EscapingStream:
    """A text stream that writes control characters (except newline and tab), lone surrogates and direction
    overrides as ``\\u001b`` … so that no text duban prints can move the cursor, recolour or rewrite a line.
    Bytes written through ``.buffer`` (an Excel file to stdout) pass unchanged."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("EscapingStream writes text")
        self._inner.write(escape(text, keep_newlines=True))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def escape_streams() -> tuple[Any, Any]:
    """Wrap sys.stdout and sys.stderr; return the originals for :func:`restore_streams`."""
    saved = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, EscapingStream):
        sys.stdout = EscapingStream(sys.stdout)
    if not isinstance(sys.stderr, EscapingStream):
        sys.stderr = EscapingStream(sys.stderr)
    return saved


def restore_streams(saved: tuple[Any, Any]) -> None:
    sys.stdout, sys.stderr = saved


def _database(state: CliState | None) -> str:
    """The database the command used, password hidden (if it got that far)."""
    if state is None or "database_url" not in state.__dict__:
        return "数据库"
    url = str(state.__dict__["database_url"])
    try:
        from sqlalchemy.engine import make_url

        return f"数据库 {make_url(url).render_as_string(hide_password=True)}"
    except Exception:  # an unreadable URL is named as it was given
        return f"数据库 {url}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def as_duban_error(exc: BaseException, state: CliState | None) -> DubanError:
    """The DubanError a person is shown for ``exc`` (a DubanError is itself)."""
    if isinstance(exc, DubanError):
        return exc
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
        return _from_database(exc, state, sqlalchemy_exc)
    alembic_exc = sys.modules.get("alembic.util.exc")
    if alembic_exc is not None and isinstance(exc, alembic_exc.CommandError):
        return StorageError(f"{_database(state)} 的结构无法升级：{_first_line(exc)}")
    zoneinfo = sys.modules.get("zoneinfo")
    if zoneinfo is not None and isinstance(exc, zoneinfo.ZoneInfoNotFoundError):
        return ConfigError(f"未知的时区 {exc}：应为 IANA 时区名，如 Asia/Shanghai（配置项 general.timezone）")
    if isinstance(exc, OverflowError):
        return ValidationError(f"数值超出范围：{_first_line(exc)}")
    if isinstance(exc, UnicodeError):
        return ValidationError(f"文字编码无效（应为 UTF-8）：{_first_line(exc)}")
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else "文件"
        return DubanError(f"无法读写 {where}：{exc.strerror or _first_line(exc)}")
    return DubanError(
        f"内部错误（{type(exc).__name__}：{_first_line(exc)}）；请加 --traceback 重新运行，并把输出报告给维护者"
    )


def _from_database(exc: BaseException, state: CliState | None, sqlalchemy_exc: Any) -> DubanError:
    where = _database(state)
    detail = _first_line(exc)
    if isinstance(exc, sqlalchemy_exc.DataError) or "out of range" in detail:
        return ValidationError(f"{where} 拒绝了这个值（超出范围或格式不对）：{detail}")
    if isinstance(exc, sqlalchemy_exc.IntegrityError):
        return ValidationError(f"{where} 拒绝了这次写入（与已有记录冲突或缺少必填值）：{detail}")
    from duban.storage.busy import busy_error, is_busy

    if is_busy(exc):
        return busy_error(exc)
    if isinstance(exc, sqlalchemy_exc.OperationalError | sqlalchemy_exc.InterfaceError):
        return StorageError(f"无法连接或打开{where}：{detail}")
    if isinstance(exc, sqlalchemy_exc.DatabaseError):
        return StorageError(f"{where} 无法使用（文件不是 SQLite 数据库、已损坏或被截断）：{detail}")
    if isinstance(exc, sqlalchemy_exc.ArgumentError | sqlalchemy_exc.NoSuchModuleError):
        return StorageError(f"{where} 的地址无效：{detail}")
    return StorageError(f"{where} 出错：{detail}")
