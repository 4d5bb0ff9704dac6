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
    UNCONFIRMED,
    Delivery,
    Envelope,
    NotifyConfig,
    Route,
    Sender,
    department_receiver,
    message_parts,
)
from duban.notify import send as default_send
from duban.notify.digest import (
    DigestItem,
    completion_notice,
    department_digest,
    failure_notice,
    worst,
)
from duban.notify.rules import CountingCalendar, item_level, triggers_on, working_days_overdue
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.calendar import working_calendar
from duban.services.escalation import LadderConfig, mark_items, plan_ladder
from duban.services.notification_results import (
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryRecord,
    OutboxEntry,
    PlannedMessage,
    RunReport,
)
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.services.responsibility_checks import run_responsibility_checks
from duban.storage.db import unit_of_work
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


def _department_names(
    session: Session, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], str]:
    keys = set(keys)
    agencies = {a.key: a for a in session.scalars(select(Agency).where(Agency.key.in_({k for k, _ in keys})))}
    jurs = {
        j.code: j
        for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_({j for _, j in keys if j})))
    }
    out = {}
    for agency_key, jur_code in keys:
        agency, jur = agencies.get(agency_key), jurs.get(jur_code or "")
        name = agency.name if agency else agency_key
        if agency and jur:
            written = (agency.names or {}).get(jur.level)
            prefix = _JUR_PREFIX.get(jur.level)
            if written and prefix and written.startswith(prefix):
                name = jur.name + written[len(prefix) :]
            elif written:
                name = written if jur.level == "national" else jur.name + written
            else:
                name = f"{jur.name}{agency.name}部门"
        out[(agency_key, jur_code)] = name
    return out


def last_run_day(session: Session) -> dt.date | None:
    """The latest day a (non dry-run) notify run planned, from the audit journal."""
    value = session.scalar(select(func.max(AuditEvent.entity_id)).where(AuditEvent.action == RUN_ACTION))
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

    @property
    def kind(self) -> MessageKind:
        return MessageKind(self.key.split("|", 1)[0])


def _open_items(
    session: Session, config: NotifyConfig, day: dt.date, cal: WorkingCalendar, window: list[dt.date]
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
        cal if first.year >= day.year - 1 else working_calendar(session, first.year, day.year + 1),
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


def plan_messages(
    session: Session,
    *,
    config: NotifyConfig,
    as_of: dt.date,
    now: dt.datetime,
    record_run: bool = True,
    ladder: LadderConfig | None = None,
) -> RunReport:
    """Write the outbox rows the rules call for on ``as_of``; the caller commits (one transaction)."""
    cal = working_calendar(session, as_of.year, as_of.year + 1)
    if not cal.is_working_day(as_of):
        # nothing fires on a non-working day; the next working day catches up
        return RunReport(as_of=as_of, working_day=False)
    window = _window(cal, as_of, last_run_day(session), config.lookback_days)
    items, names = _open_items(session, config, as_of, cal, window)
    # --- issue 19 item 1: climb the escalation ladder; digests name the 督办单 really issued ---
    ladder_plan = plan_ladder(
        session,
        config=config,
        ladder=ladder or LadderConfig(),
        day=as_of,
        items=[item for item, _fired in items],
        cal=cal,
        add_working_days=cal.add_working_days,
    )
    items = mark_items(items, ladder_plan)
    # --- end of the escalation hook ---
    rules = config.rules
    planned: list[_Planned] = []

    by_receiver: dict[str, list[tuple[DigestItem, set[str]]]] = defaultdict(list)
    for item, fired in items:
        by_receiver[item.receiver].append((item, fired))
    for receiver in sorted(by_receiver):
        entries = by_receiver[receiver]
        if not any(fired for _item, fired in entries):
            continue
        digest_items = [item for item, _fired in entries]
        level = worst(i.level for i in digest_items)
        subject, body = department_digest(
            names[receiver], receiver, as_of, digest_items, escalate_after=rules.escalate_after
        )
        planned.append(
            _Planned(f"digest|{receiver}|{as_of.isoformat()}|{level}", receiver, level, subject, body, as_of)
        )

    # --- issue 19 item 1: the escalation ladder's messages (duban.services.escalation) ---
    planned += [
        _Planned(m.key, m.receiver, m.level, m.subject, m.body, m.period) for m in ladder_plan.messages
    ]
    from duban.services.supervision_reports import periodic_messages  # imports this module

    reports = periodic_messages(session, config=config, ladder=ladder or LadderConfig(), as_of=as_of)
    planned += [_Planned(m.key, m.receiver, m.level, m.subject, m.body, m.period) for m in reports]
    # --- end of the escalation hook ---
    planned += _completions(session, config, as_of)

    release = release_time(config, cal, now)
    written: list[PlannedMessage] = []
    unrouted: list[str] = []
    for msg in planned:
        if not config.routes_for(msg.receiver):
            unrouted.append(msg.receiver)
            continue
        if _insert(session, msg, release):
            written.append(
                PlannedMessage(msg.key, msg.receiver, AlertLevel(msg.level), msg.subject, msg.body, release)
            )
    if record_run:
        audit.record(
            session,
            actor=audit.SYSTEM_ACTOR,
            action=RUN_ACTION,
            entity_type="notify_run",
            entity_id=as_of.isoformat(),
            after={
                "planned": [p.key for p in written],
                "unrouted": unrouted,
                # issue 19: the 督办单 issued (new) or escalated again (again) by this run
                "escalated": [f"{step.notice}:{step.what}" for step in ladder_plan.steps],
            },
        )
    return RunReport(as_of=as_of, planned=tuple(written), unrouted=tuple(unrouted))


def _insert(session: Session, msg: _Planned, release: dt.datetime) -> bool:
    """Insert unless the key exists (or, for a digest, any digest of that receiver and day exists)."""
    if msg.kind == MessageKind.DIGEST:  # one digest per receiver per run day, whatever its level
        exists = select(OutboxMessage.id).where(
            OutboxMessage.kind == MessageKind.DIGEST,
            OutboxMessage.receiver == msg.receiver,
            OutboxMessage.period == msg.period,
        )
    else:
        exists = select(OutboxMessage.id).where(OutboxMessage.idempotency_key == msg.key)
    if session.scalar(exists.limit(1)) is not None:
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


def _claim(session: Session, message_id: int, now: dt.datetime) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .values(state=OutboxState.SENDING, next_attempt_at=now + SENDING_LEASE)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)  # what an UPDATE without RETURNING gives (typed as any Result)
    return result.rowcount == 1


def _backoff(config: NotifyConfig, attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=config.retry_minutes * 2 ** max(attempts - 1, 0)), dt.timedelta(hours=24))


def _open_claim(
    factory: sessionmaker[Session], message_id: int, route: Route, part: int, parts: int, now: dt.datetime
) -> int:
    """Claim one part before sending it (its own committed transaction): the attempt row says
    :data:`~duban.notify.CLAIMED` until :func:`_close_claim` writes the result."""
    with unit_of_work(factory) as session:
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


def deliver_message(
    factory: sessionmaker[Session],
    message_id: int,
    *,
    config: NotifyConfig,
    now: dt.datetime,
    sender: Sender = default_send,
    cal: WorkingCalendar | None = None,
) -> DeliveryOutcome | None:
    """Claim, send and mark one message. None if another run has it.

    Each step is its own transaction: the message is claimed (a lease), then every part of every route is
    claimed before it is sent and marked after, then the message is marked. A crash between a part's claim
    and its mark leaves a claim without a mark: the next run (once the lease ran out) sends that part again
    with the note 可能重复发送 — at most one duplicate per part — and never resends a part marked delivered.
    """
    with unit_of_work(factory) as session:
        if not _claim(session, message_id, now):
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
        done = {(a.route_key, a.part): a for a in recorded if a.ok or a.permanent}
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
    routes = config.routes_for(receiver)
    attempts: list[DeliveryAttempt] = []
    duplicates = 0
    open_targets = 0
    if not routes:
        attempts.append(DeliveryAttempt("（无渠道）", False, True, f"没有匹配 {receiver} 的通知渠道"))
    for route in routes:
        parts = message_parts(route, subject, body)
        for i, (title, text) in enumerate(parts, start=1):
            if (route.key, i) in done:
                continue
            if attempts and attempts[-1].ok:
                pause("notify.between_parts")
            claim_id = _open_claim(factory, message_id, route, i, len(parts), now)
            pause("notify.after_claim")
            try:
                envelope = Envelope(message_id, key, receiver, level, i, len(parts), now)
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
            attempts.append(DeliveryAttempt(route.redacted[:500], result.ok, permanent, result.detail[:2000]))
            if not result.ok:
                open_targets += 0 if result.permanent else len(parts) - i + 1
                break  # keep the parts in order: the rest of this route waits
    with unit_of_work(factory) as session:
        msg = session.get(OutboxMessage, message_id)
        assert msg is not None
        if not routes:
            session.add(
                NotificationAttempt(
                    message_id=message_id,
                    url_redacted="（无渠道）",
                    ok=False,
                    permanent=True,
                    detail=f"没有匹配 {receiver} 的通知渠道",
                    at=now,
                )
            )
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
                    at=now,
                )
            )
            open_targets = 0
        dead = bool(new_permanent) or gave_up or any(a.permanent for a in done.values())
        delivered = any(a.ok for a in done.values()) or any(a.ok for a in attempts)
        cal = cal or working_calendar(session, now.year, now.year + 1)
        if open_targets:
            msg.state = OutboxState.PENDING
            msg.next_attempt_at = release_time(config, cal, now + _backoff(config, msg.attempts))
        else:
            msg.state = OutboxState.FAILED if dead else OutboxState.SENT
            msg.next_attempt_at = None
            if delivered and msg.sent_at is None:
                msg.sent_at = now
        if (new_permanent or gave_up) and msg.level != AlertLevel.FAILURE and config.routes_for(COORDINATOR):
            failures = [(a.url, a.detail or "") for a in new_permanent]
            if gave_up:
                failures.append(("（重试上限）", f"重试 {msg.attempts} 次仍未送达"))
            subject2, body2 = failure_notice(
                message_id=msg.id, receiver=msg.receiver, subject=msg.subject, failures=failures
            )
            _insert(
                session,
                _Planned(
                    f"failure|{COORDINATOR}|msg-{msg.id}|failure", COORDINATOR, "failure", subject2, body2
                ),
                release_time(config, cal, now),
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


def send_due(
    factory: sessionmaker[Session], *, config: NotifyConfig, now: dt.datetime, sender: Sender = default_send
) -> list[DeliveryOutcome]:
    """Send every due outbox row (pending and released, or claimed by a run whose lease ran out)."""
    outcomes: list[DeliveryOutcome] = []
    seen: set[int] = set()
    for _pass in range(3):  # a failure notice written while sending goes out in the same run
        with unit_of_work(factory) as session:
            ids = [i for i in _due_ids(session, now) if i not in seen]
            cal = working_calendar(session, now.year, now.year + 1)
        if not ids:
            break
        for message_id in ids:
            seen.add(message_id)
            outcome = deliver_message(factory, message_id, config=config, now=now, sender=sender, cal=cal)
            if outcome is not None:
                outcomes.append(outcome)
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
    ladder: LadderConfig | None = None,
) -> RunReport:
    """One ``duban notify`` run: plan (one transaction), then send what is due. Blocking; for cron, a
    systemd timer, or a dashboard thread worker. With ``host``, the plugins' responsibility checks run for
    ``as_of`` first, in the same transaction (their failures are in ``report.checks.faults``)."""
    now = now or dt.datetime.now(dt.UTC)
    as_of = as_of or _local(now, config).date()
    session = factory()
    try:
        checks = run_responsibility_checks(session, host=host, as_of=as_of) if host is not None else None
        report = replace(
            plan_messages(
                session, config=config, as_of=as_of, now=now, record_run=not dry_run, ladder=ladder
            ),
            checks=checks,
        )
        if dry_run:
            session.rollback()
            return replace(report, dry_run=True)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    sent = send_due(factory, config=config, now=now, sender=sender)
    with unit_of_work(factory) as session:
        held = (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at > now)
            )
            or 0
        )
    return replace(report, sent=tuple(sent), held=held)


def send_test(
    factory: sessionmaker[Session],
    *,
    config: NotifyConfig,
    tag: str,
    now: dt.datetime | None = None,
    sender: Sender = default_send,
) -> DeliveryOutcome:
    """``duban notify test --to TAG``: a test message to every route tagged TAG, now (no quiet hours)."""
    now = now or dt.datetime.now(dt.UTC)
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
    outcome = deliver_message(factory, message_id, config=config, now=now, sender=sender)
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
                )
                for a in attempts[m.id]
            ),
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
