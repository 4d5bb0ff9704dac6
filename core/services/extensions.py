"""延期申请: requested before the due date, decided by the coordinator."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from duban.domain import limits
from duban.domain.vocabulary import ExtensionState
from duban.errors import ConflictError, NotFoundError, ValidationError
from duban.services import audit
from duban.services.clock import local_date
from duban.services.identity import Actor, require_coordinator
from duban.services.responsibilities import load_for_write, load_milestone
from duban.storage.models import Extension, Milestone, utcnow


def request_extension(
    session: Session,
    *,
    actor: Actor,
    milestone_id: int,
    new_date: dt.date,
    reason: str,
    progress: str,
    today: dt.date,
    at: dt.datetime | None = None,
) -> Extension:
    """Ask for a later due date. Only on or before the (effective) due date, with reason and progress."""
    milestone = load_milestone(session, milestone_id)
    load_for_write(session, actor, milestone.responsibility_id, "申请延期", today)
    if today > milestone.effective_due_date:
        raise ValidationError(
            f"节点 #{milestone.id} 已于 {milestone.effective_due_date} 到期，逾期后不能申请延期"
        )
    if new_date <= milestone.effective_due_date:
        raise ValidationError(f"新的日期 {new_date} 应晚于当前到期日 {milestone.effective_due_date}")
    if not reason.strip() or not progress.strip():
        raise ValidationError("延期申请必须写明理由（--reason）和目前进展（--progress）")
    limits.check_date(new_date, "延期到的日期")
    limits.check_text(reason, "延期理由")
    limits.check_text(progress, "目前进展")
    ext = Extension(
        milestone_id=milestone.id,
        requested_by=actor.name,
        requested_at=at or utcnow(),
        reason=reason,
        progress=progress,
        new_date=new_date,
    )
    session.add(ext)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="extension.request",
        entity_type="extension",
        entity_id=ext.id,
        task_id=milestone.task_id,
        after={
            "milestone": milestone.id,
            "due": milestone.effective_due_date.isoformat(),
            "new_date": new_date.isoformat(),
            "reason": reason,
            "progress": progress,
        },
    )
    return ext


def decide_extension(
    session: Session,
    *,
    actor: Actor,
    extension_id: int,
    approve: bool,
    reason: str | None = None,
    at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Extension:
    """Approve (moves the milestone's effective due date) or refuse a pending extension."""
    require_coordinator(actor, "审批延期")
    ext = session.get(Extension, extension_id)
    if ext is None:
        raise NotFoundError(f"没有编号为 {extension_id} 的延期申请")
    if ext.state != ExtensionState.PENDING:
        raise ValidationError(f"延期申请 #{ext.id} 已处理（{ext.state.label}）")
    milestone = session.get(Milestone, ext.milestone_id)
    assert milestone is not None
    before = {"state": ext.state, "effective_due": milestone.effective_due_date.isoformat()}
    decided_at = at or utcnow()
    # compare-and-set on the state: of two coordinators deciding the same request at once only one updates the
    # row (on PostgreSQL the second waits for the first one's row lock, then sees it decided)
    decided = session.execute(
        update(Extension)
        .where(Extension.id == ext.id, Extension.state == ExtensionState.PENDING)
        .values(
            state=ExtensionState.APPROVED if approve else ExtensionState.REFUSED,
            decided_by=actor.name,
            decided_at=decided_at,
            decision_reason=reason,
            decided_on=today or local_date(decided_at),
        )
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"延期申请 #{ext.id} 刚被他人审批（同时审批）：本次审批未保存，请刷新后重试")
    session.refresh(ext)
    if approve:
        milestone.effective_due_date = ext.new_date
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="extension.approve" if approve else "extension.refuse",
        entity_type="extension",
        entity_id=ext.id,
        task_id=milestone.task_id,
        before=before,
        after={
            "state": ext.state,
            "effective_due": milestone.effective_due_date.isoformat(),
            "reason": reason,
        },
    )
    return ext
