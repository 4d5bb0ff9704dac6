"""How the CLI writes typed values for a reader: dates, times, lights, rates (the services never format)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from duban.domain.vocabulary import Light


def day(value: dt.date | None, empty: str = "-") -> str:
    """A date as YYYY-MM-DD (``empty`` for none)."""
    return value.isoformat() if value is not None else empty


def moment(value: dt.datetime | None, tz: str | None = None, empty: str = "-") -> str:
    """A time as YYYY-MM-DD HH:MM (in ``tz`` when given, else as stored: UTC)."""
    if value is None:
        return empty
    if tz is not None:
        value = value.astimezone(ZoneInfo(tz))
    return value.strftime("%Y-%m-%d %H:%M")


def light_mark(light: Light) -> str:
    """``[红]``, ``[黄]``, ``[绿]``, ``[结]``."""
    return f"[{light.mark}]"


def rate(value: float | None) -> str:
    """A share as a whole percentage; 不适用 when there is none (nothing was due: never 0 % or a dash)."""
    return f"{value:.0%}" if value is not None else "不适用"
