"""Stored findings, listed: what the report checks and the responsibility checks found (``duban findings``).

A report finding belongs to one report (the warnings a report was accepted with); a responsibility finding
is kept up to date by :func:`duban.services.responsibility_checks.run_responsibility_checks` (first seen,
last seen, resolved). Both are shown here with the plugin that raised them, the task and the agency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from duban.domain.vocabulary import Severity
from duban.services.catalog import find_policy
from duban.services.identity import Actor
from duban.storage.models import Agency, Finding, Jurisdiction, Policy, Responsibility, Task
from duban.storage.queries import acting_agency_column

__all__ = ["FindingPage", "FindingRow", "list_findings"]

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _severity(value: str) -> Severity:
    """A stored severity; anything a plugin invented is shown as info."""
    try:
        return Severity(value)
    except ValueError:
        return Severity.INFO


@dataclass(frozen=True)
class FindingRow:
    id: int
    kind: str  #: "report" (found in a report) or "responsibility" (found across its milestones)
    plugin: str
    code: str
    severity: Severity
    message: str
    indicator: str | None
    responsibility_id: int | None
    report_id: int | None
    milestone_id: int | None
    task_id: int | None
    task_number: str | None
    policy: str | None
    agency: str | None
    agency_name: str | None
    jurisdiction: str | None
    jurisdiction_name: str | None
    role: str | None
    first_seen: dt.date
    last_seen: dt.date | None
    resolved_on: dt.date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "plugin": self.plugin,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "indicator": self.indicator,
            "responsibility": self.responsibility_id,
            "report": self.report_id,
            "milestone": self.milestone_id,
            "task": self.task_id,
            "task_number": self.task_number,
            "policy": self.policy,
            "agency": self.agency,
            "agency_name": self.agency_name,
            "jurisdiction": self.jurisdiction,
            "jurisdiction_name": self.jurisdiction_name,
            "role": self.role,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "resolved_on": self.resolved_on.isoformat() if self.resolved_on else None,
        }


@dataclass(frozen=True)
class FindingPage:
    total: int
    offset: int
    limit: int
    by_severity: dict[str, int]  #: the totals per severity (error / warning / info) in the filter
    rows: tuple[FindingRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "by_severity": self.by_severity,
            "findings": [r.to_json() for r in self.rows],
        }


def _filtered(
    session: Session,
    *,
    today: dt.date,
    actor: Actor | None,
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    task_id: int | None,
    severity: str | None,
    include_resolved: bool,
    kind: str | None,
) -> Select[Any]:
    if actor is not None and actor.role == "department":
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
        stmt = stmt.where(Finding.severity == Severity(severity).value)
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
    severity: str | None = None,
    include_resolved: bool = False,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FindingPage:
    """A page of findings, errors first, then the most recently seen; a department user sees their own.

    Open findings only unless ``include_resolved``; ``kind`` is "report" or "responsibility".
    """
    ids = _filtered(
        session,
        today=today,
        actor=actor,
        agency=agency,
        jurisdiction=jurisdiction,
        policy=policy,
        task_id=task_id,
        severity=severity,
        include_resolved=include_resolved,
        kind=kind,
    ).subquery("ids")
    counts = {
        sev: int(n)
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
    out = []
    for r in rows:
        f: Finding = r.Finding
        out.append(
            FindingRow(
                id=f.id,
                kind="report" if f.report_id is not None else "responsibility",
                plugin=f.plugin,
                code=f.code,
                severity=_severity(f.severity),
                message=f.message,
                indicator=f.indicator,
                responsibility_id=f.responsibility_id,
                report_id=f.report_id,
                milestone_id=f.milestone_id,
                task_id=r.task_id,
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
        total=total,
        offset=offset,
        limit=limit,
        by_severity={s.value: counts.get(s.value, 0) for s in Severity},
        rows=tuple(out),
    )
