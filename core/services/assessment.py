"""考核: score every department for a period with a scheme found through the plugin host.

The facts are computed in SQL: one row per responsibility (GROUP BY) with the milestones assessed, on time
and overdue (with the days late summed), the returned reports, the milestones still red and the error
findings, plus the ids behind each count. The scheme (``ScoringSchemeSpec.compute``) turns them into terms
and a grade; the evidence rows (what a milestone's due date was, why a report was returned …) are fetched
page by page of responsibilities, never all at once for the totals.

A period (2025, 2025-H1, 2025-Q3) covers the milestones whose effective due date — the original one, or the
date of an extension approved by the assessment day — falls in it, as of the period's end (or ``as_of``).
``freeze`` stores a result with its sha256, which also goes into the audit journal; ``show`` reproduces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from duban.config import shipped_defaults
from duban.domain.progress import ProgressCallback
from duban.domain.scoring import (
    DepartmentFacts,
    DepartmentScore,
    MilestoneFacts,
    Period,
    RefKind,
    TaskFacts,
    rank,
)
from duban.domain.vocabulary import Role, Severity
from duban.errors import DubanError, NotFoundError, PermissionDenied, PluginError, ValidationError
from duban.hookspecs import ExporterSpec, ScoringSchemeSpec
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.assessment_results import (
    AssessmentResult,
    DepartmentResult,
    EvidenceKind,
    EvidenceRow,
    FrozenAssessment,
    FrozenStamp,
)
from duban.services.calendar import working_calendar
from duban.services.clock import DEFAULT_TZ
from duban.services.dashboard_results import DepartmentRanking
from duban.services.identity import Actor, require_coordinator
from duban.services.responsibility_checks import run_responsibility_checks
from duban.services.status import Scope
from duban.storage.models import (
    Agency,
    Assessment,
    AuditEvent,
    Extension,
    Finding,
    Jurisdiction,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    utcnow,
)
from duban.storage.queries import acting_agency_column, counted_duty, milestone_facts

#: evidence rows (about) per page when fetching them by id
EVIDENCE_PAGE = 2000


class TamperedError(DubanError):
    """A frozen assessment no longer matches its hash (same exit code as ``duban audit verify``)."""

    exit_code = 12


class days_between(FunctionElement[int]):
    """Whole days from ``earlier`` to ``later`` (two dates) on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"CAST(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}) AS INTEGER)"


@dataclass(frozen=True)
class AssessScope:
    period: Period
    as_of: dt.date
    jurisdiction: str | None = None
    agency: str | None = None
    #: a 配合 duty closes with its task's 办结 (every lead duty of the task in that jurisdiction closed)
    support_closes_with_task: bool = True


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


# ------------------------------------------------------------------------------------------------ SQL facts


def _milestone_rows(scope: AssessScope) -> Select[Any]:
    """One row per milestone of the period with its flags (assessed, on time, overdue, days late, red,
    extended) and the day its duty closed (办结) as seen on the assessment day.

    An extension moves the due date only when it was approved by the original due date: one approved later
    never erases lateness (the original date stands). A closed duty stops accruing: an unreported
    milestone's lateness runs to the closing day, it is never red, and milestones due after it are not
    assessed; a 配合 duty closes with its task (``support_closes_with_task``).
    """
    f = milestone_facts(scope.as_of).subquery("f")
    as_of = literal(scope.as_of, Date)
    original = Milestone.__table__.alias("orig")
    ext = (
        select(Extension.milestone_id, func.max(Extension.new_date).label("new_due"))
        .join(original, original.c.id == Extension.milestone_id)
        .where(
            Extension.state == "approved",
            Extension.decided_on <= scope.as_of,
            Extension.decided_on <= original.c.due_date,
        )
        .group_by(Extension.milestone_id)
        .subquery("ext_in_time")
    )
    eff = func.coalesce(ext.c.new_due, f.c.due_date)
    own_closed = and_(Responsibility.closed_on.is_not(None), Responsibility.closed_on <= scope.as_of)
    close_day: Any = case((own_closed, Responsibility.closed_on), else_=None)
    lead = Responsibility.__table__.alias("lead_duty")
    task_close = None
    if scope.support_closes_with_task:
        task_close = (
            select(
                lead.c.task_id,
                lead.c.jurisdiction_code,
                func.max(lead.c.closed_on).label("closed_on"),
            )
            .where(lead.c.role == Role.LEAD)
            .group_by(lead.c.task_id, lead.c.jurisdiction_code)
            .having(func.count() == func.sum(case((lead.c.closed_on <= scope.as_of, 1), else_=0)))
            .subquery("task_close")
        )
        tc = task_close.c.closed_on
        close_day = case(
            (and_(tc.is_not(None), or_(~own_closed, tc < Responsibility.closed_on)), tc),
            (own_closed, Responsibility.closed_on),
            else_=None,
        )
    closed = close_day.is_not(None)
    unreported_past_due = and_(f.c.first_on.is_(None), eff < as_of)
    on_time = and_(f.c.first_on.is_not(None), f.c.first_on <= eff)
    overdue = or_(unreported_past_due, f.c.first_on > eff)
    until = func.coalesce(f.c.first_on, case((and_(closed, close_day < as_of), close_day), else_=as_of))
    acting = acting_agency_column(scope.as_of)
    stmt = (
        select(
            f.c.milestone_id,
            f.c.responsibility_id,
            f.c.task_id,
            f.c.period,
            f.c.due_date,
            eff.label("effective_due"),
            f.c.first_on,
            f.c.returned,
            acting.label("agency"),
            Responsibility.jurisdiction_code.label("jurisdiction"),
            Responsibility.role,
            close_day.label("closed_on"),
            case((or_(eff < as_of, f.c.first_on.is_not(None)), 1), else_=0).label("assessed"),
            case((on_time, 1), else_=0).label("on_time"),
            case((overdue, 1), else_=0).label("overdue"),
            case((overdue, days_between(until, eff)), else_=0).label("days_late"),
            case((and_(~closed, or_(f.c.returned, unreported_past_due)), 1), else_=0).label("red"),
            case((and_(ext.c.new_due.is_not(None), ext.c.new_due != f.c.due_date), 1), else_=0).label(
                "extended"
            ),
        )
        .join(Responsibility, Responsibility.id == f.c.responsibility_id)
        .join(Task, Task.id == f.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .outerjoin(ext, ext.c.milestone_id == f.c.milestone_id)
    )
    if task_close is not None:
        stmt = stmt.outerjoin(
            task_close,
            and_(
                Responsibility.role == Role.SUPPORT,
                task_close.c.task_id == Responsibility.task_id,
                task_close.c.jurisdiction_code.is_not_distinct_from(Responsibility.jurisdiction_code),
            ),
        )
    stmt = stmt.where(
        eff >= scope.period.start,
        eff <= scope.period.end,
        # as duban status: drafts (征求意见稿), withdrawn and superseded documents are not supervised
        Policy.status == "in_force",
        Policy.superseded_by_id.is_(None),
        Responsibility.agency_key.is_not(None),
        # work that ended with 办结 is not assessed for milestones due after it was closed
        or_(~closed, eff <= close_day),
        # after a succession each task weighs once for the successor (duban.domain.succession)
        counted_duty(scope.as_of),
    )
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    return stmt


def _utc_bounds(day: dt.date, tz: str) -> dt.datetime:
    """The UTC instant at which local ``day`` begins."""
    return dt.datetime.combine(day, dt.time(0), ZoneInfo(tz)).astimezone(dt.UTC)


def _ids(column: Any, flag: Any) -> Any:
    return func.aggregate_strings(case((flag, cast(column, String)), else_=None), ",")


def _pair(key: Any, milestone: Any) -> Any:
    """``id:milestone id`` (``id:`` when there is no milestone), aggregated with :func:`_ids`."""
    return cast(key, String).concat(":").concat(func.coalesce(cast(milestone, String), ""))


def _facts_query(scope: AssessScope, tz: str) -> Select[Any]:
    m = _milestone_rows(scope).cte("m")
    ms = (
        select(
            m.c.responsibility_id,
            m.c.task_id,
            m.c.agency,
            m.c.jurisdiction,
            m.c.role,
            func.sum(m.c.assessed).label("due"),
            func.sum(m.c.on_time).label("on_time"),
            func.sum(1 - m.c.assessed).label("pending"),
            func.sum(m.c.overdue).label("overdue"),
            func.sum(m.c.days_late).label("days_late"),
            func.sum(m.c.red).label("red"),
            _ids(m.c.milestone_id, m.c.overdue == 1).label("overdue_ids"),
            _ids(m.c.milestone_id, m.c.red == 1).label("red_ids"),
            func.sum(m.c.extended).label("extended"),
            _ids(m.c.milestone_id, m.c.extended == 1).label("extended_ids"),
            func.max(m.c.closed_on).label("closed_on"),
        )
        .group_by(m.c.responsibility_id, m.c.task_id, m.c.agency, m.c.jurisdiction, m.c.role)
        .subquery("ms")
    )
    is_returned = and_(Report.review_state == "returned", Report.reviewed_on <= scope.as_of)
    ret = (
        select(
            Report.responsibility_id,
            func.count().label("reports"),
            func.sum(case((is_returned, 1), else_=0)).label("returned"),
            _ids(_pair(Report.id, Report.milestone_id), is_returned).label("returned_ids"),
        )
        .join(m, m.c.milestone_id == Report.milestone_id)
        .where(Report.submitted_on <= scope.as_of)
        .group_by(Report.responsibility_id)
        .subquery("ret")
    )
    end_utc = _utc_bounds(scope.as_of + dt.timedelta(days=1), tz)
    is_error, is_warning = Finding.severity == Severity.ERROR, Finding.severity == Severity.WARNING
    err = (
        select(
            Finding.responsibility_id,
            func.sum(case((is_error, 1), else_=0)).label("errors"),
            _ids(_pair(Finding.id, Finding.milestone_id), is_error).label("error_ids"),
            func.sum(case((is_warning, 1), else_=0)).label("warnings"),
            _ids(_pair(Finding.id, Finding.milestone_id), is_warning).label("warning_ids"),
        )
        .where(
            Finding.severity.in_((Severity.ERROR, Severity.WARNING)),
            Finding.responsibility_id.in_(select(m.c.responsibility_id)),
            or_(
                # a report's finding: on a milestone assessed in the period, or made in the period
                and_(
                    Finding.report_id.is_not(None),
                    Finding.created_at < end_utc,
                    or_(
                        Finding.milestone_id.in_(select(m.c.milestone_id)),
                        and_(
                            Finding.milestone_id.is_(None),
                            Finding.created_at >= _utc_bounds(scope.period.start, tz),
                            Finding.created_at < _utc_bounds(scope.period.end + dt.timedelta(days=1), tz),
                        ),
                    ),
                ),
                # a responsibility finding (the checks across milestones): open at some time in the period,
                # as seen by the assessment day
                and_(
                    Finding.report_id.is_(None),
                    Finding.first_seen <= min(scope.as_of, scope.period.end),
                    or_(Finding.resolved_on.is_(None), Finding.resolved_on > scope.period.start),
                ),
            ),
        )
        .group_by(Finding.responsibility_id)
        .subquery("err")
    )
    return (
        select(
            ms,
            Task.section,
            Task.number,
            Policy.doc_number,
            Policy.title,
            func.coalesce(ret.c.reports, 0).label("reports"),
            func.coalesce(ret.c.returned, 0).label("returned"),
            ret.c.returned_ids,
            func.coalesce(err.c.errors, 0).label("errors"),
            err.c.error_ids,
            func.coalesce(err.c.warnings, 0).label("warnings"),
            err.c.warning_ids,
        )
        .join(Task, Task.id == ms.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(ret, ret.c.responsibility_id == ms.c.responsibility_id)
        .outerjoin(err, err.c.responsibility_id == ms.c.responsibility_id)
        .order_by(ms.c.agency, ms.c.jurisdiction, ms.c.task_id, ms.c.responsibility_id)
    )


def _split(ids: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(i) for i in ids.split(","))) if ids else ()


def _split_pairs(ids: str | None) -> tuple[tuple[int, int | None], ...]:
    """``12:34,13:`` → ((12, 34), (13, None)), sorted by the first id."""
    if not ids:
        return ()
    pairs = (i.partition(":") for i in ids.split(","))
    return tuple(sorted((int(a), int(b) if b else None) for a, _sep, b in pairs))


def _task_label(doc_number: str | None, title: str, section: str | None, number: str) -> str:
    """The task as a department finds it: the policy's number (its full title when it has none) and the
    task's number — never cut."""
    return f"{doc_number or title} {section + '.' if section else ''}{number}"


def _working_day_counter(session: Session, days: Iterable[dt.date]) -> Any:
    """``count(a, b)``: working days after ``a`` up to and including ``b`` (the statutory calendar with
    调休), by a prefix sum over the span of the days given."""
    span = sorted(set(days))
    if not span:
        return lambda a, b: 0
    cal = working_calendar(session, span[0].year, span[-1].year)
    prefix: dict[dt.date, int] = {}
    n, day = 0, span[0]
    while day <= span[-1]:
        n += cal.is_working_day(day)
        prefix[day] = n
        day += dt.timedelta(days=1)
    return lambda a, b: max(prefix[b] - prefix[a], 0)


def _flagged_milestones(session: Session, scope: AssessScope) -> dict[int, list[MilestoneFacts]]:
    """The milestones behind a deduction (overdue, red, extended, or with a returned report or a finding),
    per responsibility, with their working days late."""
    m = _milestone_rows(scope).subquery("m")
    with_rows = or_(
        m.c.milestone_id.in_(select(Report.milestone_id).where(Report.review_state == "returned")),
        m.c.milestone_id.in_(
            select(Finding.milestone_id).where(Finding.severity.in_((Severity.ERROR, Severity.WARNING)))
        ),
    )
    rows = session.execute(
        select(m).where(or_(m.c.overdue == 1, m.c.red == 1, m.c.extended == 1, with_rows))
    ).all()
    ends = [
        (r, r.first_on or (r.closed_on if r.closed_on and r.closed_on < scope.as_of else scope.as_of))
        for r in rows
    ]
    count = _working_day_counter(session, [d for r, end in ends if r.overdue for d in (r.effective_due, end)])
    out: dict[int, list[MilestoneFacts]] = {}
    for r, end in ends:
        out.setdefault(r.responsibility_id, []).append(
            MilestoneFacts(
                id=r.milestone_id,
                period=r.period,
                due=r.due_date,
                effective_due=r.effective_due,
                reported_on=r.first_on,
                overdue=bool(r.overdue),
                red=bool(r.red),
                extended=bool(r.extended),
                days_late=int(r.days_late or 0),
                working_days_late=count(r.effective_due, end) if r.overdue else 0,
            )
        )
    return out


def department_facts(session: Session, scope: AssessScope, *, tz: str = DEFAULT_TZ) -> list[DepartmentFacts]:
    """The facts of every department in scope: one SQL query aggregated per responsibility, and one for the
    details of the milestones behind a deduction."""
    flagged = _flagged_milestones(session, scope)
    grouped: dict[tuple[str, str | None], list[TaskFacts]] = {}
    for r in session.execute(_facts_query(scope, tz)):
        returned = _split_pairs(r.returned_ids)
        errors, warnings = _split_pairs(r.error_ids), _split_pairs(r.warning_ids)
        grouped.setdefault((r.agency, r.jurisdiction), []).append(
            TaskFacts(
                responsibility_id=r.responsibility_id,
                task_id=r.task_id,
                task=_task_label(r.doc_number, r.title, r.section, r.number),
                role=r.role,
                due=int(r.due or 0),
                on_time=int(r.on_time or 0),
                pending=int(r.pending or 0),
                overdue=int(r.overdue or 0),
                days_late=int(r.days_late or 0),
                returned=int(r.returned or 0),
                red=int(r.red or 0),
                errors=int(r.errors or 0),
                overdue_refs=_split(r.overdue_ids),
                returned_refs=tuple(i for i, _m in returned),
                red_refs=_split(r.red_ids),
                error_refs=tuple(i for i, _m in errors),
                warnings=int(r.warnings or 0),
                warning_refs=tuple(i for i, _m in warnings),
                reports=int(r.reports or 0),
                extended=int(r.extended or 0),
                extended_refs=_split(r.extended_ids),
                closed_on=r.closed_on,
                milestones=tuple(sorted(flagged.get(r.responsibility_id, ()), key=lambda x: x.id)),
                report_milestones=tuple((i, mid) for i, mid in returned if mid is not None),
                finding_milestones=tuple((i, mid) for i, mid in (*errors, *warnings) if mid is not None),
            )
        )
    agency_names = {k: n for k, n in session.execute(select(Agency.key, Agency.name))}
    codes = {j for _a, j in grouped if j}
    jur_names = (
        {
            c: n
            for c, n in session.execute(
                select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))
            )
        }
        if codes
        else {}
    )
    return [
        DepartmentFacts(
            agency, agency_names.get(agency, agency), jur, jur_names.get(jur or "", jur or "—"), tuple(tasks)
        )
        for (agency, jur), tasks in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


# ------------------------------------------------------------------------------------------------ evidence


def evidence_page(
    session: Session, scope: AssessScope, departments: Sequence[DepartmentFacts], *, tz: str = DEFAULT_TZ
) -> list[EvidenceRow]:
    """The milestones, reports and findings behind the deductions of a page of departments.

    The ids come from the facts (each term's refs); the rows are looked up by primary key, so a page costs
    the same whatever the size of the database.
    """
    tasks = [(d, t) for d in departments for t in d.tasks]
    rids = sorted({i for _d, t in tasks for i in t.returned_refs})
    fids = sorted({i for _d, t in tasks for i in (*t.error_refs, *t.warning_refs)})
    miles = {m.id: m for _d, t in tasks for m in t.milestones}
    reports = (
        {
            r.id: r
            for r in session.execute(
                select(
                    Report.id,
                    Report.version,
                    Report.submitted_on,
                    Report.reviewed_on,
                    Report.review_reason,
                    Milestone.period,
                    Milestone.due_date,
                    Milestone.effective_due_date,
                )
                .join(Milestone, Milestone.id == Report.milestone_id)
                .where(Report.id.in_(rids))
            )
        }
        if rids
        else {}
    )
    findings = (
        {
            r.id: r
            for r in session.execute(
                select(
                    Finding.id,
                    Finding.milestone_id,
                    Finding.plugin,
                    Finding.code,
                    Finding.message,
                    Finding.created_at,
                    Finding.report_id,
                    Finding.first_seen,
                    Finding.resolved_on,
                ).where(Finding.id.in_(fids))
            )
        }
        if fids
        else {}
    )
    rows: list[EvidenceRow] = []
    for d, t in tasks:

        def row(
            kind: EvidenceKind,
            ref_kind: RefKind,
            ref_id: int,
            *,
            period: str | None = None,
            due: dt.date | None = None,
            effective_due: dt.date | None = None,
            reported_on: dt.date | None = None,
            days_late: int | None = None,
            detail: str,
            d: DepartmentFacts = d,
            t: TaskFacts = t,
        ) -> EvidenceRow:
            return EvidenceRow(
                d.agency,
                d.jurisdiction,
                t.task_id,
                t.task,
                Role(t.role),
                t.responsibility_id,
                kind,
                ref_kind,
                ref_id,
                period,
                due,
                effective_due,
                reported_on,
                days_late,
                detail,
            )

        milestone_kinds: tuple[tuple[EvidenceKind, tuple[int, ...]], ...] = (
            ("overdue", t.overdue_refs),
            ("red", t.red_refs),
            ("extended", t.extended_refs),
        )
        for kind, ids in milestone_kinds:
            for mid in ids:
                m = miles[mid]
                late = m.days_late or None
                ext_note = f"（已批准延期至 {m.effective_due}）" if m.effective_due != m.due else ""
                if kind == "overdue":
                    if m.reported_on:
                        detail = f"{m.reported_on} 报送，晚于有效到期日 {late} 天"
                    elif t.closed_on and t.closed_on < scope.as_of:
                        detail = f"未报送，至 {t.closed_on} 办结时已逾期 {late} 天（办结后不再累计）"
                    else:
                        detail = f"截至 {scope.as_of} 未报送，已逾期 {late} 天"
                    detail += f"，{m.working_days_late} 个工作日" + ext_note
                elif kind == "red":
                    detail = (
                        "最新报送已被退回，尚未重新报送" if m.reported_on else f"截至 {scope.as_of} 逾期未报"
                    )
                else:
                    detail = f"原到期日 {m.due}，经批准延期至 {m.effective_due}（延期按小额代价计）"
                rows.append(
                    row(
                        kind,
                        "milestone",
                        mid,
                        period=m.period,
                        due=m.due,
                        effective_due=m.effective_due,
                        reported_on=m.reported_on,
                        days_late=late
                        if kind == "overdue" or (kind == "red" and not m.reported_on)
                        else None,
                        detail=detail,
                    )
                )
        for rid in t.returned_refs:
            r = reports[rid]
            rows.append(
                row(
                    "returned",
                    "report",
                    rid,
                    period=r.period,
                    due=r.due_date,
                    reported_on=r.submitted_on,
                    detail=f"第 {r.version} 版于 {r.reviewed_on} 被退回：{r.review_reason or ''}",
                )
            )
        findings_of: tuple[tuple[EvidenceKind, tuple[int, ...]], ...] = (
            ("error", t.error_refs),
            ("warning", t.warning_refs),
        )
        for kind, fids_of in findings_of:
            for fid in fids_of:
                f = findings[fid]
                seen = (
                    f.created_at.astimezone(ZoneInfo(tz)).date() if f.report_id is not None else f.first_seen
                )
                rows.append(
                    row(
                        kind,
                        "finding",
                        fid,
                        reported_on=seen,
                        detail=f"{f.plugin}/{f.code}：{f.message}"
                        + (f"（节点#{f.milestone_id}）" if f.milestone_id else "")
                        + (f"（{f.resolved_on} 已消除）" if f.resolved_on else ""),
                    )
                )
    return rows


def _evidence(
    session: Session, scope: AssessScope, facts: Sequence[DepartmentFacts], tz: str
) -> list[EvidenceRow]:
    """Evidence of every department, fetched a page of departments (about EVIDENCE_PAGE rows) at a time."""
    out: list[EvidenceRow] = []
    page: list[DepartmentFacts] = []
    size = 0
    for d in facts:
        page.append(d)
        size += sum(t.overdue + t.red + t.returned + t.errors + t.warnings + t.extended for t in d.tasks)
        if size >= EVIDENCE_PAGE:
            out.extend(evidence_page(session, scope, page, tz=tz))
            page, size = [], 0
    out.extend(evidence_page(session, scope, page, tz=tz))
    return out


# ------------------------------------------------------------------------------------------------ schemes


def find_scheme(host: PluginHost, name: str) -> ScoringSchemeSpec:
    schemes = host.scoring_schemes()
    for spec in schemes:
        if spec.name == name:
            return spec
    known = "、".join(sorted(s.name for s in schemes)) or "无（没有已安装的考核方案插件）"
    faults = [
        f"{f.plugin}（{f.error}）"
        for f in host.faults
        if f.stage in ("load", "duban_register_scoring_schemes")
    ]
    hint = f"；出错的插件：{'；'.join(faults)}" if faults else ""
    raise NotFoundError(f"没有名为 {name} 的考核方案；可用的方案：{known}{hint}")


def find_exporter(host: PluginHost, name: str) -> ExporterSpec:
    exporters = host.exporters()
    for spec in exporters:
        if spec.name == name:
            return spec
    raise NotFoundError(
        f"没有名为 {name} 的导出格式；可用的格式：{'、'.join(e.name for e in exporters) or '无'}"
    )


def _run_scheme(
    spec: ScoringSchemeSpec, facts: list[DepartmentFacts], config: Mapping[str, Any]
) -> dict[tuple[str, str | None], DepartmentScore]:
    try:
        scores = list(spec.compute(facts, config))
        for s in scores:
            if not isinstance(s, DepartmentScore):
                raise TypeError(f"compute returned {type(s).__name__}, expected DepartmentScore")
    except Exception as exc:  # a scheme is plugin code: name it, never crash with a traceback
        raise PluginError(f"考核方案 {spec.name} 计算出错：{type(exc).__name__}: {exc}") from exc
    return {(s.agency, s.jurisdiction): s for s in scores}


def _with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The [scoring] table over the shipped one, so a scheme always finds every documented key."""

    def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in over.items():
            out[key] = (
                merge(out[key], value)
                if isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
                else value
            )
        return out

    return merge(shipped_defaults().get("scoring", {}), config)


def _canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _for_actor(result: AssessmentResult, actor: Actor | None) -> AssessmentResult:
    """A department user sees only their own agency (in their jurisdiction)."""
    if actor is None or actor.role != "department":
        return result

    def mine(row: DepartmentResult | EvidenceRow) -> bool:
        return row.agency == actor.agency_key and (
            not actor.jurisdiction_code or row.jurisdiction == actor.jurisdiction_code
        )

    return replace(
        result,
        departments=tuple(d for d in result.departments if mine(d)),
        evidence=tuple(e for e in result.evidence if mine(e)),
        visible_to=actor.name,
    )


def _no_progress(advance: int, /, total: int | None = None) -> None:
    """The progress callback of a caller that passed none."""


def assess(
    session: Session,
    *,
    actor: Actor | None,
    host: PluginHost,
    period: str | Period,
    config: Mapping[str, Any],
    scheme: str | None = None,
    jurisdiction: str | None = None,
    as_of: dt.date | None = None,
    evidence: bool = True,
    tz: str = DEFAULT_TZ,
    progress: ProgressCallback | None = None,
) -> AssessmentResult:
    """Score the departments in scope for ``period`` (with the evidence behind the deductions unless not
    wanted).

    ``progress`` hears of each step (the responsibility checks, the facts, the scheme, the evidence).

    ``config`` is the ``[scoring]`` table. A department user's result holds only their own agency (ranked
    among the departments of their jurisdiction).
    """
    per = parse_period(period) if isinstance(period, str) else period
    config = _with_defaults(config)
    if actor is not None and actor.role == "department":
        if not actor.agency_key:
            raise PermissionDenied(f"{actor.label()} 没有所属部门，不能查看考核")
        jurisdiction = actor.jurisdiction_code or jurisdiction
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFoundError(f"没有代码为 {jurisdiction} 的行政区划")
    name = scheme or str(config.get("scheme") or "default")
    spec = find_scheme(host, name)
    own = config.get(spec.name)
    closes = (own if isinstance(own, Mapping) else {}).get(
        "support_closes_with_task", config.get("support_closes_with_task", True)
    )
    scope = AssessScope(per, as_of or per.end, jurisdiction, support_closes_with_task=bool(closes))
    step = progress or _no_progress
    step(0, 4 if evidence else 3)
    # the responsibility checks as of the assessment day, so that the findings term counts what they find
    run_responsibility_checks(
        session, host=host, as_of=scope.as_of, scope=Scope(jurisdiction=jurisdiction), actor=actor, tz=tz
    )
    step(1)
    facts = department_facts(session, scope, tz=tz)
    step(1)
    scores = _run_scheme(spec, facts, config)
    step(1)
    scored: list[tuple[DepartmentFacts, DepartmentScore]] = []
    for d in facts:
        s = scores.get((d.agency, d.jurisdiction))
        if s is None:
            raise PluginError(f"考核方案 {spec.name} 没有给出 {d.agency_name}（{d.jurisdiction_name}）的得分")
        scored.append((d, s))
    scored.sort(
        key=lambda ds: (
            ds[1].score is None,
            -(ds[1].score or 0.0),
            ds[0].agency,
            ds[0].jurisdiction or "",
        )
    )
    ranks = rank([{"score": s.score} for _d, s in scored])
    rows = tuple(
        DepartmentResult(
            agency=d.agency,
            agency_name=d.agency_name,
            jurisdiction=d.jurisdiction,
            jurisdiction_name=d.jurisdiction_name,
            score=s.score,
            grade=s.grade,
            due=d.due,
            on_time=d.on_time,
            pending=sum(t.pending for t in d.tasks),
            on_time_rate=round(d.on_time_rate, 4) if d.on_time_rate is not None else None,
            terms=tuple(s.terms),
            rank=n,
        )
        for (d, s), n in zip(scored, ranks, strict=True)
    )
    evidence_rows: tuple[EvidenceRow, ...] = ()
    if evidence:
        mine = facts
        if actor is not None and actor.role == "department":
            mine = [d for d in facts if d.agency == actor.agency_key]
        evidence_rows = tuple(_evidence(session, scope, mine, tz))
        step(1)
    jur = session.get(Jurisdiction, jurisdiction) if jurisdiction else None
    result = AssessmentResult(
        period=per.label,
        start=per.start,
        end=per.end,
        as_of=scope.as_of,
        scheme=spec.name,
        scheme_title=spec.title,
        jurisdiction=jurisdiction,
        jurisdiction_name=jur.name if jur else None,
        config=json.loads(_canonical(dict(config))),
        departments_total=len(rows),
        departments=rows,
        evidence=evidence_rows,
    )
    return _for_actor(result, actor)


# ------------------------------------------------------------------------------------------------ freezing


def freeze(
    session: Session,
    *,
    actor: Actor,
    host: PluginHost,
    period: str,
    config: Mapping[str, Any],
    scheme: str | None = None,
    jurisdiction: str | None = None,
    as_of: dt.date | None = None,
    tz: str = DEFAULT_TZ,
    at: dt.datetime | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[int, AssessmentResult]:
    """Compute and store (publish) an assessment; its sha256 goes into the audit journal. Coordinators only."""
    require_coordinator(actor, "冻结（发布）考核结果")
    result = assess(
        session,
        actor=actor,
        host=host,
        period=period,
        config=config,
        scheme=scheme,
        jurisdiction=jurisdiction,
        as_of=as_of,
        evidence=True,
        tz=tz,
        progress=progress,
    )
    text = _canonical(result.to_json())
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    row = Assessment(
        period=result.period,
        scheme=result.scheme,
        jurisdiction_code=jurisdiction,
        as_of=result.as_of,
        params=dict(result.config),
        result=text,
        sha256=digest,
        frozen_by=actor.name,
        frozen_at=at or utcnow(),
    )
    session.add(row)
    session.flush()
    event = audit.record(
        session,
        actor=actor.name,
        action="assessment.freeze",
        entity_type="assessment",
        entity_id=row.id,
        at=at,
        after={
            "period": row.period,
            "scheme": row.scheme,
            "jurisdiction": jurisdiction,
            "as_of": result.as_of.isoformat(),
            "departments": len(result.departments),
            "sha256": digest,
        },
    )
    return row.id, _with_frozen(result, row, event.seq)


def _with_frozen(result: AssessmentResult, row: Assessment, audit_seq: int | None = None) -> AssessmentResult:
    return replace(result, frozen=FrozenStamp(row.id, row.sha256, row.frozen_by, row.frozen_at, audit_seq))


def show(session: Session, *, actor: Actor | None, assessment_id: int) -> AssessmentResult:
    """A frozen assessment exactly as published, after checking it against its hash and the audit journal."""
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise NotFoundError(f"没有编号为 {assessment_id} 的已冻结考核（见 duban assess list）")
    digest = hashlib.sha256(row.result.encode("utf-8")).hexdigest()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "assessment",
            AuditEvent.entity_id == str(row.id),
            AuditEvent.action == "assessment.freeze",
        )
    ).first()
    recorded = (event.after or {}).get("sha256") if event else None
    if digest != row.sha256 or recorded != row.sha256:
        raise TamperedError(
            f"已冻结考核 #{row.id} 的内容与其哈希不符（审计日志记录 {recorded or '无'}，"
            f"现为 {digest}）：结果已被修改"
        )
    published = AssessmentResult.from_json(json.loads(row.result))
    return _for_actor(_with_frozen(published, row, event.seq if event else None), actor)


def list_frozen(session: Session) -> list[FrozenAssessment]:
    """The frozen (published) results, newest first."""
    stmt = select(Assessment).order_by(Assessment.id.desc())
    return [
        FrozenAssessment(
            id=a.id,
            period=a.period,
            scheme=a.scheme,
            jurisdiction=a.jurisdiction_code,
            as_of=a.as_of,
            sha256=a.sha256,
            frozen_by=a.frozen_by,
            frozen_at=a.frozen_at,
        )
        for a in session.scalars(stmt)
    ]


# ------------------------------------------------------------------------------------------------ export


def export(
    host: PluginHost,
    result: AssessmentResult,
    *,
    fmt: str,
    path: Path,
    trend: DepartmentRanking | None = None,
) -> Path:
    """Write ``result`` with the exporter plugin named ``fmt``; exporters receive its ``to_json()``, the plain
    data of ``duban assess --json`` (the plugin API stays JSON data, not duban's classes), with ``trend``
    (:func:`duban.services.dashboard.assessment_trend`, for the charts) under the key ``trend`` when given."""
    spec = find_exporter(host, fmt)
    data = result.to_json()
    if trend is not None:
        data["trend"] = trend.to_json()
    try:
        spec.write(data, path)

    except DubanError:
        raise
    except Exception as exc:  # exporter plugin code: name it
        raise PluginError(f"导出格式 {spec.name} 写入 {path} 失败：{type(exc).__name__}: {exc}") from exc
    return path


def scheme_faults(host: PluginHost) -> list[str]:
    """Faults of plugins that failed to load or to register scoring schemes or exporters (for the CLI)."""
    stages = ("load", "duban_register_scoring_schemes", "duban_register_exporters")
    return [f"{f.plugin}（{f.stage}）：{f.error}" for f in host.faults if f.stage in stages]


def available_schemes(host: PluginHost) -> Iterable[ScoringSchemeSpec]:
    return host.scoring_schemes()
