"""One error hierarchy. The CLI turns each class into a short message and a documented exit code."""

from __future__ import annotations


class DubanError(Exception):
    """Root of every error duban raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(DubanError):
    """A configuration file is missing, unreadable, or has an unknown key or a wrong type."""

    exit_code = 3


class ParseError(DubanError, ValueError):
    """A document or data file could not be read or parsed."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.expected = expected
        where = ":".join(str(p) for p in (file, line, column) if p is not None)
        text = f"{where}: {message}" if where else message
        if expected:
            text += f"（应为：{expected}）"
        super().__init__(text)


class PluginError(DubanError):
    """A plugin failed to load or to answer a hook."""

    exit_code = 5


class StorageError(DubanError):
    """The database is unreachable, not migrated, or refused a write."""

    exit_code = 6


class NotFoundError(DubanError):
    """A named policy, task, agency, user … does not exist."""

    exit_code = 7


class PermissionDenied(DubanError):
    """The acting user may not do this."""

    exit_code = 8


class ValidationError(DubanError):
    """Input values were refused (a report failing its checks, a date in the past …)."""

    exit_code = 9


class ConflictError(DubanError):
    """Someone else changed the same record first; reload and try again."""

    exit_code = 10


class BusyError(ConflictError):
    """The database stayed locked or busy (another writer) through the brief retries; nothing was written.

    Same exit code as a conflict: try again in a moment."""


class NotificationError(DubanError):
    """A notification could not be delivered. ``permanent`` failures are not retried."""

    exit_code = 11

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
