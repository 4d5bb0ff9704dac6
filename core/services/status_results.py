"""What :mod:`duban.services.status` returns: lights counted, per department, per responsibility, overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import Light, ResponsibilityState, Role


@dataclass(frozen=True, slots=True)
class LightCounts(JsonResult):
    """How many tasks (or responsibilities) have each light."""

    red: int = 0
    yellow: int = 0
    green: int = 0
    done: int = 0

    def __getitem__(self, light: Light | str) -> int:
        return int(getattr(self, Light(light).value))

    def items(self) -> tuple[tuple[Light, int], ...]:
        """(light, count), worst first: red, yellow, green, done."""
        return tuple((light, self[light]) for light in Light)


@dataclass(frozen=True, slots=True)
class DepartmentStatus(JsonResult):
    """One department's responsibilities by light; ``light`` is its worst. ``agency`` None: not recognised."""

    agency: str | None
    name: str | None  #: the agency's short Chinese name (民政 …), None when the agency is unknown
    light: Light
    red: int
    yellow: int
    green: int
    done: int
    overdue: int
    on_time_rate: float | None  #: share of the milestones due so far reported on time; None: none due


@dataclass(frozen=True, slots=True)
class ResponsibilityLight(JsonResult):
    """A responsibility with its light as of the day asked about."""

    responsibility: int
    task: int
    policy: str  #: doc number, or the title when the document has none
    number: str  #: 二.三 or 三
    text: str
    agency: str | None  #: the agency carrying the work on that day (a dissolved agency's successor)
    recorded_agency: str | None  #: the agency the document named
    jurisdiction: str | None
    role: Role
    state: ResponsibilityState
    light: Light
    overdue: int
    next_due: dt.date | None


@dataclass(frozen=True, slots=True)
class StatusSummary(JsonResult):
    """``duban status``: tasks and responsibilities by light, the departments, and the worst items."""

    as_of: dt.date
    tasks: LightCounts
    responsibilities: LightCounts
    departments: tuple[DepartmentStatus, ...]
    items: tuple[ResponsibilityLight, ...] = ()


@dataclass(frozen=True, slots=True)
class OverdueMilestone(JsonResult):
    """``duban overdue``: a milestone past its effective due date without a report, or whose report was
    returned."""

    milestone: int
    responsibility: int
    task: int
    policy: str
    number: str
    text: str
    agency: str | None
    agency_name: str | None
    recorded_agency: str | None
    role: Role
    jurisdiction: str | None
    period: str
    due: dt.date
    effective_due: dt.date
    days_overdue: int
    returned: bool


@dataclass(frozen=True, slots=True)
class PeriodLight(JsonResult):
    """A past period of a responsibility and the light it earned (green: reported by its due date)."""

    milestone: int
    period: str
    due: dt.date
    effective_due: dt.date
    reported_on: dt.date | None
    light: Light
