"""红黄绿 status of tasks, responsibilities and departments, computed in SQL as of any day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from duban.domain.vocabulary import Light, ResponsibilityState, Role
from duban.errors import NotFoundError
from duban.services.calendar import calendar_around
from duban.services.catalog import find_policy, require_known_agency
from duban.services.identity import Actor
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.services.status_results import (
    DepartmentStatus,
    LightCounts,
    OverdueMilestone,
    PeriodLight,
    ResponsibilityLight,
    StatusSummary,
)
from duban.storage.models import Agency, Jurisdiction, Milestone, Policy, Responsibility, Task
from duban.storage.queries import (
    acting_agency_column,
    counted_duty,
    milestone_facts,
    period_light,
    responsibility_lights,
    supervised_policy,
)

LIGHTS = tuple(Light)  # worst first: red, yellow, green, done


@dataclass(frozen=True)
class Scope:
    """Which responsibilities a status question is about."""

    agency: str | None = None
    jurisdiction: str | None = None
    policy_id: int | None = None
    task_id: int | None = None


def scope_for(
    session: Session,
    *,
    actor: Actor | None = None,
    agency: str | None = None,
    jurisdiction: str | None = None,
    policy: str | None = None,
    task_id: int | None = None,
) -> Scope:
    """The scope of a status question; a department user sees only their agency in their jurisdiction."""
    if actor is not None and actor.role == "department":
        agency, jurisdiction = actor.agency_key, actor.jurisdiction_code or jurisdiction
    else:
        require_known_agency(session, agency)
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFoundError(
            f"没有代码为 {jurisdiction!r} 的行政区划：应为 6 位 GB/T 2260 代码（见 duban jurisdictions）"
        )
    return Scope(agency, jurisdiction, find_policy(session, policy).id if policy else None, task_id)


def warn_until(session: Session, as_of: dt.date, warning_days: int) -> dt.date:
    """The last day of the warning window: ``warning_days`` working days after ``as_of``."""
    return calendar_around(session, as_of).add_working_days(as_of, warning_days)


def scoped_lights(
    session: Session, as_of: dt.date, warning_days: int, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """The responsibility lights (duban.storage.queries.responsibility_lights) of a scope."""
    sub = responsibility_lights(as_of, warn_until(session, as_of, warning_days)).subquery("rl")
    stmt = select(sub)
    if scope.agency:
        stmt = stmt.where(sub.c.acting_agency == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(sub.c.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(sub.c.policy_id == scope.policy_id)
    else:  # drafts (征求意见稿, but for the comment duty) and withdrawn documents: only asked for by name
        stmt = stmt.where(supervised_policy(sub.c.policy_status, sub.c.task_kind))
    if scope.task_id is not None:
        stmt = stmt.where(sub.c.task_id == scope.task_id)
    return stmt


def task_lights(
    session: Session, as_of: dt.date, warning_days: int, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """One row per task: its light from its lead (or, without a lead, its joint parties) — supporters'
    lights stay visible per responsibility but do not colour the task."""
    return _task_aggregate(scoped_lights(session, as_of, warning_days, scope).subquery("rl2"))


def _task_aggregate(rl: Any) -> Select[*tuple[Any, ...]]:
    principal = rl.c.role.in_((Role.LEAD, Role.JOINT))
    has_lead = func.max(case((rl.c.role == Role.LEAD, 1), else_=0))
    lead_open = func.sum(case((and_(rl.c.role == Role.LEAD, rl.c.rank > Light.DONE.rank), 1), else_=0))
    principal_open = func.sum(case((and_(principal, rl.c.rank > Light.DONE.rank), 1), else_=0))
    principals = func.sum(case((principal, 1), else_=0))
    done = case(
        (and_(has_lead == 1, lead_open == 0), 1),
        (and_(has_lead == 0, principals > 0, principal_open == 0), 1),
        else_=0,
    )
    rank = case(
        (done == 1, Light.DONE.rank),
        else_=func.coalesce(func.max(case((principal, rl.c.rank))), func.max(rl.c.rank)),
    )
    return select(
        rl.c.task_id,
        rl.c.policy_id,
        rank.label("rank"),
        func.sum(rl.c.overdue).label("overdue"),
        func.min(rl.c.next_due).label("next_due"),
    ).group_by(rl.c.task_id, rl.c.policy_id)


def _light_counts(rank_column: Any) -> list[Any]:
    return [func.sum(case((rank_column == light.rank, 1), else_=0)).label(light.value) for light in LIGHTS]


def summary(
    session: Session, *, as_of: dt.date, warning_days: int = 5, scope: Scope = Scope(), items: int = 0
) -> StatusSummary:
    """Counts of tasks and of responsibilities by light, and per-department rows; with ``items``, also the
    worst ``items`` responsibilities (:func:`responsibility_rows`).

    One statement: the responsibility lights are a CTE (materialised once by SQLite and PostgreSQL, as it
    is read twice), grouped by department and, through the task aggregate, into one row of task counts.
    """
    rl = scoped_lights(session, as_of, warning_days, scope).cte("rl")
    tl = _task_aggregate(rl).subquery("tl")
    zero = literal(0)
    by_department = select(
        literal("dept").label("kind"),
        rl.c.acting_agency.label("agency"),
        *_light_counts(rl.c.rank),
        func.sum(rl.c.overdue).label("overdue"),
        func.sum(rl.c.due).label("due"),
        func.sum(rl.c.late).label("late"),
        func.max(rl.c.rank).label("worst"),
    ).group_by(rl.c.acting_agency)
    tasks = select(
        literal("task").label("kind"),
        literal(None).label("agency"),
        *_light_counts(tl.c.rank),
        zero.label("overdue"),
        zero.label("due"),
        zero.label("late"),
        zero.label("worst"),
    )
    rows = session.execute(union_all(by_department, tasks)).all()
    dept_rows = sorted((r for r in rows if r.kind == "dept"), key=lambda r: (-int(r.worst), r.agency or ""))
    task_row = next((r for r in rows if r.kind == "task"), None)
    names = agency_names(session) if dept_rows else {}
    dept_counts = [_counts(row) for row in dept_rows]
    departments = []
    for row, counts in zip(dept_rows, dept_counts, strict=True):
        due = int(row.due or 0)
        departments.append(
            DepartmentStatus(
                agency=row.agency,
                name=names.get(row.agency) if row.agency else None,
                light=Light.from_rank(int(row.worst)),
                **counts,
                overdue=int(row.overdue or 0),
                on_time_rate=round((due - int(row.late or 0)) / due, 3) if due else None,
            )
        )
    return StatusSummary(
        as_of=as_of,
        tasks=LightCounts(**_counts(task_row)) if task_row else LightCounts(),
        responsibilities=LightCounts(**{light: sum(c[light] for c in dept_counts) for light in LIGHTS}),
        departments=tuple(departments),
        items=tuple(
            responsibility_rows(session, as_of=as_of, warning_days=warning_days, scope=scope, limit=items)
        )
        if items
        else (),
    )


def _counts(row: Any) -> dict[str, int]:
    return {light: int(getattr(row, light) or 0) for light in LIGHTS}


def agency_names(session: Session) -> dict[str, str]:
    """Agency key → its short Chinese name (民政, 妇联 …)."""
    return {k: n for k, n in session.execute(select(Agency.key, Agency.name))}


def responsibility_rows(
    session: Session,
    *,
    as_of: dt.date,
    warning_days: int = 5,
    scope: Scope = Scope(),
    limit: int = 200,
    offset: int = 0,
) -> list[ResponsibilityLight]:
    """A page of responsibilities with their lights, worst first."""
    rl = scoped_lights(session, as_of, warning_days, scope).subquery("rl")
    stmt = (
        select(rl, Task.section, Task.number, Task.text, Policy.doc_number, Policy.title)
        .join(Task, Task.id == rl.c.task_id)
        .join(Policy, Policy.id == rl.c.policy_id)
        .order_by(rl.c.rank.desc(), rl.c.next_due, rl.c.responsibility_id)
        .limit(limit)
        .offset(offset)
    )
    return [responsibility_light(r) for r in session.execute(stmt)]


def overdue_query(as_of: dt.date, scope: Scope = Scope()) -> Select[*tuple[Any, ...]]:
    """The milestones of :func:`overdue`, in its order (one statement for the rows and for their count)."""
    facts = milestone_facts(as_of).subquery("f")
    acting = acting_agency_column(as_of)
    stmt = (
        select(
            facts,
            acting.label("acting_agency"),
            Responsibility.agency_key,
            Responsibility.role,
            Responsibility.jurisdiction_code,
            Task.section,
            Task.number,
            Task.text,
            Task.policy_id,
            Policy.doc_number,
            Policy.title,
        )
        .join(Responsibility, Responsibility.id == facts.c.responsibility_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .join(Task, Task.id == facts.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            (Responsibility.closed_on.is_(None)) | (Responsibility.closed_on > as_of),
            ((facts.c.first_on.is_(None)) & (facts.c.effective_due < as_of)) | facts.c.returned,
            counted_duty(as_of),
        )
        .order_by(facts.c.effective_due, facts.c.milestone_id)
    )
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(Task.policy_id == scope.policy_id)
    else:
        stmt = stmt.where(supervised_policy(Policy.status, Task.kind))
    return stmt


def overdue(
    session: Session, *, as_of: dt.date, scope: Scope = Scope(), limit: int = 500, offset: int = 0
) -> list[OverdueMilestone]:
    """Milestones past their effective due date without a report (or whose report was returned), by D."""
    rows = session.execute(overdue_query(as_of, scope).limit(limit).offset(offset)).all()
    names = agency_names(session) if rows else {}
    return [
        OverdueMilestone(
            milestone=r.milestone_id,
            responsibility=r.responsibility_id,
            task=r.task_id,
            policy=r.doc_number or r.title,
            number=task_number(r.section, r.number),
            text=r.text,
            agency=r.acting_agency,
            agency_name=names.get(r.acting_agency) if r.acting_agency else None,
            recorded_agency=r.agency_key,
            role=Role(r.role),
            jurisdiction=r.jurisdiction_code,
            period=r.period,
            due=r.due_date,
            effective_due=r.effective_due,
            days_overdue=(as_of - r.effective_due).days,
            returned=bool(r.returned),
        )
        for r in rows
    ]


def period_history(session: Session, *, responsibility_id: int, as_of: dt.date) -> list[PeriodLight]:
    """Each past period of a responsibility with the light it earned: a late period stays red."""
    facts = milestone_facts(as_of).where(Milestone.responsibility_id == responsibility_id).subquery("f")
    stmt = (
        select(facts, period_light(facts).label("light"))
        .where(facts.c.effective_due < as_of)
        .order_by(facts.c.effective_due)
    )
    return [
        PeriodLight(
            milestone=r.milestone_id,
            period=r.period,
            due=r.due_date,
            effective_due=r.effective_due,
            reported_on=r.first_on,
            light=Light(r.light),
        )
        for r in session.execute(stmt)
    ]


def overdue_page(
    session: Session, *, as_of: dt.date, scope: Scope = Scope(), limit: int = 200, offset: int = 0
) -> Page[OverdueMilestone]:
    """A page of :func:`overdue` with the number of every overdue milestone in scope (SQL COUNT)."""
    check_window(limit, offset)
    rows = overdue(session, as_of=as_of, scope=scope, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, overdue_query(as_of, scope)), limit=limit, offset=offset)


def responsibility_light(r: Row[Any]) -> ResponsibilityLight:
    """A row of the responsibility-lights query joined to its task and policy, as a result."""
    return ResponsibilityLight(
        responsibility=r.responsibility_id,
        task=r.task_id,
        policy=r.doc_number or r.title,
        number=task_number(r.section, r.number),
        text=r.text,
        agency=r.acting_agency,
        recorded_agency=r.agency_key,
        jurisdiction=r.jurisdiction_code,
        role=Role(r.role),
        state=ResponsibilityState(r.state),
        light=Light.from_rank(int(r.rank)),
        overdue=int(r.overdue),
        next_due=r.next_due,
    )


def task_number(section: str | None, number: str) -> str:
    """``二.三`` for a sectioned document, ``三`` otherwise."""
    return f"{section}.{number}" if section else number
