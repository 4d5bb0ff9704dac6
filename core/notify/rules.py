"""The 督办 alerting rules, pure: which milestones a department is reminded of on a working day.

With due date E (the effective one: an approved extension moves it), rules ``remind_days`` (5, 1),
``repeat_every`` R (3) and ``escalate_after`` X (5), on a working day D:

- 蓝 ``blue``    D is N working days before E, for N in ``remind_days``;
- 黄 ``yellow``  E < D and k = working days after E up to D (the first working day after E has k = 1):
                 k < X and (k − 1) is a multiple of R — the next working morning, then every R;
- 红 ``red``     k ≥ X and (k − X) is a multiple of R; on k = X the milestone is also escalated to the
                 coordinator (and the department's leadership route, if one is configured).

Non-working days (weekends, holidays; 调休 Saturdays *are* working days) never trigger anything.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from duban.domain.vocabulary import AlertLevel
from duban.notify.routes import Rules

#: the escalation levels of a reminder, mildest first (their labels: AlertLevel.label)
LEVELS = (AlertLevel.BLUE, AlertLevel.YELLOW, AlertLevel.RED)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}
ESCALATE = "escalate"


class Calendar(Protocol):
    def is_working_day(self, d: dt.date) -> bool: ...
    def working_days_between(self, a: dt.date, b: dt.date) -> int: ...


def triggers_on(day: dt.date, due: dt.date, rules: Rules, cal: Calendar) -> set[str]:
    """What fires on ``day`` for an unreported milestone due ``due``: levels and possibly ``escalate``."""
    if not cal.is_working_day(day):
        return set()
    if day < due:
        return {AlertLevel.BLUE} if cal.working_days_between(day, due) in rules.remind_days else set()
    if day == due:
        return set()
    k = cal.working_days_between(due, day)
    if k < 1:
        return set()
    if k < rules.escalate_after:
        return {AlertLevel.YELLOW} if (k - 1) % rules.repeat_every == 0 else set()
    fired: set[str] = {AlertLevel.RED} if (k - rules.escalate_after) % rules.repeat_every == 0 else set()
    if k == rules.escalate_after:
        fired.add(ESCALATE)
    return fired


def item_level(day: dt.date, due: dt.date, rules: Rules, cal: Calendar) -> AlertLevel | None:
    """How an unreported milestone shows in a digest on ``day`` (None: not yet worth mentioning)."""
    if due >= day:
        before = cal.working_days_between(day, due)
        return AlertLevel.BLUE if before <= max(rules.remind_days, default=0) else None
    k = cal.working_days_between(due, day)
    return AlertLevel.RED if k >= rules.escalate_after else AlertLevel.YELLOW


def working_days_overdue(day: dt.date, due: dt.date, cal: Calendar) -> int:
    return max(cal.working_days_between(due, day), 0) if due < day else 0


class CountingCalendar:
    """A calendar with working-day counts precomputed over ``first..last`` (O(1) per question there)."""

    def __init__(self, cal: Calendar, first: dt.date, last: dt.date) -> None:
        self._cal = cal
        self._first, self._last = first, last
        self._prefix: list[int] = []
        count, day = 0, first
        while day <= last:
            count += cal.is_working_day(day)
            self._prefix.append(count)
            day += dt.timedelta(days=1)

    def is_working_day(self, d: dt.date) -> bool:
        return self._cal.is_working_day(d)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        if self._first <= a <= self._last and self._first <= b <= self._last:
            i, j = (a - self._first).days, (b - self._first).days
            return self._prefix[j] - self._prefix[i]
        return self._cal.working_days_between(a, b)
