"""The working-day calendar: Monday to Friday, minus holidays, plus 调休 make-up working days.

The calendar is pure data. Where the exceptions come from (the ``holidays`` library, an imported
国务院办公厅 schedule, the database's override table) is :mod:`duban.domain.cn_calendar_source`'s concern.
A year whose 调休 arrangement is not known falls back to Monday–Friday (minus whatever holidays are
known) and says so through :meth:`WorkingCalendar.warnings_for`; it never raises.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal

DayKind = Literal["workday", "weekend", "holiday", "makeup"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayInfo:
    """One day as a month view shows it. ``name`` is the holiday or 调休 label, "" otherwise."""

    date: date
    working: bool
    kind: DayKind
    name: str = ""


def _is_weekend(d: date) -> bool:
    return d.weekday() >= 5


class WorkingCalendar:
    """Answers "is this a working day?" and does working-day arithmetic.

    ``exceptions`` maps a day to ``(is_working, name)``: a holiday (休) is ``(False, "春节")``, a 调休
    make-up working day is ``(True, "春节调休")``. Days without an exception are working days from
    Monday to Friday. ``covered_years`` says for each year whether its 调休 make-up days are known.
    """

    def __init__(
        self, exceptions: Mapping[date, tuple[bool, str]], covered_years: Mapping[int, bool]
    ) -> None:
        self._exceptions = MappingProxyType(dict(exceptions))
        self._covered = MappingProxyType(dict(covered_years))

    @property
    def exceptions(self) -> Mapping[date, tuple[bool, str]]:
        return self._exceptions

    @property
    def covered_years(self) -> Mapping[int, bool]:
        return self._covered

    def is_working_day(self, d: date) -> bool:
        exception = self._exceptions.get(d)
        if exception is not None:
            return exception[0]
        return not _is_weekend(d)

    def next_working_day(self, d: date, include_today: bool = True) -> date:
        """The first working day on or after ``d`` (strictly after when ``include_today`` is false)."""
        day = d if include_today else d + _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def previous_working_day(self, d: date, include_today: bool = True) -> date:
        """The last working day on or before ``d`` (strictly before when ``include_today`` is false)."""
        day = d if include_today else d - _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n`` is negative); ``d`` itself not counted.

        ``n == 0`` returns ``d`` unchanged, working day or not.
        """
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        day = d
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``.

        When ``b < a`` it is minus the working days from ``b`` (included) up to ``a`` (excluded), so
        that ``working_days_between(a, add_working_days(a, n)) == n`` for every ``n``.
        """
        if b < a:
            return -self.working_days_between(b - _ONE_DAY, a - _ONE_DAY)
        count = 0
        day = a + _ONE_DAY
        while day <= b:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def day_info(self, d: date) -> DayInfo:
        exception = self._exceptions.get(d)
        if exception is None:
            if _is_weekend(d):
                return DayInfo(d, False, "weekend")
            return DayInfo(d, True, "workday")
        working, name = exception
        if not working:
            return DayInfo(d, False, "holiday", name)
        return DayInfo(d, True, "makeup" if _is_weekend(d) else "workday", name)

    def month(self, year: int, month: int) -> list[DayInfo]:
        """Every day of a month, for the calendar screen."""
        days = _gregorian.monthrange(year, month)[1]
        return [self.day_info(date(year, month, day)) for day in range(1, days + 1)]

    def is_covered(self, year: int) -> bool:
        return self._covered.get(year, False)

    def uncovered_years(self, start: date | int, end: date | int) -> list[int]:
        """Years from ``start`` to ``end`` (inclusive; dates or years) whose 调休 days are unknown."""
        first = start.year if isinstance(start, date) else start
        last = end.year if isinstance(end, date) else end
        return [year for year in range(first, last + 1) if not self.is_covered(year)]

    def warnings_for(self, year: int) -> list[str]:
        """Chinese warnings to show next to dates of ``year``; empty when the year is fully known."""
        if self.is_covered(year):
            return []
        return [
            f"{year}年的调休安排尚未掌握：工作日暂按周一至周五推算（仅扣除已知的法定节假日），"
            f"到期日可能有误。请用“duban calendar import 文件”导入国务院办公厅公布的{year}年放假安排。"
        ]
