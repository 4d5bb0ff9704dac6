"""The append-only, hash-chained audit journal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select, text
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import AuditEvent

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"
AUDIT_LOCK_KEY = 0x6475_6261  # "duba"


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    task_id: int | None,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = _canonical(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "task_id": task_id,
            "before": before,
            "after": after,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    task_id: int | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event, chained to the last one.

    On PostgreSQL a transaction-scoped advisory lock serialises appends, so two users writing at the same
    moment both get their event (the second waits for the first to commit); SQLite serialises writers itself.
    PostgreSQL also names who the database proved: when the login's user (or, for a login no user is
    mapped to, the role) is not ``actor``, the event's actor is "login 代 actor" — the owner using ``--as``,
    a department user's status run recording a ``system`` event. A trigger (migration 0007) refuses any other
    actor from a login that does not own the database.
    """
    if session.get_bind().dialect.name == "postgresql":
        who = (
            session.execute(
                text(
                    "SELECT pg_advisory_xact_lock(:key), coalesce("
                    "(SELECT name FROM app_user WHERE db_role = current_user), current_user::text) AS who"
                ),
                {"key": AUDIT_LOCK_KEY},
            )
            .one()
            .who
        )
        if who != actor:
            actor = f"{who} 代 {actor}"
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS_HASH
    at = (at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    before = json.loads(_canonical(before)) if before is not None else None
    after = json.loads(_canonical(after)) if after is not None else None
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        task_id=task_id,
        before=before,
        after=after,
        prev_hash=prev,
        hash=event_hash(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            task_id=task_id,
            before=before,
            after=after,
            prev_hash=prev,
        ),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class AuditProblem(JsonResult):
    """What ``duban audit verify`` found wrong with one event (``message`` is Chinese, for the reader)."""

    seq: int
    kind: str  # edited | inserted | deleted | broken_link
    message: str


@dataclass(frozen=True, slots=True)
class AuditEntry(JsonResult):
    """One event of the journal as ``duban audit log`` shows it. ``at`` is UTC."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    task: int | None
    before: Any
    after: Any
    hash: str


def verify(session: Session) -> list[AuditProblem]:
    """Walk the chain in ``seq`` order; name every edited, inserted or deleted event."""
    problems: list[AuditProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if ev.seq != expected_seq:
            kind = "deleted" if ev.seq > expected_seq else "inserted"
            problems.append(
                AuditProblem(
                    ev.seq,
                    kind,
                    f"第 {expected_seq} 条之后的序号跳到 {ev.seq}：有事件被删除"
                    if kind == "deleted"
                    else f"序号 {ev.seq} 重复或倒退：有事件被插入",
                )
            )
        recomputed = event_hash(
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            entity_type=ev.entity_type,
            entity_id=ev.entity_id,
            task_id=ev.task_id,
            before=ev.before,
            after=ev.after,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            problems.append(AuditProblem(ev.seq, "edited", f"第 {ev.seq} 条事件的内容与其哈希不符：已被修改"))
        elif ev.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    ev.seq,
                    "broken_link",
                    f"第 {ev.seq} 条事件指向的上一条哈希不符：其前有事件被插入、删除或修改",
                )
            )
        prev_hash = ev.hash
        expected_seq = ev.seq + 1
    return problems


def events_query(*, task_id: int | None = None) -> Select[*tuple[Any, ...]]:
    """The events of :func:`list_events`, newest first (one statement for the rows and their count)."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if task_id is not None:
        stmt = stmt.where(AuditEvent.task_id == task_id)
    return stmt


def list_events(
    session: Session, *, task_id: int | None = None, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    """The newest events first (of one task, when given)."""
    stmt = events_query(task_id=task_id).limit(limit).offset(offset)
    return [
        AuditEntry(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            task=e.task_id,
            before=e.before,
            after=e.after,
            hash=e.hash,
        )
        for e in session.execute(stmt).scalars()
    ]


def list_events_page(
    session: Session, *, task_id: int | None = None, limit: int = 100, offset: int = 0
) -> Page[AuditEntry]:
    """A page of :func:`list_events` with the number of every matching event (SQL COUNT)."""
    check_window(limit, offset)
    rows = list_events(session, task_id=task_id, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, events_query(task_id=task_id)), limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class PastEvent(JsonResult):
    """An event to journal after the fact (:func:`record_many`), with the time it happened."""

    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    task_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record_many(session: Session, events: Iterable[PastEvent]) -> int:
    """Append many events in the given order, chained exactly as :func:`record` would chain them one by one,
    in one bulk insert (``duban demo`` journals years of synthetic history this way, on its embedded SQLite
    database). ``actor`` is taken as given: this is for a database's builder, not for a user's action (those
    go through :func:`record`). The number appended."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    session.flush()
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq = last.seq if last else 0
    prev = last.hash if last else GENESIS_HASH
    rows: list[dict[str, Any]] = []
    for ev in events:
        seq += 1
        at = ev.at.replace(microsecond=0)
        before = json.loads(_canonical(ev.before)) if ev.before is not None else None
        after = json.loads(_canonical(ev.after)) if ev.after is not None else None
        digest = event_hash(
            seq=seq,
            at=at,
            actor=ev.actor,
            action=ev.action,
            entity_type=ev.entity_type,
            entity_id=ev.entity_id,
            task_id=ev.task_id,
            before=before,
            after=after,
            prev_hash=prev,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": ev.actor,
                "action": ev.action,
                "entity_type": ev.entity_type,
                "entity_id": ev.entity_id,
                "task_id": ev.task_id,
                "before": before,
                "after": after,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        session.execute(insert(AuditEvent), rows)
    return len(rows)
