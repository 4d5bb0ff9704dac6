"""Local dates: due dates and "as of" are days in the configured time zone (Asia/Shanghai by default)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def local_today(tz: str = DEFAULT_TZ) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date()


def local_date(at: dt.datetime, tz: str = DEFAULT_TZ) -> dt.date:
    return at.astimezone(ZoneInfo(tz)).date()


def local_noon_utc(day: dt.date, tz: str = DEFAULT_TZ) -> dt.datetime:
    """A UTC timestamp inside ``day`` (for simulated writes on a chosen day)."""
    return dt.datetime.combine(day, dt.time(12), ZoneInfo(tz)).astimezone(dt.UTC)
