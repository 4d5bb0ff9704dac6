"""A locked or busy database: recognised, retried briefly, then reported as "数据库正忙，请稍后重试".

SQLite answers "database is locked" when another connection holds the write lock past the busy timeout (or at
once, when a read transaction would have to wait to become a write one); PostgreSQL fails a statement with
``lock_not_available`` (55P03, a ``lock_timeout``), ``serialization_failure`` (40001) or ``deadlock_detected``
(40P01). Each leaves nothing written (its transaction is rolled back), so running the whole unit of work
again is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from duban.errors import BusyError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: what a person is told once the retries are spent
BUSY_MESSAGE = "数据库正忙，请稍后重试"
#: the PostgreSQL SQLSTATEs that mean "another transaction is in the way; try again"
BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})
#: SQLite's words for a held lock
BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")
#: pauses between attempts (seconds): three attempts in all, under a second of waiting
RETRY_DELAYS = (0.2, 0.5)


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error it wraps) says the database is locked or busy."""
    if isinstance(exc, BusyError):
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) in BUSY_SQLSTATES:
            return True
        text = str(current).lower()
        if type(current).__name__ in {"OperationalError", "DBAPIError"} and any(
            w in text for w in BUSY_WORDS
        ):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def busy_error(exc: BaseException) -> BusyError:
    """The error a person is shown for a busy database (the driver's text stays in the log)."""
    log.warning("database busy: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return BusyError(BUSY_MESSAGE)


def retry_busy(
    fn: Callable[[], T],
    *,
    delays: tuple[float, ...] = RETRY_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``fn`` (a whole unit of work); while the database is busy, wait and run it again. When the retries
    are spent, raise :class:`~duban.errors.BusyError` ("数据库正忙，请稍后重试") from the last failure."""
    for delay in delays:
        try:
            return fn()
        except Exception as exc:
            if not is_busy(exc):
                raise
            log.info("database busy, retrying in %.1f s", delay)
            sleep(delay)
    try:
        return fn()
    except Exception as exc:
        if is_busy(exc):
            raise busy_error(exc) from exc
        raise
