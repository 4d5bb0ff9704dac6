"""Schedule rules: the text a coordinator types, and the due dates it yields on the working calendar.

Syntax (keywords are case-insensitive; full-width digits and ＋／－ are accepted)::

    once 2025-06-30                    a single due date; period "once"
    every N months [from 2025-03-01]   periods of N months; due on the last day of each period
    monthly | quarterly | half-yearly | yearly [from DATE]
                                       = every 1 / 3 / 6 / 12 months
    yearly MM-DD                       every year on that day (02-29 falls on 02-28 in common years)
    holiday NAME [+N|-N]               N calendar days after / before a festival: "holiday 春节 -7"
    N working days after 2025-06-30    = "once 2025-06-30 +Nwd"

and any of them may end with ``+Nwd`` / ``-Nwd``: the N-th working day after / before the nominal date.
"quarterly +5wd" is due on the 5th working day after each quarter ends.

Without ``from``, periods are aligned on the calendar year (so N must divide 12). The nominal date
is the period end, the once/yearly date, or the festival ± N days. The due date is the nominal date
moved onto a working day: to the next one, or to the previous one for a rule that falls *before* a
festival or uses ``-Nwd`` — a visit due before 春节 stays before it. With ``±Nwd`` the due date is the
N-th working day counted from the nominal date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from duban.domain.lunar_dates import FESTIVAL_NAMES, canonical_festival_name, festival_date
from duban.domain.workcal import WorkingCalendar
from duban.errors import ParseError

SYNTAX = (
    "once YYYY-MM-DD | every N months [from YYYY-MM-DD] | monthly | quarterly | half-yearly | "
    "yearly [MM-DD] | holiday 节日名 [+N|-N] | N working days after YYYY-MM-DD；"
    "均可在末尾加 +Nwd（期末后第N个工作日），例如 quarterly +5wd"
)


class RuleSyntaxError(ParseError, ValueError):
    """A schedule rule that does not parse. Both a duban ParseError and a ValueError."""

    def __init__(self, message: str, *, expected: str = SYNTAX) -> None:
        super().__init__(message, expected=expected)
        self.reason = message


@dataclass(frozen=True)
class Occurrence:
    """One due date of a rule. ``period`` is a stable label: "2025", "2025-H1", "2025-Q3", "2025-03"…"""

    period: str
    nominal: date
    due: date


# -- rule bases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Once:
    day: date

    def nominals(self, start: date, end: date) -> list[tuple[str, date]]:
        return [("once", self.day)] if start <= self.day <= end else []

    def text(self) -> str:
        return f"once {self.day.isoformat()}"

    def describe(self) -> str:
        return _cn_date(self.day)


_NAMED_PERIODS = {1: "monthly", 3: "quarterly", 6: "half-yearly", 12: "yearly"}
_CN_PERIODS = {1: "每月", 3: "每季度", 6: "每半年", 12: "每年"}


@dataclass(frozen=True)
class EveryMonths:
    months: int
    anchor: date | None = None  # start of the first period; None = aligned on the calendar year

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 120:
            raise RuleSyntaxError(f"周期月数应在 1 到 120 之间，而不是 {self.months}")
        if self.anchor is None and 12 % self.months:
            raise RuleSyntaxError(
                f"{self.months} 个月不能整除一年，需要指定起始日期",
                expected=f"every {self.months} months from YYYY-MM-DD",
            )

    def _period_start(self, k: int) -> date:
        if self.anchor is None:
            return date(1, 1, 1) + relativedelta(months=k * self.months)
        return self.anchor + relativedelta(months=k * self.months)

    def _label(self, first: date) -> str:
        if first.day == 1 and (first.month - 1) % self.months == 0 and 12 % self.months == 0:
            if self.months == 12:
                return str(first.year)
            if self.months == 6:
                return f"{first.year}-H{first.month // 6 + 1}"
            if self.months == 3:
                return f"{first.year}-Q{first.month // 3 + 1}"
        return f"{first.year}-{first.month:02d}" if first.day == 1 else first.isoformat()

    def nominals(self, start: date, end: date) -> list[tuple[str, date]]:
        if self.anchor is None:
            k = ((start.year - 1) * 12 + start.month - 1) // self.months - 1
        else:
            months_from_anchor = (start.year - self.anchor.year) * 12 + start.month - self.anchor.month
            k = max(0, months_from_anchor // self.months - 1)
        result: list[tuple[str, date]] = []
        while True:
            first, following = self._period_start(k), self._period_start(k + 1)
            last = following - timedelta(days=1)
            if last > end:
                return result
            if last >= start:
                result.append((self._label(first), last))
            k += 1

    def text(self) -> str:
        base = _NAMED_PERIODS.get(self.months, f"every {self.months} months")
        return f"{base} from {self.anchor.isoformat()}" if self.anchor else base

    def describe(self) -> str:
        base = _CN_PERIODS.get(self.months, f"每{self.months}个月")
        return f"{base}（自{_cn_date(self.anchor)}起）" if self.anchor else base


@dataclass(frozen=True)
class Yearly:
    month: int
    day: int

    def on(self, year: int) -> date:
        if (self.month, self.day) == (2, 29) and not _is_leap(year):
            return date(year, 2, 28)
        return date(year, self.month, self.day)

    def nominals(self, start: date, end: date) -> list[tuple[str, date]]:
        days = ((str(year), self.on(year)) for year in range(start.year, end.year + 1))
        return [(label, day) for label, day in days if start <= day <= end]

    def text(self) -> str:
        return f"yearly {self.month:02d}-{self.day:02d}"

    def describe(self) -> str:
        return f"每年{self.month}月{self.day}日"


@dataclass(frozen=True)
class Festival:
    name: str  # canonical, see duban.domain.lunar_dates.FESTIVAL_NAMES
    days: int = 0  # calendar days after (negative: before) the festival

    def nominals(self, start: date, end: date) -> list[tuple[str, date]]:
        spread = abs(self.days) // 365 + 1
        result = []
        for year in range(start.year - spread, end.year + spread + 1):
            day = festival_date(self.name, year) + timedelta(days=self.days)
            if start <= day <= end:
                result.append((f"{year}-{self.name}", day))
        return result

    def text(self) -> str:
        return f"holiday {self.name} {self.days:+d}" if self.days else f"holiday {self.name}"

    def describe(self) -> str:
        if self.days < 0:
            return f"每年{self.name}前{-self.days}天"
        if self.days > 0:
            return f"每年{self.name}后{self.days}天"
        return f"每年{self.name}"


Base = Once | EveryMonths | Yearly | Festival


@dataclass(frozen=True)
class Rule:
    """A parsed schedule rule. ``str(rule)`` is its canonical text; ``parse_rule(str(rule)) == rule``."""

    base: Base
    working_days: int = 0  # the ±Nwd suffix

    @property
    def falls_before(self) -> bool:
        """True when the rule points before its anchor, so a non-working due date moves earlier."""
        if self.working_days:
            return self.working_days < 0
        return isinstance(self.base, Festival) and self.base.days < 0

    def due_date(self, nominal: date, calendar: WorkingCalendar) -> date:
        if self.working_days:
            return calendar.add_working_days(nominal, self.working_days)
        if self.falls_before:
            return calendar.previous_working_day(nominal)
        return calendar.next_working_day(nominal)

    def occurrences(self, start: date, end: date, calendar: WorkingCalendar) -> list[Occurrence]:
        """Every occurrence whose nominal date lies in ``start``..``end`` (inclusive), in date order."""
        return [
            Occurrence(period, nominal, self.due_date(nominal, calendar))
            for period, nominal in self.base.nominals(start, end)
        ]

    def __str__(self) -> str:
        suffix = f" {self.working_days:+d}wd" if self.working_days else ""
        return self.base.text() + suffix


def describe(rule: Rule) -> str:
    """A Chinese description: "每6个月", "每年春节前7天", "每季度结束后第5个工作日"."""
    text = rule.base.describe()
    n = rule.working_days
    if not n:
        return text
    direction = "后" if n > 0 else "前"
    period_end = "结束" if isinstance(rule.base, EveryMonths) else ""
    return f"{text}{period_end}{direction}第{abs(n)}个工作日"


def milestone_key(task_id: int | str, responsibility_id: int | str, period: str) -> str:
    """The stable identity of one milestone, so regenerating a schedule never duplicates it."""
    return f"t{task_id}:r{responsibility_id}:{period}"


# -- parsing ------------------------------------------------------------------------------------------

_DATE = r"(\d{4}-\d{1,2}-\d{1,2})"
_FROM = rf"(?:\s+from\s+{_DATE})?"
_WD_SUFFIX = re.compile(r"^(.*?)\s*([+-]\d+)\s*wd$", re.IGNORECASE)
_PATTERNS = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("once", rf"^once\s+{_DATE}$"),
        ("every", rf"^every\s+(\d+)\s+months?{_FROM}$"),
        ("named", rf"^(monthly|quarterly|half-yearly|yearly){_FROM}$"),
        ("yearly", r"^yearly\s+(\d{1,2})-(\d{1,2})$"),
        ("holiday", r"^holiday\s+(\S+?)(?:\s*([+-]\d+)(?:\s*days?|d)?)?$"),
        ("wd_after", rf"^(\d+)\s+working\s+days?\s+after\s+{_DATE}$"),
    )
)
_NAMED_MONTHS = {name: months for months, name in _NAMED_PERIODS.items()}


def parse_rule(text: object) -> Rule:
    """Parse a schedule rule (syntax in the module docstring); RuleSyntaxError says what was expected."""
    if not isinstance(text, str):
        raise RuleSyntaxError(f"排期规则应为文字，而不是 {type(text).__name__}")
    body = " ".join(unicodedata.normalize("NFKC", text).replace("\u2212", "-").split())
    if not body:
        raise RuleSyntaxError("排期规则为空")
    working_days = 0
    suffix = _WD_SUFFIX.match(body)
    if suffix:
        body, working_days = suffix.group(1), int(suffix.group(2))
    for kind, pattern in _PATTERNS:
        match = pattern.match(body)
        if match:
            base, extra_working_days = _build(kind, match, text)
            if extra_working_days and working_days:
                raise RuleSyntaxError(f"排期规则“{text}”重复指定了工作日偏移")
            return Rule(base, working_days or extra_working_days)
    raise RuleSyntaxError(f"无法识别的排期规则“{text}”")


def _build(kind: str, match: re.Match[str], text: str) -> tuple[Base, int]:
    if kind == "once":
        return Once(_parse_date(match.group(1), text)), 0
    if kind == "every":
        return _every(int(match.group(1)), match.group(2), text), 0
    if kind == "named":
        return _every(_NAMED_MONTHS[match.group(1).lower()], match.group(2), text), 0
    if kind == "yearly":
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            raise RuleSyntaxError(
                f"排期规则“{text}”中的日期 {month:02d}-{day:02d} 不存在",
                expected="yearly MM-DD，例如 yearly 01-31",
            ) from None
        return Yearly(month, day), 0
    if kind == "holiday":
        name = match.group(1)
        canonical = canonical_festival_name(name)
        if canonical is None:
            raise RuleSyntaxError(
                f"排期规则“{text}”中的节日“{name}”未知",
                expected="holiday 节日名 [+N|-N]，节日名为：" + "、".join(FESTIVAL_NAMES),
            )
        days = int(match.group(2) or 0)
        if abs(days) > 366:
            raise RuleSyntaxError(f"排期规则“{text}”的偏移超过一年", expected="-366 到 +366 之间的天数")
        return Festival(canonical, days), 0
    return Once(_parse_date(match.group(2), text)), int(match.group(1))


def _every(months: int, anchor: str | None, text: str) -> EveryMonths:
    try:
        return EveryMonths(months, _parse_date(anchor, text) if anchor else None)
    except RuleSyntaxError as exc:
        raise RuleSyntaxError(f"排期规则“{text}”：{exc.reason}", expected=exc.expected or SYNTAX) from None


def _parse_date(value: str, text: str) -> date:
    year, month, day = (int(part) for part in value.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        raise RuleSyntaxError(f"排期规则“{text}”中的日期 {value} 不存在", expected="YYYY-MM-DD") from None


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
