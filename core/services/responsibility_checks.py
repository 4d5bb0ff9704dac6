"""Responsibility checks that run: ``duban_check_responsibility`` wherever status is computed for a day.

:func:`run_responsibility_checks` is the one entry point. ``duban status``, ``duban overdue``, ``duban notify``,
the dashboard's refresh and 考核 call it for the day and the scope they show, before they read. It

1. reads what the checks need in a few grouped queries — the open responsibilities of the scope, their
   tasks' texts, the templates bound to them, their milestones due by the day (with extensions approved by
   then and the first report day), and for 台账-style templates the latest update reported — never one
   query per responsibility;
2. calls every plugin's check on every responsibility, each call isolated: a plugin that raises is named
   (``host.faults`` and the result's ``faults``) and skipped, the others' findings are kept;
3. stores the findings idempotently: one row per responsibility, plugin and code (a partial unique index),
   seen from ``first_seen`` to ``last_seen``; a finding a plugin no longer reports is resolved on that day
   (``resolved_on``), and reopened if it comes back. Looking at an earlier day never resolves what a later
   day saw, and the findings of a plugin that failed are left as they were.

A run is remembered (``check_run``) with a fingerprint of what it read — the audit journal's last entry, the
newest milestone, report, extension, responsibility and binding, and the checking plugins — so asking
again for the same day and scope (or a part of a scope already checked) costs a few index lookups.
The caller commits; an audit event is written only when findings appeared, came back or were resolved. A viewer's
run stores nothing (read-only users write nothing, and PostgreSQL refuses it): it counts what the checks find now.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from duban.domain.vocabulary import ExtensionState, PolicyStatus, UserRole
from duban.hookspecs import FindingSpec, MilestoneState, ResponsibilityContext, TaskTemplateSpec
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.check_results import CheckFault, CheckRunResult
from duban.services.clock import DEFAULT_TZ, local_today
from duban.services.identity import Actor
from duban.services.status import Scope
from duban.services.templates import bound_templates
from duban.storage.models import (
    Agency,
    AuditEvent,
    CheckRun,
    Extension,
    Finding,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    TemplateBinding,
    utcnow,
)
from duban.storage.queries import acting_agency_column

__all__ = ["CheckFault", "CheckRunResult", "run_responsibility_checks", "scope_key"]

#: responsibilities whose reports are read per round trip for the 台账 update date
_REPORT_BATCH = 500


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the contexts are built.

    A national run creates some two million milestone states, none of them in a cycle; the collector would
    otherwise run thousands of times over a heap that only grows (measured: building the states and
    fetching their rows take three to four times longer with it on).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scope_key(scope: Scope) -> str:
    """``*`` for everything, else the scope's parts (``agency=minzheng;jurisdiction=530000``)."""
    parts = [
        f"{name}={value}"
        for name, value in (
            ("agency", scope.agency),
            ("jurisdiction", scope.jurisdiction),
            ("policy", scope.policy_id),
            ("task", scope.task_id),
        )
        if value is not None and value != ""
    ]
    return ";".join(parts) or "*"


# ------------------------------------------------------------------------------------------- fingerprint


def _fingerprint(session: Session, host: PluginHost) -> str:
    """Cheap signs that what the checks read has changed: index lookups of the newest rows, and plugins."""
    newest = session.execute(
        select(
            select(func.max(AuditEvent.seq)).scalar_subquery(),
            select(func.max(Milestone.id)).scalar_subquery(),
            select(func.max(Report.id)).scalar_subquery(),
            select(func.max(Extension.id)).scalar_subquery(),
            select(func.max(Responsibility.id)).scalar_subquery(),
            select(func.max(TemplateBinding.id)).scalar_subquery(),
        )
    ).one()
    plugins = ",".join(
        f"{name}@{host.infos[name].version if name in host.infos else '?'}"
        for name in sorted(host.implementers("duban_check_responsibility"))
    )
    data = "/".join("-" if v is None else str(v) for v in newest)
    return f"{data}|{plugins}"[:300]


def _run_key(session: Session, key: str, actor: Actor | None) -> str:
    """The scope a run is remembered under. On PostgreSQL a department user's login sees only its own
    rows (row-level security): its run is remembered apart (``*|mz``), so that it never answers for a
    coordinator's; a coordinator's run of everything still answers for it."""
    if actor is None or actor.is_coordinator or session.get_bind().dialect.name != "postgresql":
        return key
    return f"{key}|{actor.name}"[:200]


def _cached(session: Session, as_of: dt.date, key: str, fingerprint: str) -> CheckRun | None:
    return session.scalars(
        select(CheckRun)
        .where(
            CheckRun.as_of == as_of,
            CheckRun.scope.in_({key, "*"}),
            CheckRun.fingerprint == fingerprint,
        )
        .order_by(CheckRun.id.desc())
        .limit(1)
    ).first()


# ------------------------------------------------------------------------------------------- reading


def _responsibilities(as_of: dt.date, scope: Scope) -> Select[*tuple[Any, ...]]:
    """The open responsibilities of the scope on ``as_of`` (current policies; drafts only when named)."""
    acting = acting_agency_column(as_of)
    stmt: Select[*tuple[Any, ...]] = (
        select(Responsibility.id, Responsibility.task_id, Responsibility.agency_key, Responsibility.role)
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .where(
            Policy.superseded_by_id.is_(None),
            or_(Responsibility.closed_on.is_(None), Responsibility.closed_on > as_of),
        )
    )
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(Task.policy_id == scope.policy_id)
    else:
        stmt = stmt.where(Policy.status == PolicyStatus.IN_FORCE)
    if scope.task_id is not None:
        stmt = stmt.where(Task.id == scope.task_id)
    return stmt


def _milestones(session: Session, as_of: dt.date, ids: Select[Any]) -> dict[int, list[MilestoneState]]:
    """Each responsibility's milestones due by ``as_of`` (extensions approved by then move the date)."""
    ext = (
        select(Extension.milestone_id, func.max(Extension.new_date).label("new_due"))
        .where(Extension.state == ExtensionState.APPROVED, Extension.decided_on <= as_of)
        .group_by(Extension.milestone_id)
        .subquery("ext")
    )
    due = func.coalesce(ext.c.new_due, Milestone.due_date)
    first_on = case((Milestone.first_report_on <= as_of, Milestone.first_report_on))
    # At national scale (two million milestones) the row handling costs more than the query: Core rows, not
    # ORM ones, fetched in partitions rather than row by row (together about half the time).
    rows = session.connection().execute(
        select(Milestone.responsibility_id, Milestone.key, due, first_on)
        .outerjoin(ext, ext.c.milestone_id == Milestone.id)
        .where(Milestone.responsibility_id.in_(ids), Milestone.due_date <= as_of, due <= as_of)
    )
    out: dict[int, list[MilestoneState]] = defaultdict(list)
    for chunk in rows.partitions(50_000):
        for resp_id, key, due_date, reported_on in chunk:
            out[resp_id].append(MilestoneState(key, due_date, reported_on))
    by_due = attrgetter("due_date")
    for states in out.values():
        states.sort(key=by_due)  # stable: milestones due the same day stay in the order they were made
    return out


def _open_in(session: Session, ids: Select[Any]) -> int:
    """How many responsibility findings of these responsibilities are open."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Finding)
            .where(
                Finding.report_id.is_(None),
                Finding.resolved_on.is_(None),
                Finding.responsibility_id.in_(ids),
            )
        )
        or 0
    )


def _update_indicator(template: TaskTemplateSpec, types: Mapping[str, str]) -> str | None:
    """The indicator of a 台账-style template that carries the date of the update (``…updated_on``)."""
    for key in template.indicators:
        if key.endswith("updated_on") and types.get(key) == "date":
            return key
    return None


def _last_updates(session: Session, as_of: dt.date, wanted: dict[int, str]) -> dict[int, dt.date]:
    """The latest update each responsibility reported by ``as_of``: the date in its update indicator (never
    after the report day), or the report day when the indicator is empty."""
    out: dict[int, dt.date] = {}
    ids = sorted(wanted)
    for i in range(0, len(ids), _REPORT_BATCH):
        batch = ids[i : i + _REPORT_BATCH]
        for resp_id, submitted_on, indicators in session.execute(
            select(Report.responsibility_id, Report.submitted_on, Report.indicators).where(
                Report.responsibility_id.in_(batch), Report.submitted_on <= as_of
            )
        ):
            day = submitted_on
            raw = (indicators or {}).get(wanted[resp_id])
            if isinstance(raw, str):
                try:
                    day = min(dt.date.fromisoformat(raw[:10]), submitted_on)
                except ValueError:
                    pass
            if resp_id not in out or out[resp_id] < day:
                out[resp_id] = day
    return out


def _contexts(
    session: Session, host: PluginHost, as_of: dt.date, resp_q: Select[Any], ids: Select[Any]
) -> tuple[int, list[ResponsibilityContext], list[int]]:
    """The contexts to check (one per bound template, or one without) and the responsibility of each."""
    resps = list(session.connection().execute(resp_q))
    if not resps:
        return 0, [], []
    task_ids = {r.task_id for r in resps}
    tasks = {
        t.id: t
        for t in session.execute(select(Task.id, Task.text, Task.template_key).where(Task.id.in_(task_ids)))
    }
    bound = bound_templates(session, task_ids)
    templates: dict[str, TaskTemplateSpec] = {}
    for spec in host.task_templates():
        templates.setdefault(spec.key, spec)
    types = {spec.key: spec.type for spec in host.indicators()}
    update_keys = {k: ind for k, t in templates.items() if (ind := _update_indicator(t, types))}
    milestones = _milestones(session, as_of, ids)

    plans: list[tuple[Any, list[str | None]]] = []
    wants_update: dict[int, str] = {}
    for r in resps:
        keys: list[str | None] = list(bound.get((r.task_id, r.agency_key or ""), []))
        legacy = templates.get(tasks[r.task_id].template_key or "")
        if not keys and legacy is not None and legacy.agency == r.agency_key:
            keys = [legacy.key]  # Task.template_key, from before bindings, when it is this agency's
        for k in keys:
            if k in update_keys:
                wants_update.setdefault(r.id, update_keys[k])
        plans.append((r, keys or [None]))
    updates = _last_updates(session, as_of, wants_update) if wants_update else {}

    contexts: list[ResponsibilityContext] = []
    owner: list[int] = []
    for r, keys in plans:
        history = tuple(milestones.get(r.id, ()))
        for k in keys:
            contexts.append(
                ResponsibilityContext(
                    agency=r.agency_key or "",
                    role=r.role,
                    task_text=tasks[r.task_id].text,
                    template=k,
                    as_of=as_of,
                    milestones=history,
                    last_update=updates.get(r.id) if k in update_keys else None,
                )
            )
            owner.append(r.id)
    return len(resps), contexts, owner


# ------------------------------------------------------------------------------------------- the run


def run_responsibility_checks(
    session: Session,
    *,
    host: PluginHost,
    as_of: dt.date,
    scope: Scope | None = None,
    actor: Actor | None = None,
    today: dt.date | None = None,
    tz: str = DEFAULT_TZ,
) -> CheckRunResult:
    """Run the responsibility checks of every plugin for ``as_of`` on the scope, and store the findings.

    The checks never look past ``today`` (default: the local date in ``tz``): a later ``as_of`` is checked
    as of today — a finding is a fact about what has happened, not a forecast.
    """
    as_of = min(as_of, today or local_today(tz))
    scope = scope or Scope()
    key = scope_key(scope)
    run_key = _run_key(session, key, actor)
    fingerprint = _fingerprint(session, host)
    done = _cached(session, as_of, run_key, fingerprint)
    if done is not None:
        responsibilities, found_open = done.responsibilities, done.found
        if done.scope != run_key:  # a run of everything answers for a part: count the part
            ids = select(_responsibilities(as_of, scope).subquery("scope").c.id)
            responsibilities = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
            found_open = _open_in(session, ids)
        return CheckRunResult(
            as_of,
            key,
            responsibilities,
            found_open,
            0,
            0,
            0,
            tuple(CheckFault(f["plugin"], f["error"], int(f.get("count", 1))) for f in done.faults or []),
            cached=True,
        )

    with _gc_paused():  # millions of small objects: see _gc_paused
        resp_q = _responsibilities(as_of, scope)
        ids = select(resp_q.subquery("scope").c.id)
        resps, contexts, owner = _contexts(session, host, as_of, resp_q, ids)
        checks = host.check_responsibilities(contexts)
        found: dict[tuple[int, str, str], FindingSpec] = {}
        failed: dict[int, set[str]] = defaultdict(set)
        for i, broken in checks.failed.items():
            failed[owner[i]] |= broken
        for i, answers in checks.found.items():
            for plugin, spec in answers:
                found.setdefault((owner[i], plugin, spec.code), spec)
        faults = tuple(CheckFault(p, e, n) for p, e, n in checks.faults)

    if actor is not None and actor.role == UserRole.VIEWER:
        # a read-only user writes nothing (PostgreSQL refuses it): what the checks find now, not stored
        return CheckRunResult(as_of, key, resps, len(found), 0, 0, 0, faults)
    created, reopened, resolved = _store(session, as_of, ids, found, failed, set(checks.plugins), resps > 0)
    if created or reopened or resolved:
        audit.record(
            session,
            actor=audit.SYSTEM_ACTOR,
            action="checks.run",
            entity_type="check_run",
            entity_id=as_of.isoformat(),
            after={
                "scope": key,
                "by": actor.name if actor else None,
                "created": created,
                "reopened": reopened,
                "resolved": resolved,
                "failed_plugins": [f.plugin for f in faults],
            },
        )
    open_now = _open_in(session, ids) if resps else 0  # with a failing plugin's findings, kept as they were
    result = CheckRunResult(as_of, key, resps, open_now, created, reopened, resolved, faults)
    session.execute(delete(CheckRun).where(CheckRun.as_of == as_of, CheckRun.scope == run_key))
    session.add(
        CheckRun(
            as_of=as_of,
            scope=run_key,
            fingerprint=_fingerprint(session, host),
            ran_at=utcnow(),
            responsibilities=result.responsibilities,
            found=result.open,
            created=created,
            resolved=resolved,
            faults=[f.to_json() for f in faults],
        )
    )
    session.flush()
    return result


def _store(
    session: Session,
    as_of: dt.date,
    ids: Select[Any],
    found: dict[tuple[int, str, str], FindingSpec],
    failed: dict[int, set[str]],
    plugins: set[str],
    any_checked: bool,
) -> tuple[int, int, int]:
    """Insert new findings, refresh the ones seen again, resolve the ones no longer found."""
    if not any_checked:
        return 0, 0, 0
    existing = {
        (row.responsibility_id, row.plugin, row.code): row
        for row in session.execute(
            select(
                Finding.id,
                Finding.responsibility_id,
                Finding.plugin,
                Finding.code,
                Finding.severity,
                Finding.message,
                Finding.indicator,
                Finding.first_seen,
                Finding.last_seen,
                Finding.resolved_on,
            ).where(Finding.report_id.is_(None), Finding.responsibility_id.in_(ids))
        )
    }
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    reopened = resolved = 0
    for k, spec in found.items():
        row = existing.get(k)
        if row is None:
            new_rows.append(
                {
                    "responsibility_id": k[0],
                    "plugin": k[1],
                    "code": k[2],
                    "severity": spec.severity,
                    "message": spec.message,
                    "indicator": spec.indicator,
                    "created_at": now,
                    "first_seen": as_of,
                    "last_seen": as_of,
                }
            )
            continue
        change: dict[str, Any] = {}
        if as_of < row.first_seen:
            change["first_seen"] = as_of
        if row.last_seen is None or as_of >= row.last_seen:
            if row.last_seen != as_of:
                change["last_seen"] = as_of
            for column, value in (
                ("severity", spec.severity),
                ("message", spec.message),
                ("indicator", spec.indicator),
            ):
                if getattr(row, column) != value:
                    change[column] = value
        if row.resolved_on is not None and as_of >= row.resolved_on:
            change["resolved_on"] = None
            reopened += 1
        if change:
            changes.append({"id": row.id, **change})
    for k, row in existing.items():
        resp_id, plugin, _code = k
        if (
            k in found
            or row.resolved_on is not None
            or plugin not in plugins
            or plugin in failed.get(resp_id, ())
        ):
            continue
        if row.last_seen is None or as_of > row.last_seen:
            changes.append({"id": row.id, "resolved_on": as_of})
            resolved += 1
    if new_rows:
        session.execute(_insert_new(session), new_rows)
    if changes:
        session.execute(update(Finding), changes)
    return len(new_rows), reopened, resolved


def _insert_new(session: Session) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on the partial unique index: a run at the same moment (another user's
    status) may just have stored the same finding, and that is not an error."""
    dialect = session.get_bind().dialect.name
    keys, where = ["responsibility_id", "plugin", "code"], Finding.report_id.is_(None)
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(Finding).on_conflict_do_nothing(index_elements=keys, index_where=where)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(Finding).on_conflict_do_nothing(index_elements=keys, index_where=where)
    return insert(Finding)  # pragma: no cover - duban runs on SQLite and PostgreSQL
