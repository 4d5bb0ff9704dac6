"""Silences (``duban notify silence``): mute a department, a task or a route for a period.

A silence has an author, a reason and an expiry (``ends_at``); removing one early records who did. Planning
(:func:`duban.services.notifications.plan_messages`) leaves out the digests and leadership notices of a
silenced department and the items of a silenced task; sending skips a silenced route (the attempt is
recorded as 已静默 with the silence's reason and expiry). Completion notices and failure notices to the
coordinator are never silenced. Each add and remove is audited (``notify.silence.add`` / ``.remove``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import SilenceScope
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import Agency, Jurisdiction, NotificationSilence, Policy, Task

__all__ = [
    "SilenceEntry",
    "ActiveSilences",
    "active_silences",
    "add_silence",
    "list_silences",
    "remove_silence",
    "silenced_routes",
]


@dataclass(frozen=True, slots=True)
class SilenceEntry(JsonResult):
    """One silence. Times are UTC; ``active`` at the time it was listed."""

    id: int
    scope: SilenceScope
    target: str
    reason: str
    author: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_at: dt.datetime
    removed_at: dt.datetime | None
    removed_by: str | None
    active: bool
    #: what a person reads for ``target``: 云南省民政厅 (not minzheng@530000), 民发〔2019〕86号 三 (not a task id),
    #: the route's name
    target_name: str = ""


@dataclass(frozen=True)
class ActiveSilences:
    """What is muted at one moment: department receivers (``minzheng@530000`` or a whole agency
    ``minzheng``), task ids and route names or keys, each with a line saying why and until when."""

    departments: dict[str, SilenceEntry]
    tasks: dict[int, SilenceEntry]
    routes: dict[str, SilenceEntry]

    def department(self, receiver: str) -> SilenceEntry | None:
        base = receiver.partition("#")[0]
        return self.departments.get(base) or self.departments.get(base.partition("@")[0])


def _entry(session: Session, s: NotificationSilence, now: dt.datetime) -> SilenceEntry:
    return SilenceEntry(
        id=s.id,
        scope=SilenceScope(s.scope),
        target=s.target,
        reason=s.reason,
        author=s.author,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        created_at=s.created_at,
        removed_at=s.removed_at,
        removed_by=s.removed_by,
        active=s.removed_at is None and s.starts_at <= now < s.ends_at,
        target_name=target_name(session, SilenceScope(s.scope), s.target),
    )


def target_name(session: Session, scope: SilenceScope, target: str) -> str:
    """The words a person reads for a silence's target (see :attr:`SilenceEntry.target_name`)."""
    from duban.services.names import name_book

    if scope == SilenceScope.DEPARTMENT:
        agency, _, jurisdiction = target.partition("@")
        return name_book(session, jurisdiction=jurisdiction or None).agency(agency, jurisdiction or None)
    if scope == SilenceScope.TASK and target.isdigit():
        task = session.get(Task, int(target))
        if task is not None:
            policy = session.get(Policy, task.policy_id)
            number = f"{task.section}.{task.number}" if task.section else task.number
            return f"{policy.doc_number or policy.title if policy else ''} {number}".strip()
    return target


def _has_table(session: Session) -> bool:
    return inspect(session.get_bind()).has_table(NotificationSilence.__tablename__)


def describe(entry: SilenceEntry, tz: str = "Asia/Shanghai") -> str:
    """``静默 #3 至 2026-02-10 18:00（张三：春节值班）`` — for the log, the run's output and the 通知 screen."""
    from zoneinfo import ZoneInfo

    until = entry.ends_at.astimezone(ZoneInfo(tz))
    return f"静默 #{entry.id} 至 {until:%Y-%m-%d %H:%M}（{entry.author}：{entry.reason}）"


def _check_target(session: Session, scope: SilenceScope, target: str) -> str:
    target = target.strip()
    if scope == SilenceScope.DEPARTMENT:
        agency, _, jur = target.partition("@")
        if session.get(Agency, agency) is None:
            raise NotFoundError(
                f"没有代码为 {agency} 的部门：应为 部门代码 或 部门代码@行政区划代码（见 duban agencies）"
            )
        if jur and session.get(Jurisdiction, jur) is None:
            raise NotFoundError(
                f"没有代码为 {jur} 的行政区划：应为 6 位 GB/T 2260 代码（见 duban jurisdictions）"
            )
    elif scope == SilenceScope.TASK:
        if not target.isdigit() or session.get(Task, int(target)) is None:
            raise NotFoundError(f"没有编号为 {target} 的任务：应为任务编号（见 duban tasks）")
    elif not target:
        raise ValidationError("渠道静默应写明渠道的 name（见配置 [[notify.routes]]）")
    return target


def add_silence(
    session: Session,
    *,
    actor: Actor,
    scope: SilenceScope,
    target: str,
    until: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> SilenceEntry:
    """Mute ``target`` from now until ``until`` (aware). Audited ``notify.silence.add``."""
    require_coordinator(actor, "设置通知静默")
    now = now or dt.datetime.now(dt.UTC)
    if until.tzinfo is None:
        raise ValidationError("静默的截止时间应带时区")
    if until <= now:
        raise ValidationError(f"静默的截止时间 {until:%Y-%m-%d %H:%M} 已过：应晚于现在")
    if not reason.strip():
        raise ValidationError("请写明静默的理由（--reason）")
    target = _check_target(session, scope, target)
    row = NotificationSilence(
        scope=scope,
        target=target,
        reason=reason.strip(),
        author=actor.name,
        starts_at=now,
        ends_at=until.astimezone(dt.UTC),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="notify.silence.add",
        entity_type="notification_silence",
        entity_id=row.id,
        after={"scope": str(scope), "target": target, "until": row.ends_at.isoformat(), "reason": row.reason},
    )
    return _entry(session, row, now)


def remove_silence(
    session: Session, *, actor: Actor, silence_id: int, now: dt.datetime | None = None
) -> SilenceEntry:
    """End a silence early (kept, with who ended it). Audited ``notify.silence.remove``."""
    require_coordinator(actor, "解除通知静默")
    now = now or dt.datetime.now(dt.UTC)
    row = session.get(NotificationSilence, silence_id)
    if row is None:
        raise NotFoundError(f"没有编号为 {silence_id} 的静默（见 duban notify silence list）")
    if row.removed_at is not None:
        raise ValidationError(f"静默 #{silence_id} 已于 {row.removed_at:%Y-%m-%d %H:%M} 解除")
    row.removed_at, row.removed_by = now, actor.name
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="notify.silence.remove",
        entity_type="notification_silence",
        entity_id=row.id,
        before={"until": row.ends_at.isoformat()},
        after={"removed_at": now.isoformat()},
    )
    return _entry(session, row, now)


def list_silences(
    session: Session, *, now: dt.datetime | None = None, include_ended: bool = False
) -> list[SilenceEntry]:
    """Silences in force (and, with ``include_ended``, the expired and removed ones), newest first."""
    now = now or dt.datetime.now(dt.UTC)
    if not _has_table(session):
        return []
    stmt = select(NotificationSilence).order_by(NotificationSilence.id.desc())
    if not include_ended:
        stmt = stmt.where(
            NotificationSilence.removed_at.is_(None),
            NotificationSilence.starts_at <= now,
            NotificationSilence.ends_at > now,
        )
    return [_entry(session, s, now) for s in session.scalars(stmt)]


def active_silences(session: Session, now: dt.datetime) -> ActiveSilences:
    entries = list_silences(session, now=now)
    return ActiveSilences(
        departments={e.target: e for e in entries if e.scope == SilenceScope.DEPARTMENT},
        tasks={int(e.target): e for e in entries if e.scope == SilenceScope.TASK},
        routes={e.target: e for e in entries if e.scope == SilenceScope.ROUTE},
    )


def silenced_routes(session: Session, now: dt.datetime, tz: str = "Asia/Shanghai") -> dict[str, str]:
    """Route name or key → why it is silent now."""
    return {target: describe(e, tz) for target, e in active_silences(session, now).routes.items()}
