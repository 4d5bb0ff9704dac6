"""Ad-hoc 催办: remind one task's departments, or one department, now — not on the rules' schedule.

``duban remind --task "云民发〔2020〕8号 三"`` or ``--agency minzheng [--jurisdiction 530000]`` (and the
dashboard's 催办 key on a task and on a department) queue one message per department with what it owes
(open milestones overdue or due within the reminder window), record one audit event, and are deduplicated per
day: a second 催办 of the same scope and department on the same day queues nothing. The caller sends the
queued messages (:func:`duban.services.notifications.deliver_message`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import AlertLevel, MessageKind
from duban.errors import NotFoundError, ValidationError
from duban.notify import NotifyConfig
from duban.notify.digest import DigestItem, department_digest, worst
from duban.services import audit
from duban.services.escalation import notice_label
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import OutboxMessage, Policy, Responsibility, SupervisionNotice, Task

REMIND_ACTION = "notify.remind"


@dataclass(frozen=True, slots=True)
class Reminder(JsonResult):
    """One department's 催办 of this call: queued now (``message_id``), or already sent today."""

    receiver: str
    department: str
    items: int
    level: AlertLevel
    message_id: int | None  #: None: this department was already reminded of this scope today
    subject: str


@dataclass(frozen=True, slots=True)
class RemindResult(JsonResult):
    scope: str  #: what was reminded, in words: 任务 … / 部门 …
    day: dt.date
    reminders: tuple[Reminder, ...]
    unrouted: tuple[str, ...]  #: departments with no route: nothing queued for them

    @property
    def queued(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.reminders if r.message_id is not None)


def find_task(session: Session, ref: str) -> Task:
    """A task by its id (``12``) or as "政策 编号" (doc number or title, then the task's number, e.g.
    ``云民发〔2020〕8号 三`` or ``云民发〔2020〕8号 2.三``)."""
    ref = " ".join(ref.split())
    if ref.isdigit():
        task = session.get(Task, int(ref))
        if task is None:
            raise NotFoundError(f"没有编号为 {ref} 的任务（见 duban tasks）")
        return task
    policy_ref, _, number = ref.rpartition(" ")
    if not policy_ref or not number:
        raise ValidationError(
            f"任务 {ref!r} 应写成“政策文号或标题 任务编号”，如“云民发〔2020〕8号 三”，或任务的数字编号"
        )
    section, _, num = number.rpartition(".")
    policies = list(
        session.scalars(
            select(Policy).where(
                or_(Policy.doc_number == policy_ref, Policy.title == policy_ref),
                Policy.superseded_by_id.is_(None),
            )
        )
    )
    if not policies:
        raise NotFoundError(f"没有文号或标题为 {policy_ref} 的政策（见 duban policies）")
    stmt = select(Task).where(Task.policy_id.in_([p.id for p in policies]), Task.number == num)
    if section:
        stmt = stmt.where(Task.section == section)
    tasks = list(session.scalars(stmt))
    if not tasks:
        raise NotFoundError(f"政策 {policy_ref} 中没有任务 {number}（见 duban tasks）")
    if len(tasks) > 1:
        sections = "、".join(f"{t.section}.{t.number}" for t in tasks if t.section)
        raise ValidationError(f"政策 {policy_ref} 中有多个任务 {number}，请写明部分：{sections}")
    return tasks[0]


def _items(
    session: Session,
    config: NotifyConfig,
    day: dt.date,
    *,
    task: Task | None,
    agency: str | None,
    jurisdiction: str | None,
) -> list[DigestItem]:
    from duban.services.calendar import working_calendar
    from duban.services.notifications import _open_items

    cal = working_calendar(session, day.year, day.year + 1)
    rows, _names = _open_items(session, config, day, cal, [])
    items = [item for item, _fired in rows]
    if task is not None:
        ids = set(session.scalars(select(Responsibility.id).where(Responsibility.task_id == task.id)))
        items = [i for i in items if i.responsibility_id in ids]
    if agency is not None:
        items = [
            i
            for i in items
            if i.receiver.split("@")[0] == agency
            and (jurisdiction is None or i.receiver.partition("@")[2] == jurisdiction)
        ]
    if items:  # name the 督办单 of escalated items
        labels = {
            n.milestone_id: notice_label(n.year, n.number)
            for n in session.scalars(
                select(SupervisionNotice).where(
                    SupervisionNotice.milestone_id.in_([i.milestone_id for i in items][:5000]),
                    SupervisionNotice.resolved_on.is_(None),
                )
            )
        }
        items = [replace(i, notice=labels.get(i.milestone_id, "")) for i in items]
    return items


def _message(
    department: str, receiver: str, day: dt.date, items: Sequence[DigestItem], *, escalate_after: int, by: str
) -> tuple[str, str, AlertLevel]:
    level = worst(i.level for i in items)
    overdue = sum(1 for i in items if i.level != AlertLevel.BLUE)
    _subject, body = department_digest(department, receiver, day, items, escalate_after=escalate_after)
    subject = f"【督办·催办】{department}：请尽快报送 {len(items)} 项" + (
        f"（逾期 {overdue} 项）" if overdue else ""
    )
    subject += f"（{day.isoformat()}）"
    return subject, f"协调人（{by}）催办：以下事项请尽快办理并报送。\n\n{body}", level


def remind(
    session: Session,
    *,
    actor: Actor,
    config: NotifyConfig,
    day: dt.date,
    now: dt.datetime,
    task_ref: str | None = None,
    agency: str | None = None,
    jurisdiction: str | None = None,
) -> RemindResult:
    """Queue a 催办 for one task's departments or one department (one transaction, one audit event)."""
    from duban.services.calendar import working_calendar
    from duban.services.notifications import _insert, _Planned, release_time

    require_coordinator(actor, "催办")
    if (task_ref is None) == (agency is None):
        raise ValidationError("催办需要指定 --task 或 --agency 之一")
    task = find_task(session, task_ref) if task_ref is not None else None
    if task is not None:
        policy = session.get(Policy, task.policy_id)
        assert policy is not None
        number = f"{task.section}.{task.number}" if task.section else task.number
        scope_words = f"任务 {policy.doc_number or policy.title} {number}"
        scope_key = f"task-{task.id}"
    else:
        from duban.services.names import name_book

        scope_words = f"部门 {name_book(session, jurisdiction=jurisdiction).agency(agency, jurisdiction)}"
        scope_key = f"agency-{agency}" + (f"-{jurisdiction}" if jurisdiction else "")
    items = _items(session, config, day, task=task, agency=agency, jurisdiction=jurisdiction)
    if not items:
        raise NotFoundError(f"{scope_words} 没有逾期或即将到期的未报节点，无需催办")
    by_receiver: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        by_receiver[item.receiver].append(item)
    cal = working_calendar(session, now.year, now.year + 1)
    release = release_time(config, cal, now)
    reminders: list[Reminder] = []
    unrouted: list[str] = []
    for receiver in sorted(by_receiver):
        group = by_receiver[receiver]
        department = group[0].department
        if not config.routes_for(receiver):
            unrouted.append(receiver)
            continue
        subject, body, level = _message(
            department, receiver, day, group, escalate_after=config.rules.escalate_after, by=actor.name
        )
        key = f"{MessageKind.REMIND.value}|{receiver}|{day.isoformat()}|{scope_key}"
        queued = _insert(session, _Planned(key, receiver, level, subject, body, day), release)
        message_id = (
            session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
            if queued
            else None
        )
        reminders.append(Reminder(receiver, department, len(group), level, message_id, subject))
    result = RemindResult(scope_words, day, tuple(reminders), tuple(unrouted))
    if result.queued:
        audit.record(
            session,
            actor=actor.name,
            action=REMIND_ACTION,
            entity_type="remind",
            entity_id=f"{day.isoformat()}|{scope_key}"[:80],
            task_id=task.id if task is not None else None,
            after={
                "scope": scope_words,
                "queued": [r.receiver for r in result.queued],
                "already": [r.receiver for r in reminders if r.message_id is None],
                "unrouted": list(unrouted),
            },
            at=now,
        )
    return result
