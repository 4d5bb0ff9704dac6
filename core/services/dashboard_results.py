"""What :mod:`duban.services.dashboard` returns: pages of tasks and responsibilities, one task's detail, a
department's owed milestones and findings, choices and search hits. The dashboard formats them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import (
    ExtensionState,
    Light,
    ResponsibilityState,
    ReviewState,
    Role,
    Severity,
    Trend,
)
from duban.services.audit import AuditEntry
from duban.services.paging import Cursor
from duban.services.status_results import LightCounts, ResponsibilityLight


@dataclass(frozen=True, slots=True)
class PolicyChoice(JsonResult):
    """A current policy to filter by."""

    id: int
    doc_number: str | None
    title: str

    @property
    def label(self) -> str:
        return self.doc_number or self.title


@dataclass(frozen=True, slots=True)
class JurisdictionChoice(JsonResult):
    """A jurisdiction that has responsibilities."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class TrendPoint(JsonResult):
    """Tasks by light as of a quarter end (or as of the day asked about: ``quarter_end`` False)."""

    as_of: dt.date
    quarter_end: bool
    tasks: LightCounts


#: weights of the severity (docs/dashboard.md, 总览): a red responsibility, a yellow one
RED_WEIGHT = 10
YELLOW_WEIGHT = 3


@dataclass(frozen=True, slots=True)
class DepartmentPeriod(JsonResult):
    """One department's responsibilities by light, on-time rate and severity as of one period's end."""

    as_of: dt.date
    quarter_end: bool  #: False for the day asked about itself
    red: int
    yellow: int
    green: int
    done: int
    due: int  #: milestones due so far
    late: int  #: of those, reported late or not at all
    overdue: int  #: milestones overdue and unreported (or returned)
    overdue_working_days: int  #: working days overdue, summed over the overdue milestones
    on_time_rate: float | None  #: None when nothing was due
    severity: int


def severity_of(red: int, yellow: int, due: int, overdue_working_days: int) -> int:
    """严重度 = 10 × 红 + 3 × 黄 + 每个已到期节点平均逾期的工作日数（四舍五入）; see docs/dashboard.md."""
    per_due = round(overdue_working_days / due) if due else 0
    return RED_WEIGHT * red + YELLOW_WEIGHT * yellow + per_due


@dataclass(frozen=True, slots=True)
class DepartmentRank(JsonResult):
    """A department (an agency in a jurisdiction) ranked by severity, worst first, with its history."""

    rank: int
    agency: str | None
    jurisdiction: str | None
    name: (
        str  #: the department's Chinese name at its level: 云南省民政厅, 昆明市民政局 (未识别部门 if unknown)
    )
    jurisdiction_name: str | None
    light: Light  #: its worst responsibility's light
    severity: int
    previous_severity: int | None  #: at the previous period's end; None: no work then
    trend: Trend
    history: tuple[DepartmentPeriod, ...]  #: oldest first; the last one is the day asked about
    new_overdue: int  #: overdue milestones that fell due after the previous period's end (what is new)

    @property
    def current(self) -> DepartmentPeriod:
        return self.history[-1]


@dataclass(frozen=True, slots=True)
class DepartmentRanking(JsonResult):
    """总览's ranking: the departments worst first, and the period ends compared."""

    as_of: dt.date
    periods: tuple[dt.date, ...]  #: oldest first; the last one is ``as_of``
    departments: tuple[DepartmentRank, ...]


@dataclass(frozen=True, slots=True)
class OverdueGroup(JsonResult):
    """Overdue milestones that read the same — one policy, one period, one effective due date — counted,
    with the departments that owe them (fifteen identical "147 天" rows are one row)."""

    policy_id: int
    policy: str
    period: str
    effective_due: dt.date
    days_overdue: int  #: calendar days, as elsewhere on screen (147 天)
    count: int  #: milestones in the group
    returned: int  #: of those, with a returned report
    tasks: int  #: distinct tasks
    departments: tuple[str, ...]  #: Chinese names at their level, worst-known order (by name)
    first_task: int  #: the task opened by 回车 (the lowest id)
    first_number: str
    first_text: str


@dataclass(frozen=True, slots=True)
class OverdueGroups(JsonResult):
    """The longest-overdue groups, with the number of all groups and of all overdue milestones in scope."""

    groups: tuple[OverdueGroup, ...]
    total_groups: int
    total_milestones: int


@dataclass(frozen=True, slots=True)
class PolicyProgress(JsonResult):
    """How far a policy's work has got as of a day: its milestones due so far and how many were reported
    (on time or late), and its tasks and how many are 办结."""

    policy_id: int
    due: int
    reported: int
    tasks: int
    done: int

    @property
    def rate(self) -> float | None:
        """Reported share of the milestones due; None when nothing is due yet."""
        return self.reported / self.due if self.due else None


@dataclass(frozen=True, slots=True)
class TaskRow(JsonResult):
    """A task in the 任务 table: its light, next due date and the parties as the document names them."""

    id: int
    policy_id: int
    policy: str
    number: str
    text: str
    lead: tuple[str, ...]  #: the lead (or, without one, the joint parties), as written
    support: tuple[str, ...]
    next_due: dt.date | None
    overdue: int
    light: Light


@dataclass(frozen=True, slots=True)
class TaskPage(JsonResult):
    """A keyset page of tasks; ``total`` counts every match, ``offset`` is how many matches come before it.

    ``first``/``last``: the cursors of its first and last rows (``before``/``after`` of the pages around it).
    """

    total: int
    offset: int
    limit: int
    rows: tuple[TaskRow, ...]
    first: Cursor | None = None
    last: Cursor | None = None


@dataclass(frozen=True, slots=True)
class MilestoneLight(JsonResult):
    """A milestone of a responsibility with its light."""

    id: int
    period: str
    due: dt.date
    effective_due: dt.date
    reported_on: dt.date | None
    returned: bool
    light: Light
    #: withdrawn (撤回) by the coordinator: shown as history, counted nowhere, offered for no report
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = None
    #: first reported after its effective due date (迟报)
    late: bool = False
    #: the next open milestone that is not yet overdue (the one the party is working towards)
    current: bool = False

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True, slots=True)
class ReportEntry(JsonResult):
    """A report (any version) on a responsibility."""

    id: int
    milestone: int | None
    version: int
    current: bool
    text: str
    indicators: Mapping[str, Any]
    submitted_by: str
    submitted_on: dt.date
    review: ReviewState
    reason: str | None
    #: submitted after its milestone's effective due date (迟报)
    late: bool = False


@dataclass(frozen=True, slots=True)
class FindingEntry(JsonResult):
    """What a plugin's check found on a report or a responsibility."""

    id: int
    report: int | None
    severity: Severity
    code: str
    message: str
    plugin: str
    first_seen: dt.date  #: the day it was first found (a report's finding: the report day)
    last_seen: dt.date | None  #: the last check day that found it
    resolved_on: dt.date | None  #: the first check day that no longer found it (None: open)


@dataclass(frozen=True, slots=True)
class ExtensionEntry(JsonResult):
    """An extension request on one of the responsibility's milestones."""

    id: int
    milestone: int
    period: str
    new_date: dt.date
    reason: str
    progress: str
    state: ExtensionState
    requested_by: str
    decision_reason: str | None


@dataclass(frozen=True, slots=True)
class ResponsibilityDetail(JsonResult):
    """One party of a task with everything about its work."""

    id: int
    agency: str | None
    agency_name: str  #: the agency's short name, or the name as written when it is not recognised
    name_as_written: str
    jurisdiction: str | None
    role: Role
    state: ResponsibilityState
    light: Light
    overdue: int
    next_due: dt.date | None
    template: str | None  #: the template a report is checked against (the first bound, else the task's)
    templates: tuple[str, ...]  #: every template confirmed for this task and agency (see ``duban template``)
    milestones: tuple[MilestoneLight, ...]
    reports: tuple[ReportEntry, ...]
    findings: tuple[FindingEntry, ...]
    extensions: tuple[ExtensionEntry, ...]
    #: after a succession: the successor's duty on the same task that carries this one (it counts nowhere)
    merged_into: int | None = None

    @property
    def open_milestones(self) -> tuple[MilestoneLight, ...]:
        """Milestones still to report: never reported, or the report was returned; never a withdrawn one."""
        return tuple(m for m in self.milestones if (m.reported_on is None or m.returned) and not m.withdrawn)


@dataclass(frozen=True, slots=True)
class LinkedTask(JsonResult):
    """A parent-policy task that a task implements."""

    task: int
    policy: str
    number: str
    text: str
    confirmed: bool


@dataclass(frozen=True, slots=True)
class TaskDetail(JsonResult):
    """Everything about one task; a department user's holds only their own parts (``hidden_parties``)."""

    id: int
    policy_id: int
    policy: str
    policy_title: str
    number: str
    text: str
    hidden_parties: int
    responsibilities: tuple[ResponsibilityDetail, ...]
    audit: tuple[AuditEntry, ...]
    implements: tuple[LinkedTask, ...]


@dataclass(frozen=True, slots=True)
class ResponsibilityPage(JsonResult):
    """A page of one agency's responsibilities; ``total`` counts every match."""

    total: int
    rows: tuple[ResponsibilityLight, ...]


@dataclass(frozen=True, slots=True)
class OwedMilestone(JsonResult):
    """An open milestone of the agency: what it owes next (``days_left`` negative when overdue)."""

    milestone: int
    responsibility: int
    task: int
    policy: str
    number: str
    text: str
    role: Role
    period: str
    effective_due: dt.date
    returned: bool
    days_left: int


@dataclass(frozen=True, slots=True)
class FindingRow(JsonResult):
    """An open finding on one of the scope's responsibilities. ``created_at`` is UTC; ``seen_on`` is the
    last check day that found it (or the day it was first seen)."""

    id: int
    task: int
    responsibility: int | None
    agency: str | None
    number: str
    severity: Severity
    code: str
    message: str
    plugin: str
    created_at: dt.datetime
    seen_on: dt.date


@dataclass(frozen=True, slots=True)
class ParentTaskRef(JsonResult):
    """A parent-policy task that a policy's task implements (a TaskLink)."""

    policy: str
    number: str
    confirmed: bool


@dataclass(frozen=True, slots=True)
class PolicyTask(JsonResult):
    """A task of a policy with the parent tasks it implements."""

    id: int
    number: str
    text: str
    implements: tuple[ParentTaskRef, ...]


@dataclass(frozen=True, slots=True)
class SearchHit(JsonResult):
    """A department, policy or task whose name matches (for the command palette).

    ``id`` is the agency key for a department, else the policy's or task's id; ``name`` the agency's name,
    the policy's title or the task's text; ``policy`` and ``number`` say where a task (or policy) stands.
    """

    kind: Literal["department", "policy", "task"]
    id: int | str
    name: str
    policy: str | None = None
    number: str | None = None


@dataclass(frozen=True, slots=True)
class PendingReport(JsonResult):
    """A current report of a task waiting for 复核."""

    id: int
    responsibility: int
    party: str
    version: int
    submitted_on: dt.date
    text: str


@dataclass(frozen=True, slots=True)
class PendingExtension(JsonResult):
    """An extension request of a task waiting for a decision."""

    id: int
    milestone: int
    period: str
    party: str
    due: dt.date
    new_date: dt.date
    reason: str
