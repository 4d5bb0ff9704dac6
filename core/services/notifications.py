"""督办 notifications: plan the outbox from the rules, then send it, marking each row as it goes.

A run (:func:`run_notifications`, a plain blocking function: the dashboard calls it in a thread worker):

1. **Plan** (one transaction): on a working day D, every department with a milestone whose rule fires
   (see :mod:`duban.notify.rules`) gets one digest of everything it owes; milestones reaching the
   escalation threshold go to the coordinator (and the department's leadership route); requests for 办结
   and closings go to the coordinator. Each message is an :class:`OutboxMessage` with a unique
   idempotency key ``kind|receiver|period|level``, so a second run never plans it again. Rows written in
   quiet hours or on a non-working day wait (``next_attempt_at``) for the next working morning.
2. **Send**: each due row is claimed (``sending``, with a lease), sent to every route of its receiver,
   each part of each route recorded as a :class:`NotificationAttempt`, and marked ``sent``, ``failed``
   (permanent; the coordinator is told) or left ``pending`` with a backoff. A crash between the steps
   loses nothing: a pending row, or a claimed row whose lease ran out, is sent by the next run.

Runs on the days between two runs are caught up: a rule that fired on a working day after the last
recorded run (at most ``lookback_days`` back) counts for today's digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from duban.domain.vocabulary import AlertLevel, MessageKind, OutboxState, ResponsibilityState
from duban.domain.workcal import WorkingCalendar
from duban.notify import (
    CLAIMED,
    COORDINATOR,
    POSSIBLE_DUPLICATE,
    SILENCED,
    UNCONFIRMED,
    Clock,
    Delivery,
    Envelope,
    NotifyConfig,
    Pacer,
    Route,
    RunClock,
    Sender,
    department_receiver,
    message_parts,
)
from duban.notify import send as default_send
from duban.notify.digest import (
    DigestItem,
    FailedMessage,
    completion_notice,
    department_digest,
    escalation_digest,
    failure_notice,
    failure_summary,
    format_local,
    worst,
)
from duban.notify.rules import ESCALATE, CountingCalendar, item_level, triggers_on, working_days_overdue
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.calendar import working_calendar
from duban.services.identity import Actor
from duban.services.notification_results import (
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryRecord,
    OutboxEntry,
    PlannedMessage,
    RetryReport,
    RunReport,
    SkippedDigest,
)
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.services.responsibility_checks import run_responsibility_checks
from duban.services.silences import active_silences, describe, silenced_routes
from duban.storage.db import read_only_session, unit_of_work
from duban.storage.models import (
    Agency,
    AuditEvent,
    Jurisdiction,
    NotificationAttempt,
    OutboxMessage,
    Policy,
    Report,
    Responsibility,
    Task,
)
from duban.storage.queries import acting_agency_column, counted_duty, milestone_facts
from duban.testing_points import pause

RUN_ACTION = "notify.run"
#: a drill (``--as-of`` with ``--send``): journalled, but never the day catch-up counts from
DRILL_ACTION = "notify.drill"
#: the suffix of a drill's idempotency keys: a drill never stands in for a real run's message
DRILL_MARK = "|drill-"
RETRY_ACTION = "notify.retry"
SENDING_LEASE = dt.timedelta(minutes=15)
_LEVEL_PREFIX = ("blue", "yellow", "red")
_JUR_PREFIX = {"province": "省", "prefecture": "市（州）", "county": "县"}


# --------------------------------------------------------------------------- time


def _local(now: dt.datetime, config: NotifyConfig) -> dt.datetime:
    return now.astimezone(ZoneInfo(config.timezone))


def _quiet(t: dt.time, config: NotifyConfig) -> bool:
    start, end = config.quiet_start, config.quiet_end
    if start == end:
        return False
    return (t >= start or t < end) if start > end else (start <= t < end)


def release_time(config: NotifyConfig, cal: WorkingCalendar, at: dt.datetime) -> dt.datetime:
    """``at`` if messages may go out then; else the next working morning (``quiet_end`` local)."""
    local = _local(at, config)
    if cal.is_working_day(local.date()) and not _quiet(local.time(), config):
        return at
    tz = ZoneInfo(config.timezone)
    day = local.date()
    if not (cal.is_working_day(day) and local.time() < config.quiet_end):
        day = cal.next_working_day(day, include_today=False)
    return dt.datetime.combine(day, config.quiet_end, tz).astimezone(dt.UTC)


# --------------------------------------------------------------------------- planning


#: placeholder divisions of GB/T 2260 that are not part of a place's name
_NOT_A_NAME = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def qualified_jurisdiction_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Unambiguous names: a county with its province and prefecture (福建省福州市鼓楼区), a prefecture with
    its province (云南省昆明市); a province or the nation as it is."""
    wanted = {c for c in codes if c}
    known: dict[str, Jurisdiction] = {}
    todo = set(wanted)
    while todo:  # at most three rounds: county → prefecture → province
        found = list(session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(todo))))
        known.update({j.code: j for j in found})
        todo = {j.parent_code for j in found if j.parent_code and j.parent_code not in known}
    out: dict[str, str] = {}
    for code in wanted:
        jur = known.get(code)
        if jur is None:
            continue
        chain: list[str] = []
        current: Jurisdiction | None = jur
        while current is not None and current.level != "national":
            if current.name not in _NOT_A_NAME:
                chain.append(current.name)
            current = known.get(current.parent_code or "")
        name = ""
        for part in reversed(chain):
            name = part if part.startswith(name) or not name else name + part
        out[code] = name or jur.name
    return out


def _department_names(
    session: Session, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], str]:
    keys = set(keys)
    agencies = {a.key: a for a in session.scalars(select(Agency).where(Agency.key.in_({k for k, _ in keys})))}
    jurs = {
        j.code: j
        for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_({j for _, j in keys if j})))
    }
    full = qualified_jurisdiction_names(session, jurs)
    out = {}
    for agency_key, jur_code in keys:
        agency, jur = agencies.get(agency_key), jurs.get(jur_code or "")
        name = agency.name if agency else agency_key
        if agency and jur:
            place = full.get(jur.code, jur.name)
            written = (agency.names or {}).get(jur.level)
            prefix = _JUR_PREFIX.get(jur.level)
            if written and prefix and written.startswith(prefix):
                name = place + written[len(prefix) :]
            elif written:
                name = written if jur.level == "national" else place + written
            else:
                name = f"{place}{agency.name}部门"
        out[(agency_key, jur_code)] = name
    return out


def receiver_names(session: Session, receivers: Iterable[str]) -> dict[str, str]:
    """The Chinese name of each receiver: 云南省民政厅 (and 分管领导), 协调人 for the coordinator."""
    out: dict[str, str] = {}
    depts: dict[str, tuple[str, str | None]] = {}
    for r in receivers:
        if r == COORDINATOR:
            out[r] = "协调人（妇儿工委办）"
        elif r.startswith("tag:"):
            out[r] = f"标签 {r[4:]} 的渠道"
        else:
            agency, _, jur = r.partition("#")[0].partition("@")
            depts[r] = (agency, jur or None)
    names = _department_names(session, depts.values()) if depts else {}
    for r, key in depts.items():
        out[r] = names.get(key, r) + ("分管领导" if r.endswith("#leadership") else "")
    return out


def last_run_day(session: Session, before: dt.date | None = None) -> dt.date | None:
    """The latest day a real notify run planned (not a dry run, not a drill), from the audit journal;
    with ``before``, the latest not after it (a run recorded for a later day never hides the days before)."""
    stmt = select(func.max(AuditEvent.entity_id)).where(AuditEvent.action == RUN_ACTION)
    if before is not None:
        stmt = stmt.where(AuditEvent.entity_id <= before.isoformat())
    value = session.scalar(stmt)
    return dt.date.fromisoformat(value) if value else None


def _window(cal: WorkingCalendar, day: dt.date, last: dt.date | None, lookback: int) -> list[dt.date]:
    """Working days whose rules count today: after the last run (at most ``lookback`` days back), and today."""
    start = (
        max(last, day - dt.timedelta(days=lookback)) if last and last < day else day - dt.timedelta(days=1)
    )
    days, d = [], start + dt.timedelta(days=1)
    while d <= day:
        if cal.is_working_day(d):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


@dataclass
class _Planned:
    key: str
    receiver: str
    level: str
    subject: str
    body: str
    period: dt.date | None = None
    fingerprint: str | None = None

    @property
    def kind(self) -> MessageKind:
        return MessageKind(self.key.split("|", 1)[0])


def _open_items(
    session: Session,
    config: NotifyConfig,
    day: dt.date,
    cal: WorkingCalendar,
    window: list[dt.date],
    *,
    store: bool = True,
) -> tuple[list[tuple[DigestItem, set[str]]], dict[str, str]]:
    """Unreported milestones due before the end of the reminder window, with what fired in ``window``."""
    horizon = cal.add_working_days(day, max(config.rules.remind_days, default=0))
    facts = milestone_facts(day).subquery("facts")
    acting = acting_agency_column(day).label("acting")
    stmt = (
        select(
            facts.c.milestone_id,
            facts.c.responsibility_id,
            facts.c.period,
            facts.c.due_date,
            facts.c.effective_due,
            facts.c.returned,
            Task.id.label("task_id"),
            Responsibility.role,
            Responsibility.jurisdiction_code,
            acting,
            Task.section,
            Task.number,
            Task.text,
            Policy.doc_number,
            Policy.title,
        )
        .join(Responsibility, Responsibility.id == facts.c.responsibility_id)
        .join(Task, Task.id == facts.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .where(
            Policy.superseded_by_id.is_(None),
            Responsibility.agency_key.is_not(None),
            (Responsibility.closed_on.is_(None)) | (Responsibility.closed_on > day),
            Responsibility.state != ResponsibilityState.COMPLETION_REQUESTED,
            (facts.c.first_on.is_(None)) | facts.c.returned,
            facts.c.effective_due <= horizon,
            counted_duty(day),
        )
        .order_by(facts.c.effective_due, facts.c.milestone_id)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return [], {}
    first = min(r.effective_due for r in rows)
    counting = CountingCalendar(
        cal
        if first.year >= day.year - 1
        else working_calendar(session, first.year, day.year + 1, store=store),
        first,
        horizon,
    )
    names = _department_names(session, {(r.acting, r.jurisdiction_code) for r in rows})
    out = []
    receivers_names: dict[str, str] = {}
    for r in rows:
        level = item_level(day, r.effective_due, config.rules, counting)
        if level is None:
            continue
        fired: set[str] = set()
        for t in window:
            fired |= triggers_on(t, r.effective_due, config.rules, counting)
        receiver = department_receiver(r.acting, r.jurisdiction_code)
        name = names[(r.acting, r.jurisdiction_code)]
        receivers_names[receiver] = name
        days_left = counting.working_days_between(day, r.effective_due) if r.effective_due >= day else 0
        item = DigestItem(
            milestone_id=r.milestone_id,
            responsibility_id=r.responsibility_id,
            policy=r.doc_number or r.title,
            policy_title=r.title,
            task=f"{r.section}.{r.number}" if r.section else r.number,
            task_text=r.text,
            role=r.role,
            period=r.period,
            due=r.effective_due,
            original_due=r.due_date,
            level=level,
            days_overdue=working_days_overdue(day, r.effective_due, counting),
            days_left=days_left,
            returned=bool(r.returned),
            department=name,
            receiver=receiver,
            task_id=r.task_id,
        )
        out.append((item, fired))
    return out, receivers_names


def _completions(session: Session, config: NotifyConfig, day: dt.date) -> list[_Planned]:
    since = day - dt.timedelta(days=config.lookback_days)
    planned: list[_Planned] = []
    rows = session.execute(
        select(Responsibility, Task, Policy, acting_agency_column(day).label("acting"))
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .where(
            or_(Responsibility.state == "completion_requested", Responsibility.closed_on.between(since, day))
        )
        .order_by(Responsibility.id)
    ).all()
    if not rows:
        return planned
    names = _department_names(
        session, {(r.acting, r.Responsibility.jurisdiction_code) for r in rows if r.acting}
    )
    for resp, task, policy, acting in rows:
        department = names.get((acting, resp.jurisdiction_code), resp.name_as_written)
        latest = session.execute(
            select(Report.id, Report.submitted_on)
            .where(Report.responsibility_id == resp.id, Report.is_current.is_(True))
            .order_by(Report.submitted_at.desc(), Report.id.desc())
            .limit(1)
        ).first()
        events = []
        if resp.state == "completion_requested" and latest and since <= latest.submitted_on <= day:
            events.append(("requested", latest.submitted_on))
        if resp.closed_on is not None and since <= resp.closed_on <= day:
            events.append(("closed", resp.closed_on))
        for kind, when in events:
            subject, body = completion_notice(
                department=department,
                policy=policy.doc_number or policy.title,
                task=f"{task.section}.{task.number}" if task.section else task.number,
                task_text=task.text,
                responsibility_id=resp.id,
                kind=kind,
                day=when,
                report_id=latest.id if latest else None,
            )
            planned.append(
                _Planned(
                    f"completion|{COORDINATOR}|resp-{resp.id}|{when.isoformat()}|{kind}",
                    COORDINATOR,
                    AlertLevel.DONE,
                    subject,
                    body,
                    when,
                )
            )
    return planned


def _fingerprint(items: Iterable[DigestItem]) -> str:
    text = ";".join(sorted(f"{i.milestone_id}:{i.level}" for i in items))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last_digest(session: Session, receiver: str, before: dt.date) -> tuple[dt.date | None, str | None]:
    row = session.execute(
        select(OutboxMessage.period, OutboxMessage.fingerprint)
        .where(
            OutboxMessage.kind == MessageKind.DIGEST,
            OutboxMessage.receiver == receiver,
            OutboxMessage.period < before,
            ~OutboxMessage.idempotency_key.contains(DRILL_MARK),
        )
        .order_by(OutboxMessage.period.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).first()
    return (row.period, row.fingerprint) if row else (None, None)


def plan_messages(
    session: Session,
    *,
    config: NotifyConfig,
    as_of: dt.date,
    now: dt.datetime,
    record_run: bool = True,
    write: bool = True,
    drill: bool = False,
    ignore_quiet_hours: bool = False,
) -> RunReport:
    """Write the outbox rows the rules call for on ``as_of``; the caller commits (one transaction).

    ``write=False`` plans in memory (a dry run, a drill without ``--send``): it only reads, so on SQLite it
    never takes the write lock; ``planned`` lists what a real run would write. ``drill``: the messages get
    keys of their own (they never stand in for a real run's) and the run is journalled as a drill, never as
    the day catch-up counts from. ``ignore_quiet_hours``: the messages may go out at once."""
    cal = working_calendar(session, as_of.year, as_of.year + 1, store=write)
    if not cal.is_working_day(as_of):
        # nothing fires on a non-working day; the next working day catches up
        return RunReport(as_of=as_of, working_day=False, dry_run=not write, drill=drill)
    last = None if drill else last_run_day(session, before=as_of - dt.timedelta(days=1))
    window = _window(cal, as_of, last, config.lookback_days)
    items, names = _open_items(session, config, as_of, cal, window, store=write)
    silences = active_silences(session, now)
    rules = config.rules
    planned: list[_Planned] = []
    skipped: list[SkippedDigest] = []

    # a silenced task is left out of every digest
    muted_items = [(i, f) for i, f in items if i.task_id in silences.tasks]
    items = [(i, f) for i, f in items if i.task_id not in silences.tasks]
    for item, _fired in muted_items:
        skipped.append(
            SkippedDigest(
                item.receiver,
                names.get(item.receiver, item.receiver),
                "silenced",
                f"任务 #{item.task_id}：{describe(silences.tasks[item.task_id], config.timezone)}",
            )
        )
    by_receiver: dict[str, list[tuple[DigestItem, set[str]]]] = defaultdict(list)
    for item, fired in items:
        by_receiver[item.receiver].append((item, fired))
    for receiver in sorted(by_receiver):
        entries = by_receiver[receiver]
        if not any(fired for _item, fired in entries):
            continue
        digest_items = [item for item, _fired in entries]
        name = names[receiver]
        silence = silences.department(receiver)
        if silence is not None:
            skipped.append(SkippedDigest(receiver, name, "silenced", describe(silence, config.timezone)))
            continue
        fingerprint = _fingerprint(digest_items)
        escalating = any(ESCALATE in fired for _item, fired in entries)
        if (config.min_interval_days or config.changes_only) and not escalating and not drill:
            last_day, last_print = _last_digest(session, receiver, as_of)
            if (
                config.min_interval_days
                and last_day is not None
                and cal.working_days_between(last_day, as_of) < config.min_interval_days
            ):
                skipped.append(
                    SkippedDigest(
                        receiver,
                        name,
                        "interval",
                        f"上一份汇总在 {last_day.isoformat()}，间隔不足 {config.min_interval_days} 个工作日",
                    )
                )
                continue
            if config.changes_only and last_print is not None and last_print == fingerprint:
                skipped.append(
                    SkippedDigest(
                        receiver,
                        name,
                        "unchanged",
                        f"事项和灯色与上一份汇总（{last_day.isoformat() if last_day else ''}）相同",
                    )
                )
                continue
        level = worst(i.level for i in digest_items)
        subject, body = department_digest(
            name, receiver, as_of, digest_items, escalate_after=rules.escalate_after
        )
        planned.append(
            _Planned(
                f"digest|{receiver}|{as_of.isoformat()}|{level}",
                receiver,
                level,
                subject,
                body,
                as_of,
                fingerprint,
            )
        )

    escalated = [item for item, fired in items if ESCALATE in fired]
    leaders: dict[str, list[DigestItem]] = defaultdict(list)
    for item in escalated:
        leaders[f"{item.receiver}#leadership"].append(item)
    for receiver in sorted(leaders):
        if silences.department(receiver) is not None:
            continue
        if config.routes_for(receiver):
            subject, body = escalation_digest(
                as_of,
                leaders[receiver],
                escalate_after=rules.escalate_after,
                leadership_of=leaders[receiver][0].department,
            )
            planned.append(
                _Planned(
                    f"escalate|{receiver}|{as_of.isoformat()}|red", receiver, "red", subject, body, as_of
                )
            )
    if escalated:
        subject, body = escalation_digest(as_of, escalated, escalate_after=rules.escalate_after)
        planned.append(
            _Planned(
                f"escalate|{COORDINATOR}|{as_of.isoformat()}|red", COORDINATOR, "red", subject, body, as_of
            )
        )
    planned += _completions(session, config, as_of)

    release = now if ignore_quiet_hours else release_time(config, cal, now)
    stamp = f"{DRILL_MARK}{now:%Y%m%dT%H%M%S}" if drill else ""
    written: list[PlannedMessage] = []
    unrouted: list[str] = []
    for msg in planned:
        if not config.routes_for(msg.receiver):
            unrouted.append(msg.receiver)
            continue
        if stamp:
            msg = replace(msg, key=msg.key + stamp)
        fresh = (
            _insert(session, msg, release, drill=drill) if write else not _exists(session, msg, drill=drill)
        )
        if fresh:
            written.append(
                PlannedMessage(msg.key, msg.receiver, AlertLevel(msg.level), msg.subject, msg.body, release)
            )
    if record_run and write:
        audit.record(
            session,
            actor=audit.SYSTEM_ACTOR,
            action=DRILL_ACTION if drill else RUN_ACTION,
            entity_type="notify_run",
            entity_id=as_of.isoformat(),
            after={"planned": [p.key for p in written], "unrouted": unrouted},
        )
    return RunReport(
        as_of=as_of,
        dry_run=not write,
        drill=drill,
        planned=tuple(written),
        unrouted=tuple(unrouted),
        unrouted_names=tuple(receiver_names(session, unrouted).get(r, r) for r in unrouted),
        skipped=tuple(skipped),
    )


def _exists_stmt(msg: _Planned, *, drill: bool = False) -> Select[Any]:
    if (
        msg.kind == MessageKind.DIGEST and not drill
    ):  # one digest per receiver per run day, whatever its level
        return select(OutboxMessage.id).where(
            OutboxMessage.kind == MessageKind.DIGEST,
            OutboxMessage.receiver == msg.receiver,
            OutboxMessage.period == msg.period,
            ~OutboxMessage.idempotency_key.contains(DRILL_MARK),
        )
    return select(OutboxMessage.id).where(OutboxMessage.idempotency_key == msg.key)


def _exists(session: Session, msg: _Planned, *, drill: bool = False) -> bool:
    return session.scalar(_exists_stmt(msg, drill=drill).limit(1)) is not None


def _insert(session: Session, msg: _Planned, release: dt.datetime, *, drill: bool = False) -> bool:
    """Insert unless the key exists (or, for a digest, any digest of that receiver and day exists)."""
    if _exists(session, msg, drill=drill):
        return False
    # INSERT … ON CONFLICT DO NOTHING: a concurrent run that planned the same key first wins, without a
    # savepoint (pysqlite would commit the outer transaction on RELEASE)
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(OutboxMessage)
        .values(
            idempotency_key=msg.key,
            kind=msg.kind,
            period=msg.period,
            receiver=msg.receiver,
            level=msg.level,
            subject=msg.subject[:300],
            body=msg.body,
            state=OutboxState.PENDING,
            attempts=0,
            next_attempt_at=release,
            created_at=dt.datetime.now(dt.UTC),
            fingerprint=msg.fingerprint,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
        .returning(OutboxMessage.id)
    )
    return session.execute(stmt).scalar() is not None


# --------------------------------------------------------------------------- sending


def _due_ids(session: Session, now: dt.datetime) -> list[int]:
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(OutboxMessage.state == "pending", OutboxMessage.state == "sending"),
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
        )
    )


def _claim(session: Session, message_id: int, now: dt.datetime, token: str, lease: dt.timedelta) -> bool:
    """Take the lease of a due message (pending, or claimed by a run whose lease ran out) for run ``token``."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .values(state=OutboxState.SENDING, next_attempt_at=now + lease, claimed_by=token)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)  # what an UPDATE without RETURNING gives (typed as any Result)
    return result.rowcount == 1


def _backoff(config: NotifyConfig, attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=config.retry_minutes * 2 ** max(attempts - 1, 0)), dt.timedelta(hours=24))


def _open_claim(
    factory: sessionmaker[Session],
    message_id: int,
    route: Route,
    part: int,
    parts: int,
    now: dt.datetime,
    *,
    token: str | None = None,
    lease: dt.timedelta = SENDING_LEASE,
) -> int | None:
    """Claim one part before sending it (its own committed transaction): the attempt row says
    :data:`~duban.notify.CLAIMED` until :func:`_close_claim` writes the result. With ``token``, the
    message's lease is renewed from ``now`` in the same transaction; None if the run lost the lease
    (another run took the message: this run must not send)."""
    with unit_of_work(factory) as session:
        if token is not None:
            renewed = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.claimed_by == token,
                    OutboxMessage.state == OutboxState.SENDING,
                )
                .values(next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(renewed, CursorResult)
            if renewed.rowcount != 1:
                return None
        claim = NotificationAttempt(
            message_id=message_id,
            url_redacted=route.redacted[:500],
            route_key=route.key,
            part=part,
            parts=parts,
            ok=False,
            permanent=False,
            detail=CLAIMED,
            at=now,
        )
        session.add(claim)
        session.flush()
        return claim.id


def _close_claim(factory: sessionmaker[Session], claim_id: int, result: Delivery) -> None:
    with unit_of_work(factory) as session:
        session.execute(
            update(NotificationAttempt)
            .where(NotificationAttempt.id == claim_id)
            .values(ok=result.ok, permanent=result.permanent and not result.ok, detail=result.detail[:2000])
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class _Failure:
    message_id: int
    receiver: str
    subject: str
    failures: tuple[tuple[str, str], ...]


def deliver_message(
    factory: sessionmaker[Session],
    message_id: int,
    *,
    config: NotifyConfig,
    now: dt.datetime | None = None,
    sender: Sender = default_send,
    cal: WorkingCalendar | None = None,
    clock: Clock | None = None,
    pacer: Pacer | None = None,
    failures: list[_Failure] | None = None,
) -> DeliveryOutcome | None:
    """Claim, send and mark one message. None if another run has it.

    Each step is its own transaction and reads the time from ``clock`` when it is written: the message is
    claimed (a lease of ``config.lease`` held by this run's token), then before every part the lease is
    renewed and the part claimed, the part is sent (paced by ``pacer``) and its result committed, and
    finally the message is marked. A run that lost its lease (another run took the message after the
    lease ran out) stops sending it. A crash between a part's claim and its mark leaves a claim without a
    mark: the next run sends that part again with the note 可能重复发送 — at most one duplicate per part —
    and never resends a part marked delivered. Permanent failures go to ``failures`` (one grouped notice
    per run, see :func:`send_due`); without that list, a notice per message is written.
    """
    clock = clock or RunClock(now)
    token = uuid.uuid4().hex[:16]
    with unit_of_work(factory) as session:
        if not _claim(session, message_id, clock.now(), token, config.lease):
            return None
    with unit_of_work(factory) as session:
        msg = session.get(OutboxMessage, message_id)
        assert msg is not None
        recorded = list(
            session.scalars(
                select(NotificationAttempt)
                .where(NotificationAttempt.message_id == msg.id)
                .order_by(NotificationAttempt.id)
            )
        )
        retried = msg.retried_at
        done = {
            (a.route_key, a.part): a
            for a in recorded
            if a.ok or (a.permanent and (retried is None or a.at >= retried))
        }
        # a claim without its mark: the run that made it died between sending the part and recording it
        for a in recorded:
            if a.detail == CLAIMED and not a.ok:
                a.detail = UNCONFIRMED
        uncertain = {
            (a.route_key, a.part)
            for a in recorded
            if a.detail == UNCONFIRMED and (a.route_key, a.part) not in done
        }
        subject, body, receiver = msg.subject, msg.body, msg.receiver
        key, level = msg.idempotency_key, AlertLevel(msg.level)
        muted = silenced_routes(session, clock.now())
    routes = config.routes_for(receiver)
    attempts: list[DeliveryAttempt] = []
    duplicates = 0
    open_targets = 0
    lost = False
    skipped: list[tuple[Route, str]] = []
    if not routes:
        attempts.append(DeliveryAttempt("（无渠道）", False, True, f"没有匹配 {receiver} 的通知渠道"))
    for route in routes:
        silence = muted.get(route.name) or muted.get(route.key)
        if silence is not None:
            skipped.append((route, silence))
            continue
        parts = message_parts(route, subject, body)
        for i, (title, text) in enumerate(parts, start=1):
            if (route.key, i) in done:
                continue
            if attempts and attempts[-1].ok:
                pause("notify.between_parts")
            tries = 0
            while True:
                if pacer is not None:
                    pacer.wait(route)
                claim_id = _open_claim(
                    factory, message_id, route, i, len(parts), clock.now(), token=token, lease=config.lease
                )
                if claim_id is None:
                    lost = True
                    break
                pause("notify.after_claim")
                try:
                    envelope = Envelope(message_id, key, receiver, level, i, len(parts), clock.now())
                    result = sender(route, title, text, config.timeout, envelope=envelope)
                except Exception as exc:  # a sender bug must not lose the message: recorded, retried
                    result = Delivery(False, False, f"{type(exc).__name__}: {exc}")
                pause("notify.after_send")
                if result.ok and (route.key, i) in uncertain:
                    duplicates += 1
                    note = f"{POSSIBLE_DUPLICATE}：上次运行中断，未能确认这一部分是否已送达，已再次发送"
                    result = replace(result, detail=f"{note}；{result.detail}" if result.detail else note)
                _close_claim(factory, claim_id, result)
                permanent = result.permanent and not result.ok
                attempts.append(
                    DeliveryAttempt(route.redacted[:500], result.ok, permanent, result.detail[:2000])
                )
                if result.ok or permanent or pacer is None or tries >= config.in_run_retries:
                    break
                tries += 1  # rate-limited or busy: wait (paced) and try this part again in this run
                pacer.back_off(route, tries)
            if lost:
                break
            if not attempts[-1].ok:
                open_targets += 0 if attempts[-1].permanent else len(parts) - i + 1
                break  # keep the parts in order: the rest of this route waits
        if lost:
            break
    if lost:  # another run holds the message now: it marks it
        return None
    with unit_of_work(factory) as session:
        msg = session.get(OutboxMessage, message_id)
        assert msg is not None
        if msg.claimed_by != token or msg.state != OutboxState.SENDING:
            return None
        at = clock.now()
        if not routes:
            session.add(
                NotificationAttempt(
                    message_id=message_id,
                    url_redacted="（无渠道）",
                    ok=False,
                    permanent=True,
                    detail=f"没有匹配 {receiver} 的通知渠道",
                    at=at,
                )
            )
        for route, silence in skipped:
            detail = f"{SILENCED}：{silence}"
            session.add(
                NotificationAttempt(
                    message_id=message_id,
                    url_redacted=route.redacted[:500],
                    route_key=route.key,
                    ok=False,
                    permanent=False,
                    detail=detail[:2000],
                    at=at,
                )
            )
            attempts.append(DeliveryAttempt(route.redacted[:500], False, False, detail))
        msg.attempts += 1
        new_permanent = [a for a in attempts if a.permanent]
        gave_up = bool(open_targets) and msg.attempts >= config.max_attempts
        if gave_up:
            session.add(
                NotificationAttempt(
                    message_id=msg.id,
                    url_redacted="（重试上限）",
                    ok=False,
                    permanent=True,
                    detail=f"重试 {msg.attempts} 次仍未送达，不再重试",
                    at=at,
                )
            )
            open_targets = 0
        dead = bool(new_permanent) or gave_up or any(a.permanent for a in done.values())
        delivered = any(a.ok for a in done.values()) or any(a.ok for a in attempts)
        cal = cal or working_calendar(session, at.year, at.year + 1)
        msg.claimed_by = None
        if open_targets:
            msg.state = OutboxState.PENDING
            msg.next_attempt_at = release_time(config, cal, at + _backoff(config, msg.attempts))
        else:
            msg.state = OutboxState.FAILED if dead else OutboxState.SENT
            msg.next_attempt_at = None
            if delivered and msg.sent_at is None:
                msg.sent_at = at
        if (new_permanent or gave_up) and msg.level != AlertLevel.FAILURE:
            found = [(a.url, a.detail or "") for a in new_permanent]
            if gave_up:
                found.append(("（重试上限）", f"重试 {msg.attempts} 次仍未送达"))
            failure = _Failure(msg.id, msg.receiver, msg.subject, tuple(found))
            if failures is not None:
                failures.append(failure)
            elif config.routes_for(COORDINATOR):
                subject2, body2 = failure_notice(
                    message_id=msg.id, receiver=msg.receiver, subject=msg.subject, failures=list(found)
                )
                _insert(
                    session,
                    _Planned(
                        f"failure|{COORDINATOR}|msg-{msg.id}|failure", COORDINATOR, "failure", subject2, body2
                    ),
                    release_time(config, cal, at),
                )
        outcome = DeliveryOutcome(
            id=msg.id,
            receiver=msg.receiver,
            level=AlertLevel(msg.level),
            state=OutboxState(msg.state),
            attempts=tuple(attempts),
            possible_duplicates=duplicates,
        )
        pause("notify.before_mark")
    return outcome


def _failure_summary(
    factory: sessionmaker[Session], config: NotifyConfig, failed: list[_Failure], at: dt.datetime, run_id: str
) -> None:
    """One notice to the coordinator for every message that failed for good in this run."""
    if not failed or not config.routes_for(COORDINATOR):
        return
    with unit_of_work(factory) as session:
        names = receiver_names(session, [f.receiver for f in failed])
        subject, body = failure_summary(
            [
                FailedMessage(
                    f.message_id, names.get(f.receiver, f.receiver), f.receiver, f.subject, f.failures
                )
                for f in failed
            ],
            local_time=format_local(at, config.timezone),
        )
        cal = working_calendar(session, at.year, at.year + 1)
        if len(failed) == 1:
            key = f"failure|{COORDINATOR}|msg-{failed[0].message_id}|failure"
        else:
            key = f"failure|{COORDINATOR}|run-{run_id}|failure"
        _insert(session, _Planned(key, COORDINATOR, "failure", subject, body), release_time(config, cal, at))


def send_due(
    factory: sessionmaker[Session],
    *,
    config: NotifyConfig,
    now: dt.datetime | None = None,
    sender: Sender = default_send,
    clock: Clock | None = None,
    pacer: Pacer | None = None,
    only: Iterable[int] | None = None,
) -> list[DeliveryOutcome]:
    """Send every due outbox row (pending and released, or claimed by a run whose lease ran out), paced per
    route; messages that failed for good are summed up in one notice to the coordinator, sent in this run.
    ``only``: just these message ids (``duban notify retry``)."""
    clock = clock or RunClock(now)
    pacer = pacer or Pacer(clock)
    run_id = f"{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    wanted = set(only) if only is not None else None
    outcomes: list[DeliveryOutcome] = []
    seen: set[int] = set()
    failed: list[_Failure] = []
    for _pass in range(3):  # the failure summary written while sending goes out in the same run
        with unit_of_work(factory) as session:
            at = clock.now()
            ids = [i for i in _due_ids(session, at) if i not in seen]
            cal = working_calendar(session, at.year, at.year + 1)
        if wanted is not None:
            ids = [i for i in ids if i in wanted]
        if not ids:
            break
        for message_id in ids:
            seen.add(message_id)
            outcome = deliver_message(
                factory,
                message_id,
                config=config,
                sender=sender,
                cal=cal,
                clock=clock,
                pacer=pacer,
                failures=failed,
            )
            if outcome is not None:
                outcomes.append(outcome)
        if failed:
            _failure_summary(factory, config, failed, clock.now(), run_id)
            failed = []
            if wanted is not None:  # the summary of a retry goes out too
                with unit_of_work(factory) as session:
                    wanted |= set(
                        session.scalars(
                            select(OutboxMessage.id).where(
                                OutboxMessage.kind == MessageKind.FAILURE,
                                OutboxMessage.state == OutboxState.PENDING,
                            )
                        )
                    )
    return outcomes


def run_notifications(
    factory: sessionmaker[Session],
    *,
    config: NotifyConfig,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    sender: Sender = default_send,
    host: PluginHost | None = None,
    drill: bool = False,
    send: bool = False,
    ignore_quiet_hours: bool = False,
    clock: Clock | None = None,
) -> RunReport:
    """One ``duban notify`` run: plan (one transaction), then send what is due. Blocking; for cron, a
    systemd timer, or a dashboard thread worker. With ``host``, the plugins' responsibility checks run for
    ``as_of`` first, in the same transaction (their failures are in ``report.checks.faults``).

    ``dry_run``: plan in memory in a read-only transaction (nothing written, no write lock, no checks).
    ``drill`` (``--as-of`` another day): like a dry run unless ``send``; with ``send`` the drill's messages
    are written under keys of their own and sent, and the run is journalled as a drill — never the day the
    next real run catches up from. ``ignore_quiet_hours``: release the messages now (a drill at night)."""
    clock = clock or RunClock(now)
    now = clock.now()
    as_of = as_of or _local(now, config).date()
    if dry_run or (drill and not send):
        engine = factory.kw.get("bind")
        assert engine is not None, "a session factory bound to an engine"
        with read_only_session(engine) as session:
            report = plan_messages(
                session,
                config=config,
                as_of=as_of,
                now=now,
                record_run=False,
                write=False,
                drill=drill,
                ignore_quiet_hours=ignore_quiet_hours,
            )
        return replace(report, dry_run=True)
    session = factory()
    try:
        checks = run_responsibility_checks(session, host=host, as_of=as_of) if host is not None else None
        report = replace(
            plan_messages(
                session,
                config=config,
                as_of=as_of,
                now=now,
                drill=drill,
                ignore_quiet_hours=ignore_quiet_hours,
            ),
            checks=checks,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    pacer = Pacer(clock)
    sent = send_due(factory, config=config, sender=sender, clock=clock, pacer=pacer)
    with unit_of_work(factory) as session:
        at = clock.now()
        held = (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at > at)
            )
            or 0
        )
    return replace(report, sent=tuple(sent), held=held, paced_seconds=round(pacer.waited, 3))


def retry_messages(
    factory: sessionmaker[Session],
    *,
    config: NotifyConfig,
    actor: Actor,
    message_id: int | None = None,
    failed: bool = False,
    now: dt.datetime | None = None,
    sender: Sender = default_send,
    clock: Clock | None = None,
) -> RetryReport:
    """``duban notify retry ID`` / ``--failed``: send a failed message (or every failed one) again, now.

    The message goes back to ``pending``; its permanent failures recorded so far no longer count (the
    channel was fixed); parts already delivered are not sent again. Audited ``notify.retry`` in the same
    transaction as the reset; then sent like any due message (paced, with the run's failure summary)."""
    from duban.errors import NotFoundError, ValidationError
    from duban.services.identity import require_coordinator

    require_coordinator(actor, "重新发送通知")
    if (message_id is None) == (not failed):
        raise ValidationError("请指定消息编号，或用 --failed 重发所有失败的消息（二者选一）")
    clock = clock or RunClock(now)
    at = clock.now()
    with unit_of_work(factory) as session:
        if message_id is not None:
            msg = session.get(OutboxMessage, message_id)
            if msg is None:
                raise NotFoundError(f"没有编号为 {message_id} 的消息（见 duban notify log）")
            if msg.state == OutboxState.SENT:
                raise ValidationError(f"消息 #{message_id} 已送达，不需要重发")
            if msg.state == OutboxState.SENDING and msg.next_attempt_at and msg.next_attempt_at > at:
                raise ValidationError(f"消息 #{message_id} 正在由另一次运行发送")
            rows = [msg]
        else:
            rows = list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.state == OutboxState.FAILED)
                    .order_by(OutboxMessage.id)
                )
            )
        ids = [m.id for m in rows]
        for m in rows:
            m.state = OutboxState.PENDING
            m.next_attempt_at = at
            m.retried_at = at
            m.attempts = 0
            m.claimed_by = None
        if ids:
            audit.record(
                session,
                actor=actor.name,
                action=RETRY_ACTION,
                entity_type="outbox_message",
                entity_id=",".join(map(str, ids))[:200],
                after={"messages": ids},
            )
    sent = send_due(factory, config=config, sender=sender, clock=clock, only=ids) if ids else []
    return RetryReport(requested=tuple(ids), sent=tuple(sent))


def send_test(
    factory: sessionmaker[Session],
    *,
    config: NotifyConfig,
    tag: str,
    now: dt.datetime | None = None,
    sender: Sender = default_send,
) -> DeliveryOutcome:
    """``duban notify test --to TAG``: a test message to every route tagged TAG, now (no quiet hours)."""
    clock = RunClock(now)
    now = clock.now()
    receiver = f"tag:{tag}"
    if not config.routes_for(receiver):
        from duban.errors import NotificationError

        raise NotificationError(
            f"没有标签为 {tag} 的通知渠道（见配置 [[notify.routes]] 的 tags）", permanent=True
        )
    local = _local(now, config)
    msg = _Planned(
        f"test|{receiver}|{now.isoformat()}|test",
        receiver,
        AlertLevel.TEST,
        f"【督办·{AlertLevel.TEST.label}】duban 通知渠道测试（{tag}）",
        f"这是一条测试消息，发送于 {local:%Y-%m-%d %H:%M}（{config.timezone}）。\n"
        f"收到即说明标签 {tag} 的通知渠道配置正确。\n—— duban 督办系统",
    )
    with unit_of_work(factory) as session:
        _insert(session, msg, now)
        message_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == msg.key))
    assert message_id is not None
    outcome = deliver_message(factory, message_id, config=config, sender=sender, clock=clock)
    return outcome or DeliveryOutcome(message_id, receiver, AlertLevel.TEST, OutboxState.SENDING, ())


# --------------------------------------------------------------------------- log


def outbox_query(*, failed: bool = False) -> Select[*tuple[Any, ...]]:
    """The outbox rows of :func:`notification_log`, newest first (one statement for the rows and their count)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if failed:
        has_failure = (
            select(NotificationAttempt.id)
            .where(NotificationAttempt.message_id == OutboxMessage.id, NotificationAttempt.ok.is_(False))
            .exists()
        )
        stmt = stmt.where(or_(OutboxMessage.state == "failed", (OutboxMessage.state != "sent") & has_failure))
    return stmt


def notification_log(
    session: Session, *, failed: bool = False, limit: int = 100, offset: int = 0
) -> list[OutboxEntry]:
    """Outbox rows, newest first, with their attempts; ``failed``: failed rows and rows still retrying."""
    messages = list(session.scalars(outbox_query(failed=failed).limit(limit).offset(offset)))
    attempts: dict[int, list[NotificationAttempt]] = defaultdict(list)
    if messages:
        for a in session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.message_id.in_([m.id for m in messages]))
            .order_by(NotificationAttempt.id)
        ):
            attempts[a.message_id].append(a)
    names = receiver_names(session, {m.receiver for m in messages})
    return [
        OutboxEntry(
            id=m.id,
            key=m.idempotency_key,
            receiver=m.receiver,
            level=AlertLevel(m.level),
            subject=m.subject,
            state=OutboxState(m.state),
            attempts=m.attempts,
            created_at=m.created_at,
            next_attempt_at=m.next_attempt_at,
            sent_at=m.sent_at,
            deliveries=tuple(
                DeliveryRecord(
                    url=a.url_redacted,
                    part=a.part or None,
                    parts=a.parts if a.part else None,
                    ok=a.ok,
                    permanent=a.permanent,
                    detail=a.detail,
                    at=a.at,
                    silenced=bool(a.detail and a.detail.startswith(SILENCED)),
                )
                for a in attempts[m.id]
            ),
            receiver_name=names.get(m.receiver, m.receiver),
            possible_duplicate=any(
                a.detail is not None and (a.detail == UNCONFIRMED or a.detail.startswith(POSSIBLE_DUPLICATE))
                for a in attempts[m.id]
            ),
        )
        for m in messages
    ]


def notification_log_page(
    session: Session, *, failed: bool = False, limit: int = 50, offset: int = 0
) -> Page[OutboxEntry]:
    """A page of :func:`notification_log` with the number of every matching message (SQL COUNT)."""
    check_window(limit, offset)
    rows = notification_log(session, failed=failed, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, outbox_query(failed=failed)), limit=limit, offset=offset)
