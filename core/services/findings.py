"""Stored findings, listed: what the report checks and the responsibility checks found (``duban findings``).

A report finding belongs to one report (the warnings a report was accepted with); a responsibility finding
is kept up to date by :func:`duban.services.responsibility_checks.run_responsibility_checks` (first seen,
last seen, resolved). Both are shown here with the plugin that raised them, the task and the agency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import Role, Severity, UserRole, coerce
from duban.services.catalog import find_policy
from duban.services.identity import Actor
from duban.services.paging import Page, check_window
from duban.storage.models import Agency, Finding, Jurisdiction, Policy, Responsibility, Task
from duban.storage.queries import acting_agency_column

__all__ = ["FindingKind", "FindingPage", "FindingRow", "list_findings"]

#: a finding of a report (filed with it), or of a responsibility (found across its milestones)
FindingKind = Literal["report", "responsibility"]

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class FindingRow(JsonResult):
    """``duban findings``: one stored finding with the plugin that raised it, its task and its agency.

    ``first_seen`` … ``last_seen`` are the check days that found it; ``resolved_on`` the first check day that
    no longer did (None while open). A report's finding is seen on the report day.
    """

    id: int
    kind: FindingKind
    plugin: str
    code: str
    severity: Severity
    message: str
    indicator: str | None
    responsibility: int | None
    report: int | None
    milestone: int | None
    task: int | None
    task_number: str | None
    policy: str | None  #: doc number, or the title when the document has none
    agency: str | None
    agency_name: str | None
    jurisdiction: str | None
    jurisdiction_name: str | None
    role: Role | None
    first_seen: dt.date
    last_seen: dt.date | None
    resolved_on: dt.date | None


@dataclass(frozen=True, slots=True)
class FindingPage(JsonResult):
    """A page of findings (``items`` are rows ``offset + 1 …`` of ``total``, as in a :class:`Page`) and the
    totals per severity of everything the filter matches."""

    by_severity: Mapping[Severity, int]  #: every severity, in the vocabulary's order (0 when none)
    total: int
    limit: int
    offset: int
    items: tuple[FindingRow, ...]

    @property
    def page(self) -> Page[FindingRow]:
        return Page(self.items, self.total, self.limit, self.offset)


def _filtered(
    session: Session,
    *,
    today: dt.date,
    actor: Actor | None,
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    task_id: int | None,
    severity: Severity | None,
    include_resolved: bool,
    kind: FindingKind | None,
) -> Select[Any]:
    if actor is not None and actor.role == UserRole.DEPARTMENT:
        agency, jurisdiction = actor.agency_key, actor.jurisdiction_code or jurisdiction
    acting = acting_agency_column(today)
    stmt = (
        select(Finding.id)
        .join(Responsibility, Responsibility.id == Finding.responsibility_id)
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
    )
    if policy:
        stmt = stmt.where(Task.policy_id == find_policy(session, policy).id)
    else:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    if agency:
        stmt = stmt.where(acting == agency)
    if jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == jurisdiction)
    if task_id is not None:
        stmt = stmt.where(Task.id == task_id)
    if severity:
        stmt = stmt.where(Finding.severity == severity)
    if not include_resolved:
        stmt = stmt.where(Finding.resolved_on.is_(None))
    if kind == "report":
        stmt = stmt.where(Finding.report_id.is_not(None))
    elif kind == "responsibility":
        stmt = stmt.where(Finding.report_id.is_(None))
    return stmt


def list_findings(
    session: Session,
    *,
    today: dt.date,
    actor: Actor | None = None,
    agency: str | None = None,
    jurisdiction: str | None = None,
    policy: str | None = None,
    task_id: int | None = None,
    severity: Severity | str | None = None,
    include_resolved: bool = False,
    kind: FindingKind | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FindingPage:
    """A page of findings, errors first, then the most recently seen; a department user sees their own.

    Open findings only unless ``include_resolved``; ``kind`` is "report" or "responsibility". ``total`` and
    ``by_severity`` are SQL counts of everything the filter matches, not of the page.
    """
    check_window(limit, offset)
    ids = _filtered(
        session,
        today=today,
        actor=actor,
        agency=agency,
        jurisdiction=jurisdiction,
        policy=policy,
        task_id=task_id,
        severity=coerce(Severity, severity, "severity") if severity else None,
        include_resolved=include_resolved,
        kind=kind,
    ).subquery("ids")
    counts: dict[Severity, int] = {
        Severity(sev): int(n)
        for sev, n in session.execute(
            select(Finding.severity, func.count())
            .where(Finding.id.in_(select(ids.c.id)))
            .group_by(Finding.severity)
        )
    }
    total = sum(counts.values())
    order = case(_SEVERITY_ORDER, value=Finding.severity, else_=3)
    rows = session.execute(
        select(
            Finding,
            Responsibility.task_id,
            Responsibility.agency_key,
            Responsibility.jurisdiction_code,
            Responsibility.role,
            Task.section,
            Task.number,
            Policy.doc_number,
            Policy.title,
            Agency.name.label("agency_name"),
            Jurisdiction.name.label("jurisdiction_name"),
        )
        .join(Responsibility, Responsibility.id == Finding.responsibility_id)
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .outerjoin(Jurisdiction, Jurisdiction.code == Responsibility.jurisdiction_code)
        .where(Finding.id.in_(select(ids.c.id)))
        .order_by(order, Finding.last_seen.desc(), Finding.id.desc())
        .limit(limit)
        .offset(offset)
    )
    out: list[FindingRow] = []
    for r in rows:
        f: Finding = r.Finding
        out.append(
            FindingRow(
                id=f.id,
                kind="report" if f.report_id is not None else "responsibility",
                plugin=f.plugin,
                code=f.code,
                severity=f.severity,
                message=f.message,
                indicator=f.indicator,
                responsibility=f.responsibility_id,
                report=f.report_id,
                milestone=f.milestone_id,
                task=r.task_id,
                task_number=f"{r.section}.{r.number}" if r.section else r.number,
                policy=r.doc_number or r.title,
                agency=r.agency_key,
                agency_name=r.agency_name,
                jurisdiction=r.jurisdiction_code,
                jurisdiction_name=r.jurisdiction_name,
                role=r.role,
                first_seen=f.first_seen,
                last_seen=f.last_seen,
                resolved_on=f.resolved_on,
            )
        )
    return FindingPage(
        by_severity={s: counts.get(s, 0) for s in Severity},
        total=total,
        limit=limit,
        offset=offset,
        items=tuple(out),
    )
