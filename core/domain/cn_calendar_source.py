"""Where the working calendar's exceptions come from: the ``holidays`` library and imported schedules.

The ``holidays`` library (``holidays.China``) knows the statutory holidays for 1950–2100 and the
国务院办公厅 调休 arrangement (make-up working days, ``weekend_workdays``) for the years it has been
updated for — 2001–2026 in holidays 0.109. For those years we take its full arrangement. For any other
year we take the statutory holidays only (元旦, 春节 4 days, 清明, 劳动节 2 days, 端午, 中秋, 国庆 3 days,
without the library's estimated 补假) and mark the year as not covered, so the calendar warns.

Next year's official schedule is imported with ``duban calendar import FILE``; the file replaces
everything known for its year. Its format (TOML)::

    year = 2027                          # required: the year the schedule is for
    source = "国办发明电〔2026〕X号"       # optional: where it comes from

    [[holiday]]                          # one per holiday block (放假)
    name = "春节"                        # required
    from = 2027-02-05                    # required: first day off
    to = 2027-02-13                      # optional: last day off (default: same as from)

    [[workday]]                          # one per 调休 make-up working day (上班)
    name = "春节调休"                     # optional (default "调休上班")
    date = 2027-02-14                    # required: a Saturday or Sunday

Dates may be TOML dates or "YYYY-MM-DD" strings, within the year or the neighbouring December/January.
A holiday block is at most 31 days.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays

from duban.domain.workcal import WorkingCalendar
from duban.errors import ParseError

Exceptions = dict[date, tuple[bool, str]]

DEFAULT_WORKDAY_NAME = "调休上班"
_MAX_HOLIDAY_DAYS = 31
_SUBSTITUTED = re.compile(r"由\s*(\d{4}-\d{2}-\d{2})\s*调休")
_OBSERVED_SUFFIX = re.compile(r"（补假.*?）$")


# -- the holidays library ----------------------------------------------------------------------------


def library_calendar_data(first_year: int, last_year: int) -> tuple[Exceptions, dict[int, bool]]:
    """Exceptions and covered years for ``first_year``..``last_year`` from ``holidays.China``."""
    years = range(first_year, last_year + 1)
    arranged = holidays.country_holidays("CN", years=years, language="zh_CN")
    statutory = holidays.country_holidays("CN", years=years, language="zh_CN", observed=False)
    makeup_days = {d for d in arranged.weekend_workdays if first_year <= d.year <= last_year}
    covered = {year: any(d.year == year for d in makeup_days) for year in years}

    exceptions: Exceptions = {}
    for day, name in arranged.items():
        if covered.get(day.year):
            exceptions[day] = (False, name)
    for day, name in statutory.items():
        if not covered.get(day.year):
            exceptions[day] = (False, name)
    names = _makeup_day_names(arranged)
    for day in makeup_days:
        exceptions[day] = (True, names.get(day, DEFAULT_WORKDAY_NAME))
    return exceptions, covered


def _makeup_day_names(arranged: Mapping[date, str]) -> dict[date, str]:
    """Name each make-up working day after the festival whose day off it pays for: "春节调休上班"."""
    festivals = {
        day: _OBSERVED_SUFFIX.sub("", name) for day, name in arranged.items() if not _SUBSTITUTED.search(name)
    }
    names: dict[date, str] = {}
    for day_off, label in arranged.items():
        match = _SUBSTITUTED.search(label)
        if not match or not festivals:
            continue
        nearest = min(festivals, key=lambda festival_day: abs((festival_day - day_off).days))
        names[date.fromisoformat(match.group(1))] = f"{festivals[nearest]}{DEFAULT_WORKDAY_NAME}"
    return names


# -- imported schedules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayBlock:
    name: str
    first: date
    last: date


@dataclass(frozen=True)
class MakeupWorkday:
    name: str
    date: date


@dataclass(frozen=True)
class CalendarFile:
    """One year's official holiday schedule, as imported from a file."""

    year: int
    source: str
    holidays: tuple[HolidayBlock, ...]
    workdays: tuple[MakeupWorkday, ...]

    def exceptions(self) -> Exceptions:
        result: Exceptions = {}
        for block in self.holidays:
            day = block.first
            while day <= block.last:
                result[day] = (False, block.name)
                day += timedelta(days=1)
        for workday in self.workdays:
            result[workday.date] = (True, workday.name)
        return result


def apply_calendar_files(
    exceptions: Mapping[date, tuple[bool, str]], covered: Mapping[int, bool], files: Iterable[CalendarFile]
) -> tuple[Exceptions, dict[int, bool]]:
    """Replace what is known for each file's year by the file's schedule; later files win."""
    merged, merged_covered = dict(exceptions), dict(covered)
    for schedule in files:
        merged = {day: value for day, value in merged.items() if day.year != schedule.year}
        merged.update(schedule.exceptions())
        merged_covered[schedule.year] = True
    return merged, merged_covered


def build_working_calendar(
    first_year: int, last_year: int, files: Iterable[CalendarFile] = ()
) -> WorkingCalendar:
    """The working calendar for a range of years: the library's data overridden by imported files."""
    exceptions, covered = library_calendar_data(first_year, last_year)
    return WorkingCalendar(*apply_calendar_files(exceptions, covered, files))


def parse_calendar_file(path: str | Path) -> CalendarFile:
    """Read a TOML schedule (format in the module docstring); ParseError names the file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"无法读取放假安排文件：{exc}", file=str(path)) from exc
    return parse_calendar_text(text, file=str(path))


def parse_calendar_text(text: str, *, file: str | None = None) -> CalendarFile:
    return _CalendarReader(text, file).read()


_TOP_KEYS = ("year", "source", "holiday", "workday")
_HOLIDAY_KEYS = ("name", "from", "to")
_WORKDAY_KEYS = ("name", "date")


class _CalendarReader:
    def __init__(self, text: str, file: str | None) -> None:
        self.text = text
        self.file = file
        self.lines = text.splitlines()

    def fail(
        self,
        message: str,
        *,
        expected: str | None = None,
        table: str | None = None,
        index: int = 0,
        key: str | None = None,
    ) -> ParseError:
        return ParseError(message, file=self.file, line=self._line_of(table, index, key), expected=expected)

    def read(self) -> CalendarFile:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise ParseError(
                f"TOML 格式错误：{message}",
                file=self.file,
                line=int(where.group(1)) if where else None,
                column=int(where.group(2)) if where else None,
            ) from exc
        self._check_keys(data, _TOP_KEYS, None, 0)
        year = data.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 1950 <= year <= 2200:
            raise self.fail("缺少或无效的键“year”", expected="year = 2027 这样的年份", key="year")
        source = data.get("source", "")
        if not isinstance(source, str):
            raise self.fail("键“source”应为字符串", expected='source = "国办发明电〔2026〕X号"', key="source")
        blocks = tuple(self._holiday(entry, i, year) for i, entry in enumerate(self._tables(data, "holiday")))
        if not blocks:
            raise self.fail("没有任何 [[holiday]] 放假安排", expected="至少一个 [[holiday]] 表")
        workdays = tuple(
            self._workday(entry, i, year) for i, entry in enumerate(self._tables(data, "workday"))
        )
        days_off = {
            day
            for day, (working, _) in CalendarFile(year, "", blocks, ()).exceptions().items()
            if not working
        }
        seen: set[date] = set()
        for i, workday in enumerate(workdays):
            if workday.date in days_off or workday.date in seen:
                raise self.fail(
                    f"{workday.date} 重复出现或同时是放假日",
                    table="workday",
                    index=i,
                    key="date",
                    expected="每个调休上班日只出现一次，且不在放假区间内",
                )
            seen.add(workday.date)
        return CalendarFile(year, source, blocks, workdays)

    def _tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        tables = data.get(key, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise self.fail(f"“{key}”应写成 [[{key}]] 表", expected=f"[[{key}]]", key=key)
        return tables

    def _check_keys(
        self, entry: dict[str, Any], allowed: tuple[str, ...], table: str | None, index: int
    ) -> None:
        for key in entry:
            if key not in allowed:
                where = f"[[{table}]] 中" if table else ""
                raise self.fail(
                    f"{where}未知的键“{key}”", expected="、".join(allowed), table=table, index=index, key=key
                )

    def _date(self, entry: dict[str, Any], key: str, table: str, index: int, year: int) -> date:
        value = entry.get(key)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.fail(
                f"[[{table}]] 缺少或无效的日期“{key}”",
                expected=f"{key} = {year}-02-14",
                table=table,
                index=index,
                key=key,
            )
        if not (date(year - 1, 12, 1) <= value <= date(year + 1, 1, 31)):
            raise self.fail(
                f"[[{table}]] 的“{key}” {value} 不在 {year} 年内",
                table=table,
                index=index,
                key=key,
                expected=f"{year} 年（或相邻的 {year - 1} 年12月、{year + 1} 年1月）的日期",
            )
        return value

    def _name(self, entry: dict[str, Any], table: str, index: int, default: str | None) -> str:
        name = entry.get("name", default)
        if not isinstance(name, str) or not name.strip():
            raise self.fail(
                f"[[{table}]] 缺少或无效的键“name”",
                expected='name = "春节"',
                table=table,
                index=index,
                key="name" if "name" in entry else None,
            )
        return name.strip()

    def _holiday(self, entry: dict[str, Any], index: int, year: int) -> HolidayBlock:
        self._check_keys(entry, _HOLIDAY_KEYS, "holiday", index)
        name = self._name(entry, "holiday", index, None)
        first = self._date(entry, "from", "holiday", index, year)
        last = self._date(entry, "to", "holiday", index, year) if "to" in entry else first
        if not first <= last <= first + timedelta(days=_MAX_HOLIDAY_DAYS - 1):
            raise self.fail(
                f"[[holiday]] “{name}”的“to” {last} 早于“from”或区间超过 {_MAX_HOLIDAY_DAYS} 天",
                expected="from ≤ to，且区间不超过31天",
                table="holiday",
                index=index,
                key="to",
            )
        return HolidayBlock(name, first, last)

    def _workday(self, entry: dict[str, Any], index: int, year: int) -> MakeupWorkday:
        self._check_keys(entry, _WORKDAY_KEYS, "workday", index)
        name = self._name(entry, "workday", index, DEFAULT_WORKDAY_NAME)
        day = self._date(entry, "date", "workday", index, year)
        if day.weekday() < 5:
            raise self.fail(
                f"调休上班日 {day} 不是周六或周日",
                expected="周六或周日的日期",
                table="workday",
                index=index,
                key="date",
            )
        return MakeupWorkday(name, day)

    def _line_of(self, table: str | None, index: int, key: str | None) -> int | None:
        """Best-effort line number of ``key`` in the ``index``-th ``[[table]]`` (top level if no table)."""
        header = re.compile(r"^\s*\[")
        start = 0
        if table is not None:
            wanted = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            found = [n for n, line in enumerate(self.lines) if wanted.match(line)]
            if index >= len(found):
                return None
            start = found[index]
            if key is None:
                return start + 1
        if key is None:
            return None
        key_line = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for n in range(start + (table is not None), len(self.lines)):
            if header.match(self.lines[n]):
                break
            if key_line.match(self.lines[n]):
                return n + 1
        return start + 1 if table is not None else None
