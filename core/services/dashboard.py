"""Read models for the dashboard (``duban dashboard``) beyond the status and catalog services.

Every listing is paged or limited in SQL; every function takes the acting user's :class:`Scope`
(see :func:`duban.services.status.scope_for`), so a department user sees only their own work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import Date, Integer, String, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from duban.domain.divisions import department_name
from duban.domain.vocabulary import (
    ExtensionState,
    Light,
    ResponsibilityState,
    ReviewState,
    Role,
    Severity,
    Trend,
)
from duban.domain.workcal import WorkingCalendar
from duban.errors import NotFoundError, PermissionDenied
from duban.services.audit import AuditEntry, list_events
from duban.services.calendar import working_calendar
from duban.services.dashboard_results import (
    DepartmentPeriod,
    DepartmentRank,
    DepartmentRanking,
    ExtensionEntry,
    FindingEntry,
    FindingRow,
    JurisdictionChoice,
    LinkedTask,
    MilestoneLight,
    OverdueGroup,
    OverdueGroups,
    OwedMilestone,
    ParentTaskRef,
    PendingExtension,
    PendingReport,
    PolicyChoice,
    PolicyProgress,
    PolicyTask,
    ReportEntry,
    ResponsibilityDetail,
    ResponsibilityPage,
    SearchHit,
    TaskDetail,
    TaskPage,
    TaskRow,
    TrendPoint,
    severity_of,
)
from duban.services.identity import Actor
from duban.services.paging import Cursor, Page, count_rows
from duban.services.status import (
    Scope,
    TaskIndex,
    agency_names,
    data_mark,
    overdue_page,
    overdue_query,
    responsibility_light,
    scoped_lights,
    summary,
    task_index,
    task_lights,
    task_number,
    warn_until,
)
from duban.services.status_results import LightCounts, OverdueMilestone, StatusSummary
from duban.services.templates import bound_templates
from duban.storage.models import (
    Agency,
    AuditEvent,
    Extension,
    Finding,
    Jurisdiction,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    TaskLink,
)
from duban.storage.queries import (
    acting_agency_column,
    counted_duty,
    light_case,
    merged_duties,
    milestone_facts,
    responsibility_lights,
    supervised_policy,
)

PAGE = 100


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ------------------------------------------------------------------------------------------ reference


def jurisdiction_choices(session: Session) -> list[JurisdictionChoice]:
    """The jurisdictions that have responsibilities."""
    used = (
        select(Responsibility.jurisdiction_code)
        .where(Responsibility.jurisdiction_code.is_not(None))
        .distinct()
    )
    return [
        JurisdictionChoice(c, n)
        for c, n in session.execute(
            select(Jurisdiction.code, Jurisdiction.name)
            .where(Jurisdiction.code.in_(used))
            .order_by(Jurisdiction.code)
        )
    ]


def policy_choices(session: Session) -> list[PolicyChoice]:
    """The current policies, in the order they were issued."""
    return [
        PolicyChoice(i, d, t)
        for i, d, t in session.execute(
            select(Policy.id, Policy.doc_number, Policy.title)
            .where(Policy.superseded_by_id.is_(None))
            .order_by(Policy.issued, Policy.id)
        )
    ]


def quarter_ends(as_of: dt.date, count: int) -> list[dt.date]:
    """The last ``count`` quarter ends strictly before ``as_of``, oldest first."""
    ends: list[dt.date] = []
    year, quarter = as_of.year, (as_of.month - 1) // 3  # the quarter before the current one
    while len(ends) < count:
        if quarter == 0:
            year, quarter = year - 1, 4
        month = quarter * 3
        end = dt.date(year, month, 31 if month in (3, 12) else 30)
        ends.append(end)
        quarter -= 1
    return sorted(ends)


# ------------------------------------------------------------------------------------------ 总览


def overview(session: Session, *, as_of: dt.date, warning_days: int, scope: Scope) -> StatusSummary:
    """Counts of tasks and responsibilities by light and the departments, named (:func:`status.summary`)."""
    return summary(session, as_of=as_of, warning_days=warning_days, scope=scope)


def most_overdue(
    session: Session, *, as_of: dt.date, scope: Scope, limit: int = 15
) -> Page[OverdueMilestone]:
    """The milestones overdue longest, with the number of all overdue milestones in scope (:func:`status.overdue_page`)."""
    return overdue_page(session, as_of=as_of, scope=scope, limit=limit)


def task_counts(session: Session, *, as_of: dt.date, warning_days: int, scope: Scope) -> LightCounts:
    """Tasks by light as of a day: the task part of :func:`status.summary` (one pass instead of three)."""
    tl = task_lights(session, as_of, warning_days, scope).subquery("tl")
    counts = {
        Light.from_rank(int(r)).value: int(n)
        for r, n in session.execute(select(tl.c.rank, func.count()).group_by(tl.c.rank))
    }
    return LightCounts(**counts)


def trend(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope, quarters: int = 4
) -> list[TrendPoint]:
    """Task counts by light as of each of the last quarter ends and as of ``as_of`` itself. History is not
    rewritten (lights as of D count only what was known by D), so a quarter's red stays red."""
    return [
        TrendPoint(
            as_of=day,
            quarter_end=day != as_of,
            tasks=task_counts(session, as_of=day, warning_days=warning_days, scope=scope),
        )
        for day in [*quarter_ends(as_of, quarters), as_of]
    ]


# ------------------------------------------------------------------------------------------ 总览: who is worst

UNKNOWN_DEPARTMENT = "未识别部门"
DepartmentKey = tuple[str | None, str | None]  # (acting agency, jurisdiction code)


def department_names(
    session: Session, keys: set[DepartmentKey]
) -> dict[DepartmentKey, tuple[str, str | None]]:
    """(agency, jurisdiction) → (the department's name at its level, the jurisdiction's name):
    minzheng @ 530000 → (云南省民政厅, 云南省); an agency the plugins do not name at that level reads
    云南省民政部门; an unknown agency 未识别部门."""
    agencies = {
        a.key: a for a in session.scalars(select(Agency).where(Agency.key.in_({a for a, _ in keys if a})))
    }
    jurs = {
        j.code: j
        for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_({j for _, j in keys if j})))
    }
    out: dict[DepartmentKey, tuple[str, str | None]] = {}
    for key in keys:
        agency, jur = agencies.get(key[0] or ""), jurs.get(key[1] or "")
        if agency is None:
            name = UNKNOWN_DEPARTMENT
        elif jur is None:
            name = (agency.names or {}).get("national") or agency.name
        else:
            written = (agency.names or {}).get(str(jur.level))
            if written and str(jur.level) == "national":
                name = written
            elif written:
                name = department_name(written, jur.name)
            else:
                name = f"{jur.name}{agency.name}部门"
        out[key] = (name, jur.name if jur is not None else None)
    return out


def _period_rows(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope
) -> tuple[dict[DepartmentKey, Any], dict[DepartmentKey, dict[dt.date, int]]]:
    """One statement for one period end: the responsibility lights grouped by department, and the overdue
    milestones grouped by department and effective due date (their working days are counted in Python, once
    per distinct date)."""
    rl = scoped_lights(session, as_of, warning_days, scope).subquery("rl")
    od = overdue_query(as_of, scope).order_by(None).subquery("od")
    lights = select(
        literal("l").label("kind"),
        rl.c.acting_agency.label("agency"),
        rl.c.jurisdiction_code.label("jur"),
        *[
            func.sum(case((rl.c.rank == light.rank, 1), else_=0)).label(light.value)
            for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.DONE)
        ],
        func.sum(rl.c.overdue).label("overdue"),
        func.sum(rl.c.due).label("due"),
        func.sum(rl.c.late).label("late"),
        func.max(rl.c.rank).label("worst"),
        cast(null(), Date).label("due_day"),
    ).group_by(rl.c.acting_agency, rl.c.jurisdiction_code)
    zero = cast(literal(0), Integer)
    late_days = select(
        literal("o").label("kind"),
        od.c.acting_agency.label("agency"),
        od.c.jurisdiction_code.label("jur"),
        zero.label("red"),
        zero.label("yellow"),
        zero.label("green"),
        zero.label("done"),
        func.count().label("overdue"),
        zero.label("due"),
        zero.label("late"),
        zero.label("worst"),
        od.c.effective_due.label("due_day"),
    ).where(od.c.effective_due < as_of)
    late_days = late_days.group_by(od.c.acting_agency, od.c.jurisdiction_code, od.c.effective_due)
    light_rows: dict[DepartmentKey, Any] = {}
    overdue_by_day: dict[DepartmentKey, dict[dt.date, int]] = {}
    for row in session.execute(union_all(lights, late_days)):
        key = (row.agency, row.jur)
        if row.kind == "l":
            light_rows[key] = row
        else:
            overdue_by_day.setdefault(key, {})[row.due_day] = int(row.overdue)
    return light_rows, overdue_by_day


def _working_days_to(cal: WorkingCalendar, days: set[dt.date], ends: set[dt.date]) -> dict[dt.date, int]:
    """The number of working days up to and including each day of ``days | ends`` counted from one start:
    the working days after ``a`` up to ``b`` are then ``index[b] - index[a]`` (one walk, not one per pair)."""
    wanted = days | ends
    if not wanted:
        return {}
    index, count, day, last = {}, 0, min(wanted), max(wanted)
    while day <= last:
        if cal.is_working_day(day):
            count += 1
        if day in wanted:
            index[day] = count
        day += dt.timedelta(days=1)
    return index


def department_ranking(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope, quarters: int = 4
) -> DepartmentRanking:
    """Departments (an agency in a jurisdiction) worst first by severity as of ``as_of``, each with its
    lights, on-time rate and severity as of each of the last ``quarters`` quarter ends, and its trend
    against the previous quarter end.

    严重度 (docs/dashboard.md) = 10 × red responsibilities + 3 × yellow ones + the overdue working days per
    due milestone (summed over the overdue milestones, divided by the milestones due so far, rounded).
    Ties are broken by the department's Chinese name. One statement per period end (SQL GROUP BY).
    """
    ends = [*quarter_ends(as_of, quarters), as_of]
    per_period = [_period_rows(session, as_of=d, warning_days=warning_days, scope=scope) for d in ends]
    due_days = {d for _, by_day in per_period for days in by_day.values() for d in days}
    index: dict[dt.date, int] = {}
    if due_days:
        cal = working_calendar(session, min(due_days).year, as_of.year)
        index = _working_days_to(cal, due_days, set(ends))
    current, _ = per_period[-1]
    names = department_names(session, set(current))
    ranked = []
    for key, now in current.items():
        history = []
        for end, (light_rows, by_day) in zip(ends, per_period, strict=True):
            row = light_rows.get(key)
            if row is None:
                continue
            working = sum(n * max(index[end] - index[d], 0) for d, n in by_day.get(key, {}).items())
            red, yellow = int(row.red or 0), int(row.yellow or 0)
            due, late = int(row.due or 0), int(row.late or 0)
            history.append(
                DepartmentPeriod(
                    as_of=end,
                    quarter_end=end != as_of,
                    red=red,
                    yellow=yellow,
                    green=int(row.green or 0),
                    done=int(row.done or 0),
                    due=due,
                    late=late,
                    overdue=int(row.overdue or 0),
                    overdue_working_days=working,
                    on_time_rate=round((due - late) / due, 3) if due else None,
                    severity=severity_of(red, yellow, due, working),
                )
            )
        previous = next((p for p in history if len(ends) > 1 and p.as_of == ends[-2]), None)
        severity = history[-1].severity
        if previous is None:
            trend_ = Trend.NEW
        elif severity > previous.severity:
            trend_ = Trend.UP
        elif severity < previous.severity:
            trend_ = Trend.DOWN
        else:
            trend_ = Trend.SAME
        name, jur_name = names[key]
        ranked.append(
            DepartmentRank(
                rank=0,
                agency=key[0],
                jurisdiction=key[1],
                name=name,
                jurisdiction_name=jur_name,
                light=Light.from_rank(int(now.worst)),
                severity=severity,
                previous_severity=previous.severity if previous is not None else None,
                trend=trend_,
                history=tuple(history),
                new_overdue=sum(n for d, n in per_period[-1][1].get(key, {}).items() if d > ends[-2])
                if len(ends) > 1
                else 0,
            )
        )
    ranked.sort(key=lambda d: (-d.severity, d.name, d.agency or "", d.jurisdiction or ""))
    return DepartmentRanking(
        as_of=as_of,
        periods=tuple(ends),
        departments=tuple(replace(d, rank=i) for i, d in enumerate(ranked, start=1)),
    )


def assessment_trend(
    session: Session,
    *,
    as_of: dt.date,
    departments: set[DepartmentKey],
    warning_days: int = 5,
    quarters: int = 4,
) -> DepartmentRanking:
    """:func:`department_ranking` of the departments of an assessment result (exported with it as
    ``trend``: the charts of each department's lights and on-time rate over the last quarter ends)."""
    ranking = department_ranking(
        session, as_of=as_of, warning_days=warning_days, scope=Scope(), quarters=quarters
    )
    kept = [d for d in ranking.departments if (d.agency, d.jurisdiction) in departments]
    return replace(ranking, departments=tuple(replace(d, rank=i) for i, d in enumerate(kept, start=1)))


def overdue_groups(session: Session, *, as_of: dt.date, scope: Scope, limit: int = 15) -> OverdueGroups:
    """The overdue milestones (:func:`status.overdue_query`) grouped by policy, period and effective due
    date with the departments owing them — fifteen identical "147 天" rows are one row counting 15 —
    longest overdue first. Two statements: the groups (SQL GROUP BY, paged), and the departments of the
    groups shown."""
    od = overdue_query(as_of, scope).order_by(None).subquery("od")
    keys = (od.c.policy_id, od.c.doc_number, od.c.title, od.c.period, od.c.effective_due)
    n = func.count().label("n")
    stmt = (
        select(
            *keys,
            n,
            func.sum(case((od.c.returned, 1), else_=0)).label("returned"),
            func.count(func.distinct(od.c.task_id)).label("tasks"),
            func.min(od.c.task_id).label("first_task"),
            func.count().over().label("groups"),
            func.sum(func.count()).over().label("milestones"),
        )
        .group_by(*keys)
        .order_by(od.c.effective_due, n.desc(), od.c.policy_id, od.c.period)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return OverdueGroups(groups=(), total_groups=0, total_milestones=0)
    shown = {(r.policy_id, r.period, r.effective_due) for r in rows}
    owing: dict[tuple[int, str, dt.date], set[DepartmentKey]] = {k: set() for k in shown}
    for policy_id, period, due, agency, jur in session.execute(
        select(od.c.policy_id, od.c.period, od.c.effective_due, od.c.acting_agency, od.c.jurisdiction_code)
        .where(od.c.effective_due.in_({d for _, _, d in shown}), od.c.policy_id.in_({p for p, _, _ in shown}))
        .distinct()
    ):
        if (policy_id, period, due) in owing:
            owing[(policy_id, period, due)].add((agency, jur))
    names = department_names(session, set().union(*owing.values()))
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_({r.first_task for r in rows})))}
    groups = tuple(
        OverdueGroup(
            policy_id=r.policy_id,
            policy=r.doc_number or r.title,
            period=r.period,
            effective_due=r.effective_due,
            days_overdue=max((as_of - r.effective_due).days, 0),
            count=int(r.n),
            returned=int(r.returned or 0),
            tasks=int(r.tasks),
            departments=tuple(sorted({names[k][0] for k in owing[(r.policy_id, r.period, r.effective_due)]})),
            first_task=r.first_task,
            first_number=task_number(tasks[r.first_task].section, tasks[r.first_task].number),
            first_text=tasks[r.first_task].text,
        )
        for r in rows
    )
    return OverdueGroups(
        groups=groups, total_groups=int(rows[0].groups), total_milestones=int(rows[0].milestones or 0)
    )


def policy_progress(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope
) -> dict[int, PolicyProgress]:
    """Per policy (政策's progress bar): milestones due by ``as_of`` and how many of them were reported by
    then, and tasks and how many are 办结 — two grouped statements over the task lights and the milestones."""
    tl = task_lights(session, as_of, warning_days, scope).subquery("tl")
    tasks = {
        policy_id: (int(n), int(done or 0))
        for policy_id, n, done in session.execute(
            select(
                tl.c.policy_id,
                func.count(),
                func.sum(case((tl.c.rank == Light.DONE.rank, 1), else_=0)),
            ).group_by(tl.c.policy_id)
        )
    }
    rl = scoped_lights(session, as_of, warning_days, scope).subquery("rl")
    f = milestone_facts(as_of).subquery("f")
    due = f.c.effective_due < as_of
    milestones = {
        policy_id: (int(n or 0), int(reported or 0))
        for policy_id, n, reported in session.execute(
            select(
                rl.c.policy_id,
                func.sum(case((due, 1), else_=0)),
                func.sum(case((and_(due, f.c.first_on.is_not(None)), 1), else_=0)),
            )
            .join(f, f.c.responsibility_id == rl.c.responsibility_id)
            .group_by(rl.c.policy_id)
        )
    }
    return {
        pid: PolicyProgress(
            policy_id=pid,
            due=milestones.get(pid, (0, 0))[0],
            reported=milestones.get(pid, (0, 0))[1],
            tasks=n,
            done=done,
        )
        for pid, (n, done) in tasks.items()
    }


# ------------------------------------------------------------------------------------------ 任务


def task_page(
    session: Session,
    *,
    as_of: dt.date,
    warning_days: int,
    scope: Scope,
    text: str | None = None,
    sort: str = "light",
    descending: bool = True,
    limit: int = PAGE,
    after: Cursor | None = None,
    before: Cursor | None = None,
    index: TaskIndex | None = None,
) -> TaskPage:
    """A keyset page of tasks with their light, next due date and parties; ``total`` counts every match.

    ``text`` matches any part of the task text or number, the policy's doc number or title, or a party's name
    (ASCII letters in any case). ``after``/``before``: the page after the last row of the page shown (its
    ``last`` cursor) or before its first row. ``index``: a :class:`TaskIndex` already built for this day and
    scope (the dashboard keeps one while no write happens, :func:`task_index_for`); built here otherwise.
    """
    if index is None:
        index = task_index(session, as_of=as_of, warning_days=warning_days, scope=scope)
    window = index.window(
        text=text, sort=sort, descending=descending, limit=limit, after=after, before=before
    )
    rows = tuple(
        TaskRow(
            id=t.id,
            policy_id=t.policy_id,
            policy=t.doc_number or t.title,
            number=task_number(t.section, t.number),
            text=t.text,
            lead=t.lead,
            support=t.support,
            next_due=t.next_due,
            overdue=t.overdue,
            light=Light.from_rank(t.rank),
        )
        for t in window.tasks
    )
    return TaskPage(
        total=window.total, offset=window.offset, limit=limit, rows=rows, first=window.first, last=window.last
    )


def task_index_for(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope, cached: TaskIndex | None
) -> TaskIndex:
    """``cached`` while no write has happened since it was built (same day and scope), else a new index."""
    mark = data_mark(session)
    if cached is not None and cached.current_for(
        mark=mark, as_of=as_of, warning_days=warning_days, scope=scope
    ):
        return cached
    return task_index(session, as_of=as_of, warning_days=warning_days, scope=scope, mark=mark)


def _visible_responsibilities(
    session: Session, scope: Scope, resps: list[Responsibility], as_of: dt.date
) -> list[Responsibility]:
    from duban.services.responsibilities import acting_agency

    if not scope.agency:
        return resps
    return [
        r
        for r in resps
        if acting_agency(session, r.agency_key, as_of) == scope.agency
        and (not scope.jurisdiction or r.jurisdiction_code == scope.jurisdiction)
    ]


def task_detail(
    session: Session, *, task_id: int, as_of: dt.date, warning_days: int, scope: Scope, audit_limit: int = 50
) -> TaskDetail:
    """Everything about one task: full text, each (visible) responsibility with its light, milestones,
    reports, findings and extensions, and the audit trail. A department user sees only their parts."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"没有编号为 {task_id} 的任务")
    policy = session.get(Policy, task.policy_id)
    assert policy is not None
    names = agency_names(session)
    all_resps = list(
        session.scalars(
            select(Responsibility).where(Responsibility.task_id == task_id).order_by(Responsibility.id)
        )
    )
    resps = _visible_responsibilities(session, scope, all_resps, as_of)
    if scope.agency and not resps:
        raise PermissionDenied(
            f"任务 #{task_id} 不属于本部门（{names.get(scope.agency, scope.agency)}）的工作"
        )
    ids = [r.id for r in resps]
    until = warn_until(session, as_of, warning_days)
    rl = responsibility_lights(as_of, until).subquery("rl")
    lights = {
        row.responsibility_id: row
        for row in session.execute(select(rl).where(rl.c.responsibility_id.in_(ids)))
    }
    merged = merged_duties(as_of)
    merged_into = dict(
        session.execute(
            select(merged.c.responsibility_id, merged.c.into_id).where(merged.c.responsibility_id.in_(ids))
        ).all()
    )
    f = milestone_facts(as_of, counted_only=False).subquery("f")  # withdrawn ones are shown as such
    closed = and_(Responsibility.closed_on.is_not(None), Responsibility.closed_on <= as_of)
    facts = {
        row.milestone_id: row
        for row in session.execute(
            select(f, light_case(f, as_of, until, closed).label("rank"))
            .join(Responsibility, Responsibility.id == f.c.responsibility_id)
            .where(f.c.responsibility_id.in_(ids))
        )
    }
    milestones: dict[int, list[Milestone]] = {i: [] for i in ids}
    for m in session.scalars(
        select(Milestone)
        .where(Milestone.responsibility_id.in_(ids))
        .order_by(Milestone.effective_due_date, Milestone.id)
    ):
        milestones[m.responsibility_id].append(m)
    reports: dict[int, list[Report]] = {i: [] for i in ids}
    for rep in session.scalars(
        select(Report).where(Report.responsibility_id.in_(ids)).order_by(Report.submitted_at, Report.id)
    ):
        reports[rep.responsibility_id].append(rep)
    findings: dict[int, list[Finding]] = {i: [] for i in ids}
    for finding in session.scalars(
        select(Finding)
        .where(Finding.responsibility_id.in_(ids), Finding.first_seen <= as_of)
        .order_by(Finding.id)
    ):
        findings[finding.responsibility_id or 0].append(finding)
    templates = bound_templates(session, [task_id])
    extensions: dict[int, list[tuple[Extension, Milestone]]] = {i: [] for i in ids}
    for ext, m in session.execute(
        select(Extension, Milestone)
        .join(Milestone, Milestone.id == Extension.milestone_id)
        .where(Milestone.responsibility_id.in_(ids))
        .order_by(Extension.id)
    ):
        extensions[m.responsibility_id].append((ext, m))

    out_resps = []
    for r in resps:
        light = lights.get(r.id)
        ms = []
        due_of: dict[int, dt.date] = {}
        for m in milestones[r.id]:
            fact = facts.get(m.id)
            effective = fact.effective_due if fact is not None else m.effective_due_date
            reported_on = fact.first_on if fact is not None else None
            due_of[m.id] = effective
            ms.append(
                MilestoneLight(
                    id=m.id,
                    period=m.period,
                    due=m.due_date,
                    effective_due=effective,
                    reported_on=reported_on,
                    returned=bool(fact.returned) if fact is not None else False,
                    light=Light.from_rank(int(fact.rank)) if fact is not None else Light.GREEN,
                    withdrawn_at=m.withdrawn_at,
                    withdrawn_reason=m.withdrawn_reason,
                    late=reported_on is not None and reported_on > effective,
                )
            )
        ms = detail_order(ms, as_of)
        out_resps.append(
            ResponsibilityDetail(
                id=r.id,
                agency=r.agency_key,
                agency_name=names.get(r.agency_key or "", r.name_as_written),
                name_as_written=r.name_as_written,
                jurisdiction=r.jurisdiction_code,
                role=Role(r.role),
                state=ResponsibilityState(r.state),
                light=Light.from_rank(int(light.rank)) if light is not None else Light.GREEN,
                overdue=int(light.overdue) if light is not None else 0,
                next_due=light.next_due if light is not None else None,
                template=bound[0]
                if (bound := templates.get((task.id, r.agency_key or "")))
                else task.template_key,
                templates=tuple(bound or ()),
                merged_into=merged_into.get(r.id),
                milestones=tuple(ms),
                reports=tuple(
                    ReportEntry(
                        id=rep.id,
                        milestone=rep.milestone_id,
                        version=rep.version,
                        current=rep.is_current,
                        text=rep.text,
                        indicators=dict(rep.indicators or {}),
                        submitted_by=rep.submitted_by,
                        submitted_on=rep.submitted_on,
                        review=ReviewState(rep.review_state),
                        reason=rep.review_reason,
                        late=rep.milestone_id is not None
                        and rep.milestone_id in due_of
                        and rep.submitted_on > due_of[rep.milestone_id],
                    )
                    for rep in reversed(reports[r.id])  # newest first
                ),
                findings=tuple(
                    FindingEntry(
                        id=f.id,
                        report=f.report_id,
                        severity=Severity(f.severity),
                        code=f.code,
                        message=f.message,
                        plugin=f.plugin,
                        first_seen=f.first_seen,
                        last_seen=f.last_seen,
                        resolved_on=f.resolved_on,
                    )
                    for f in findings[r.id]
                ),
                extensions=tuple(
                    ExtensionEntry(
                        id=e.id,
                        milestone=m.id,
                        period=m.period,
                        new_date=e.new_date,
                        reason=e.reason,
                        progress=e.progress,
                        state=ExtensionState(e.state),
                        requested_by=e.requested_by,
                        decision_reason=e.decision_reason,
                    )
                    for e, m in extensions[r.id]
                ),
            )
        )
    events = list_events(session, task_id=task_id, limit=audit_limit)
    if scope.agency:
        events = [e for e in events if _event_is_visible(e, out_resps)]
    links = [
        LinkedTask(
            task=t.id,
            policy=d or ti,
            number=task_number(t.section, t.number),
            text=t.text,
            confirmed=c,
        )
        for t, d, ti, c in session.execute(
            select(Task, Policy.doc_number, Policy.title, TaskLink.confirmed)
            .join(TaskLink, TaskLink.parent_task_id == Task.id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(TaskLink.child_task_id == task_id)
            .order_by(Task.policy_id, Task.position)
        )
    ]
    return TaskDetail(
        id=task.id,
        policy_id=policy.id,
        policy=policy.doc_number or policy.title,
        policy_title=policy.title,
        number=task_number(task.section, task.number),
        text=task.text,
        hidden_parties=len(all_resps) - len(resps),
        responsibilities=tuple(out_resps),
        audit=tuple(events),
        implements=tuple(links),
    )


def detail_order(milestones: list[MilestoneLight], as_of: dt.date) -> list[MilestoneLight]:
    """A responsibility's milestones in the order a coordinator reads them: the red (overdue) ones first, most
    overdue first; then the current one (the next open milestone not yet overdue, marked ``current``); then the
    past ones newest first; the later future ones last, soonest first. Withdrawn ones sit by their date."""

    def is_open(m: MilestoneLight) -> bool:
        return (m.reported_on is None or m.returned) and not m.withdrawn

    red = sorted(
        (m for m in milestones if m.light == Light.RED and not m.withdrawn),
        key=lambda m: (m.effective_due, m.id),
    )
    red_ids = {m.id for m in red}
    upcoming = sorted(
        (m for m in milestones if m.id not in red_ids and is_open(m) and m.effective_due >= as_of),
        key=lambda m: (m.effective_due, m.id),
    )
    current = [replace(upcoming[0], current=True)] if upcoming else []
    placed = red_ids | {m.id for m in current}
    past = sorted(
        (m for m in milestones if m.id not in placed and m.effective_due <= as_of),
        key=lambda m: (m.effective_due, m.id),
        reverse=True,
    )
    placed |= {m.id for m in past}
    future = sorted((m for m in milestones if m.id not in placed), key=lambda m: (m.effective_due, m.id))
    return [*red, *current, *past, *future]


def _event_is_visible(event: AuditEntry, resps: list[ResponsibilityDetail]) -> bool:
    ids = {
        "responsibility": {str(r.id) for r in resps},
        "report": {str(rep.id) for r in resps for rep in r.reports},
        "extension": {str(e.id) for r in resps for e in r.extensions},
    }
    return event.entity_id in ids.get(event.entity_type, set())


# ------------------------------------------------------------------------------------------ 部门


def department_responsibilities(
    session: Session,
    *,
    as_of: dt.date,
    warning_days: int,
    scope: Scope,
    roles: tuple[str, ...],
    text: str | None = None,
    limit: int = PAGE,
    offset: int = 0,
) -> ResponsibilityPage:
    """A page of one agency's responsibilities of the given roles, worst light first."""
    rl = scoped_lights(session, as_of, warning_days, scope).subquery("srl")
    stmt = (
        select(rl, Task.section, Task.number, Task.text, Policy.doc_number, Policy.title)
        .join(Task, Task.id == rl.c.task_id)
        .join(Policy, Policy.id == rl.c.policy_id)
        .where(rl.c.role.in_(roles))
    )
    if text and text.strip():
        pattern = _like(text.strip())
        stmt = stmt.where(
            or_(
                Task.text.like(pattern, escape="\\"),
                Policy.doc_number.like(pattern, escape="\\"),
                Policy.title.like(pattern, escape="\\"),
                Task.number.like(pattern, escape="\\"),
            )
        )
    rows = session.execute(
        stmt.order_by(rl.c.rank.desc(), rl.c.next_due, rl.c.responsibility_id).limit(limit).offset(offset)
    )
    return ResponsibilityPage(
        total=count_rows(session, stmt), rows=tuple(responsibility_light(r) for r in rows)
    )


def owed_next(session: Session, *, as_of: dt.date, scope: Scope, limit: int = 30) -> list[OwedMilestone]:
    """The open milestones of the scope in due order: what the agency owes next (overdue ones first)."""
    facts = milestone_facts(as_of).subquery("f")
    acting = acting_agency_column(as_of)
    stmt = (
        select(
            facts,
            Responsibility.agency_key,
            Responsibility.role,
            Task.section,
            Task.number,
            Task.text,
            Policy.doc_number,
            Policy.title,
        )
        .join(Responsibility, Responsibility.id == facts.c.responsibility_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .join(Task, Task.id == facts.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            Policy.superseded_by_id.is_(None),
            supervised_policy(Policy.status, Task.kind),
            or_(Responsibility.closed_on.is_(None), Responsibility.closed_on > as_of),
            or_(facts.c.first_on.is_(None), facts.c.returned),
            counted_duty(as_of),
        )
        .order_by(facts.c.effective_due, facts.c.milestone_id)
        .limit(limit)
    )
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    return [
        OwedMilestone(
            milestone=r.milestone_id,
            responsibility=r.responsibility_id,
            task=r.task_id,
            policy=r.doc_number or r.title,
            number=task_number(r.section, r.number),
            text=r.text,
            role=Role(r.role),
            period=r.period,
            effective_due=r.effective_due,
            returned=bool(r.returned),
            days_left=(r.effective_due - as_of).days,
        )
        for r in session.execute(stmt)
    ]


def findings_for(session: Session, *, scope: Scope, limit: int = 50) -> list[FindingRow]:
    """The open findings (plugin check results) on the scope's responsibilities, most recently seen first."""
    stmt = (
        select(Finding, Responsibility.task_id, Responsibility.agency_key, Task.section, Task.number)
        .join(Responsibility, Responsibility.id == Finding.responsibility_id)
        .join(Task, Task.id == Responsibility.task_id)
        .where(Finding.resolved_on.is_(None))
        .order_by(func.coalesce(Finding.last_seen, Finding.first_seen).desc(), Finding.id.desc())
        .limit(limit)
    )
    if scope.agency:
        stmt = stmt.where(Responsibility.agency_key == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    return [
        FindingRow(
            id=f.id,
            task=task_id,
            responsibility=f.responsibility_id,
            agency=agency,
            number=task_number(section, number),
            severity=Severity(f.severity),
            code=f.code,
            message=f.message,
            plugin=f.plugin,
            created_at=f.created_at,
            seen_on=f.last_seen or f.first_seen,
        )
        for f, task_id, agency, section, number in session.execute(stmt)
    ]


# ------------------------------------------------------------------------------------------ 政策


def policy_tasks(session: Session, *, policy_id: int, scope: Scope, limit: int = 500) -> list[PolicyTask]:
    """A policy's tasks, each with the parent-policy tasks it implements (TaskLink rows)."""
    stmt = (
        select(Task.id, Task.section, Task.number, Task.text)
        .where(Task.policy_id == policy_id)
        .order_by(Task.position)
        .limit(limit)
    )
    if scope.agency:
        mine = (
            select(Responsibility.id)
            .where(Responsibility.task_id == Task.id, Responsibility.agency_key == scope.agency)
            .correlate(Task)
        )
        stmt = stmt.where(mine.exists())
    tasks = session.execute(stmt).all()
    ids = [t.id for t in tasks]
    parents: dict[int, list[ParentTaskRef]] = {i: [] for i in ids}
    if ids:
        for child, section, number, doc, title, confirmed in session.execute(
            select(
                TaskLink.child_task_id,
                Task.section,
                Task.number,
                Policy.doc_number,
                Policy.title,
                TaskLink.confirmed,
            )
            .join(Task, Task.id == TaskLink.parent_task_id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(TaskLink.child_task_id.in_(ids))
            .order_by(TaskLink.id)
        ):
            parents[child].append(ParentTaskRef(doc or title, task_number(section, number), confirmed))
    return [PolicyTask(t.id, task_number(t.section, t.number), t.text, tuple(parents[t.id])) for t in tasks]


# ------------------------------------------------------------------------------------------ search


def search(session: Session, *, text: str, scope: Scope, limit: int = 20) -> list[SearchHit]:
    """Tasks, departments and policies whose name contains ``text`` (for the command palette)."""
    text = text.strip()
    if not text:
        return []
    pattern = _like(text)
    hits: list[SearchHit] = []
    agencies = select(Agency.key, Agency.name).where(
        or_(
            Agency.name.like(pattern, escape="\\"),
            Agency.key.like(pattern, escape="\\"),
            cast(Agency.names, String).like(pattern, escape="\\"),
            cast(Agency.aliases, String).like(pattern, escape="\\"),
        )
    )
    if scope.agency:
        agencies = agencies.where(Agency.key == scope.agency)
    for key, name in session.execute(agencies.order_by(Agency.key).limit(limit)):
        hits.append(SearchHit("department", key, name))
    policies = select(Policy.id, Policy.doc_number, Policy.title).where(
        Policy.superseded_by_id.is_(None),
        or_(Policy.title.like(pattern, escape="\\"), Policy.doc_number.like(pattern, escape="\\")),
    )
    for pid, doc, title in session.execute(policies.order_by(Policy.id).limit(limit)):
        hits.append(SearchHit("policy", pid, title, policy=doc))
    tasks = (
        select(Task.id, Task.section, Task.number, Task.text, Policy.doc_number, Policy.title)
        .join(Policy, Policy.id == Task.policy_id)
        .where(Policy.superseded_by_id.is_(None), Task.text.like(pattern, escape="\\"))
    )
    if scope.agency:
        mine = select(Responsibility.id).where(
            Responsibility.task_id == Task.id, Responsibility.agency_key == scope.agency
        )
        if scope.jurisdiction:
            mine = mine.where(Responsibility.jurisdiction_code == scope.jurisdiction)
        tasks = tasks.where(mine.correlate(Task).exists())
    for tid, section, number, body, doc, title in session.execute(
        tasks.order_by(Task.policy_id, Task.position).limit(limit)
    ):
        hits.append(SearchHit("task", tid, body, policy=doc or title, number=task_number(section, number)))
    return hits


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """3 → 三, 12 → 十二, 20 → 二十, 35 → 三十五 (task numbers stay below a hundred)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _number_forms(text: str) -> set[str]:
    """The ways a task number may be written: 3 and 三; 2.3, 二.三 and 二、三 for a sectioned one."""
    cleaned = text.strip().strip("（）()、。. ").replace("、", ".").replace("．", ".")
    parts = [p for p in cleaned.split(".") if p]
    if not parts:
        return set()
    forms = {cleaned}
    chinese = [_chinese_number(int(p)) if p.isdigit() and int(p) < 100 else p for p in parts]
    forms.add(".".join(chinese))
    return forms


def find_task_ref(session: Session, *, text: str, scope: Scope, limit: int = 5) -> list[SearchHit]:
    """Tasks named by "政策 编号" — a policy's doc number (or part of it, or of its title) and a task number:
    ``民发〔2019〕86号 3`` finds task 三 of 民发〔2019〕86号 (for the command palette's jump)."""
    parts = text.split()
    if len(parts) < 2:
        return []
    doc, forms = " ".join(parts[:-1]), _number_forms(parts[-1])
    if not forms:
        return []
    pattern = _like(doc)
    policies = session.execute(
        select(Policy.id, Policy.doc_number, Policy.title)
        .where(
            Policy.superseded_by_id.is_(None),
            or_(Policy.doc_number.like(pattern, escape="\\"), Policy.title.like(pattern, escape="\\")),
        )
        .order_by(Policy.id)
        .limit(limit)
    ).all()
    if not policies:
        return []
    label = {pid: d or t for pid, d, t in policies}
    tasks = select(Task.id, Task.policy_id, Task.section, Task.number, Task.text).where(
        Task.policy_id.in_(list(label))
    )
    if scope.agency:
        mine = select(Responsibility.id).where(
            Responsibility.task_id == Task.id, Responsibility.agency_key == scope.agency
        )
        if scope.jurisdiction:
            mine = mine.where(Responsibility.jurisdiction_code == scope.jurisdiction)
        tasks = tasks.where(mine.correlate(Task).exists())
    hits = []
    for tid, pid, section, number, body in session.execute(tasks.order_by(Task.policy_id, Task.position)):
        full = task_number(section, number)
        if full in forms or (number in forms and not any("." in f for f in forms)):
            hits.append(SearchHit("task", tid, body, policy=label[pid], number=full))
        if len(hits) >= limit:
            break
    return hits


def audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def pending_for_review(session: Session, *, task_id: int) -> list[PendingReport]:
    """Current reports of a task waiting for 复核."""
    rows = session.execute(
        select(Report, Responsibility.name_as_written)
        .join(Responsibility, Responsibility.id == Report.responsibility_id)
        .where(
            Responsibility.task_id == task_id,
            Report.is_current.is_(True),
            Report.review_state == ReviewState.SUBMITTED,
        )
        .order_by(Report.id)
    )
    return [
        PendingReport(
            id=r.id,
            responsibility=r.responsibility_id,
            party=name,
            version=r.version,
            submitted_on=r.submitted_on,
            text=r.text,
        )
        for r, name in rows
    ]


def pending_extensions(session: Session, *, task_id: int) -> list[PendingExtension]:
    """Extension requests on a task's milestones waiting for a decision."""
    rows = session.execute(
        select(Extension, Milestone, Responsibility.name_as_written)
        .join(Milestone, Milestone.id == Extension.milestone_id)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
        .where(and_(Milestone.task_id == task_id, Extension.state == ExtensionState.PENDING))
        .order_by(Extension.id)
    )
    return [
        PendingExtension(
            id=e.id,
            milestone=m.id,
            period=m.period,
            party=name,
            due=m.effective_due_date,
            new_date=e.new_date,
            reason=e.reason,
        )
        for e, m, name in rows
    ]


def scope_allows_task(session: Session, *, actor: Actor, scope: Scope, task_id: int) -> bool:
    """Whether the task has a responsibility in the scope (always true for coordinators and viewers)."""
    if not scope.agency:
        return True
    stmt = select(Responsibility.id).where(
        Responsibility.task_id == task_id, Responsibility.agency_key == scope.agency
    )
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    return session.scalar(stmt.limit(1)) is not None
