"""Withdrawing a milestone (撤回): the coordinator's correction of a schedule, kept and audited.

A withdrawn milestone is never deleted: it keeps its key (so generating again does not bring it back), its
reports and extensions, and records who withdrew it, when and why. It counts nowhere — status, overdue,
notify, the dashboard's lists, 考核 (:func:`duban.storage.queries.active_milestone`) — for any day, past
ones included: a withdrawal says the milestone should not have been asked for. A 考核 already frozen
(published) stays as it was. No report or extension can be filed on it any more. Listings show it as 已撤回.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import Milestone, utcnow


@dataclass(frozen=True, slots=True)
class Withdrawal(JsonResult):
    """``duban milestones withdraw``: the milestone withdrawn, by whom, when and why."""

    milestone: int
    task: int
    responsibility: int
    period: str
    due_date: dt.date
    reason: str
    withdrawn_by: str
    withdrawn_at: dt.datetime


def withdraw_milestone(
    session: Session, *, actor: Actor, milestone_id: int, reason: str, at: dt.datetime | None = None
) -> Withdrawal:
    """Withdraw a milestone with a reason (required). Withdrawing it again is refused, naming the first time."""
    require_coordinator(actor, "撤回督办节点")
    if not reason or not reason.strip():
        raise ValidationError("撤回督办节点必须写明理由（--reason）")
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFoundError(f"没有编号为 {milestone_id} 的节点（见 duban milestones）")
    if milestone.withdrawn_at is not None:
        raise ValidationError(
            f"节点 #{milestone.id} 已于 {milestone.withdrawn_at:%Y-%m-%d} 由 {milestone.withdrawn_by} 撤回"
            f"（{milestone.withdrawn_reason}）"
        )
    withdrawn_at, why = at or utcnow(), reason.strip()
    milestone.withdrawn_at, milestone.withdrawn_by, milestone.withdrawn_reason = withdrawn_at, actor.name, why
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="milestone.withdraw",
        entity_type="milestone",
        entity_id=milestone.id,
        task_id=milestone.task_id,
        before={"withdrawn": False},
        after={
            "withdrawn": True,
            "reason": milestone.withdrawn_reason,
            "period": milestone.period,
            "due_date": milestone.due_date,
            "responsibility": milestone.responsibility_id,
        },
    )
    return Withdrawal(
        milestone=milestone.id,
        task=milestone.task_id,
        responsibility=milestone.responsibility_id,
        period=milestone.period,
        due_date=milestone.due_date,
        reason=why,
        withdrawn_by=actor.name,
        withdrawn_at=withdrawn_at,
    )
