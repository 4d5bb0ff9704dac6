"""Where supervision starts, and the comment duty of a draft.

A policy is supervised from its **supervision start** (``Policy.supervision_start``): the day given on
import (``duban import FILE --from DATE``), by default the day it was imported, or set later
(``duban schedule start``). A schedule may carry its own start (``duban schedule confirm ID --from DATE``,
``duban schedule set --start``), which overrides the policy's for that schedule. No milestone is generated
before the start (``duban milestones generate --include-past`` asks for them, from the issue date): importing
a 2019 document today supervises it from today, not quarterly back to 2019.

A draft (征求意见稿) with a comment deadline gets one duty of its own: a task of kind ``comment`` whose
only party is the coordinator's agency (``general.coordinator_agency``, 妇儿工委 by default), due on the
deadline (a confirmed ``once`` schedule). It is the coordinator who must answer the draft in time; the duty
shows in status, overdue and notify like any other, but a draft is not assessed (考核). It exists only when
the deadline is on or after the supervision start: a deadline that passed before supervision began is
not chased.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import PolicyStatus, Role, ScheduleSource, TaskKind
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.clock import local_date
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import Agency, Policy, Responsibility, Schedule, Task

#: the agency that answers drafts when the configuration names none (妇儿工委办 coordinates, see DESIGN)
DEFAULT_COORDINATOR_AGENCY = "fuergongwei"
COMMENT_NUMBER = "意见反馈"


def policy_start(policy: Policy) -> dt.date:
    """The first day a policy is supervised: its recorded start, else the day it was stored."""
    if policy.supervision_start is not None:
        return policy.supervision_start
    return local_date(policy.imported_at) if policy.imported_at else dt.date.today()


def schedule_start(policy: Policy, schedule: Schedule | None) -> dt.date:
    """A schedule's own start, else its policy's."""
    if schedule is not None and schedule.start is not None:
        return schedule.start
    return policy_start(policy)


# -- the comment duty of a draft ----------------------------------------------------------------------


def comment_task(session: Session, policy_id: int) -> Task | None:
    return session.scalar(select(Task).where(Task.policy_id == policy_id, Task.kind == TaskKind.COMMENT))


def ensure_comment_duty(
    session: Session, policy: Policy, *, agency_key: str | None, start: dt.date
) -> tuple[Task | None, str | None]:
    """Give a draft with a comment deadline on or after ``start`` its comment duty (once).

    Returns the task (None when there is nothing to supervise) and a warning to show, if any.
    """
    deadline = policy.comment_deadline
    if policy.status != PolicyStatus.DRAFT or deadline is None:
        return None, None
    existing = comment_task(session, policy.id)
    if existing is not None:
        return existing, None
    if deadline < start:
        return None, (
            f"征求意见截止日 {deadline} 早于督办起始日 {start}：不再督办意见反馈"
            "（需要时用 --from 指定更早的起始日）"
        )
    agency = session.get(Agency, agency_key) if agency_key else None
    warning = None
    if agency is None:
        warning = f"协调人所在部门 {agency_key or '（未配置）'} 未登记：意见反馈责任暂无部门，请检查 general.coordinator_agency"
    name = (agency.names or {}).get(policy.level or "", agency.name) if agency else "协调人"
    position = (session.scalar(select(func.max(Task.position)).where(Task.policy_id == policy.id)) or 0) + 1
    issuers = "、".join(policy.issuers) or "起草单位"
    task = Task(
        policy_id=policy.id,
        kind=TaskKind.COMMENT,
        number=COMMENT_NUMBER,
        text=f"研究《{policy.title}》（征求意见稿），于 {deadline.isoformat()} 前向起草单位（{issuers}）反馈意见。",
        position=position,
        schedule_hints=[],
    )
    task.responsibilities.append(
        Responsibility(
            agency_key=agency.key if agency else None,
            name_as_written=name,
            jurisdiction_code=policy.jurisdiction_code,
            role=Role.LEAD,
        )
    )
    session.add(task)
    session.flush()
    session.add(
        Schedule(
            task_id=task.id,
            rule=f"once {deadline.isoformat()}",
            source=ScheduleSource.HINT,
            confirmed=True,
            note="征求意见截止日",
        )
    )
    session.flush()
    return task, warning


# -- setting the start --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartChange(JsonResult):
    """``duban schedule start``: a policy's new supervision start, and the one it replaces."""

    policy_id: int
    policy: str  #: its doc number, else its title
    start: dt.date
    previous: dt.date | None
    comment_task: int | None = None  #: the draft's comment duty, when it has (or now gets) one
    warning: str | None = None


def set_supervision_start(
    session: Session,
    *,
    actor: Actor,
    policy_id: int,
    start: dt.date,
    coordinator_agency: str | None = DEFAULT_COORDINATOR_AGENCY,
) -> StartChange:
    """Set the day a policy's supervision starts. Milestones already generated stay (withdraw those
    that should not be chased); the next ``milestones generate`` uses the new start."""
    require_coordinator(actor, "设定督办起始日")
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFoundError(f"没有编号为 {policy_id} 的政策（见 duban policies）")
    if policy.superseded_by_id is not None:
        raise ValidationError(f"政策 #{policy.id} 已被替换：请设定现行版本的督办起始日")
    previous = policy.supervision_start
    policy.supervision_start = start
    task, warning = ensure_comment_duty(session, policy, agency_key=coordinator_agency, start=start)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="policy.supervision_start",
        entity_type="policy",
        entity_id=policy.id,
        before={"supervision_start": previous},
        after={"supervision_start": start, "comment_task": task.id if task else None},
    )
    return StartChange(
        policy_id=policy.id,
        policy=policy.doc_number or policy.title,
        start=start,
        previous=previous,
        comment_task=task.id if task else None,
        warning=warning,
    )
