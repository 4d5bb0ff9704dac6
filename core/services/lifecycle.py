"""签收 and 复核: the states of a responsibility (交办 → 签收 → 办理 → 申请办结 → 办结 / 退办)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from duban.domain.vocabulary import ResponsibilityState, ReviewState
from duban.errors import ConflictError, NotFoundError, ValidationError
from duban.services import audit
from duban.services.clock import local_date
from duban.services.identity import Actor, require_coordinator
from duban.services.responsibilities import load_for_write, snapshot
from duban.storage.models import Report, Responsibility, utcnow


def acknowledge(
    session: Session, *, actor: Actor, responsibility_id: int, at: dt.datetime | None = None
) -> Responsibility:
    """签收: the department confirms it has received the assignment."""
    resp = load_for_write(session, actor, responsibility_id, "签收")
    if resp.state != ResponsibilityState.ASSIGNED:
        raise ValidationError(f"责任 #{resp.id} 当前状态为{resp.state.label}，无需签收")
    before = snapshot(resp)
    resp.state = ResponsibilityState.ACKNOWLEDGED
    resp.acknowledged_at = at or utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="responsibility.acknowledge",
        entity_type="responsibility",
        entity_id=resp.id,
        task_id=resp.task_id,
        before=before,
        after=snapshot(resp),
    )
    return resp


def review_report(
    session: Session,
    *,
    actor: Actor,
    report_id: int,
    accept: bool,
    reason: str | None = None,
    at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Report:
    """复核: the coordinator accepts or returns (退办, with a reason) a report.

    Accepting a report that asked for 办结 closes the responsibility; returning it sends the
    responsibility back (退办).
    """
    require_coordinator(actor, "复核报送")
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError(f"没有编号为 {report_id} 的报送（见 duban report list）")
    if not report.is_current:
        raise ValidationError(f"报送 #{report.id} 已有更正版本，请复核最新版本")
    if report.review_state != "submitted":
        raise ValidationError(f"报送 #{report.id} 已复核（{report.review_state}）")
    if not accept and not (reason and reason.strip()):
        raise ValidationError("退回报送必须说明理由（--reason）")
    resp = session.get(Responsibility, report.responsibility_id)
    assert resp is not None
    before = {"report": report.review_state, **snapshot(resp)}
    reviewed_at = at or utcnow()
    decision = ReviewState.ACCEPTED if accept else ReviewState.RETURNED
    # compare-and-set: only a report still waiting for 复核 is decided; a second coordinator deciding the same
    # report at the same moment updates no row (on PostgreSQL it waits for the first one's row lock, then sees
    # the new state) and gets a ConflictError
    decided = session.execute(
        update(Report)
        .where(
            Report.id == report.id, Report.review_state == ReviewState.SUBMITTED, Report.is_current.is_(True)
        )
        .values(
            review_state=decision,
            review_reason=reason,
            reviewed_by=actor.name,
            reviewed_at=reviewed_at,
            reviewed_on=today or local_date(reviewed_at),
        )
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(report.id)
    session.refresh(report)
    if resp.state == ResponsibilityState.COMPLETION_REQUESTED:
        resp.state = ResponsibilityState.CLOSED if accept else ResponsibilityState.RETURNED
        resp.closed_on = report.reviewed_on if accept else None
    elif not accept:
        resp.state = ResponsibilityState.RETURNED
    flag_modified(
        resp, "state"
    )  # always bump the responsibility's version: a report filed meanwhile conflicts
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise _conflict(report.id) from exc
    audit.record(
        session,
        actor=actor.name,
        action="report.accept" if accept else "report.return",
        entity_type="report",
        entity_id=report.id,
        task_id=resp.task_id,
        before=before,
        after={"report": report.review_state, "reason": reason, **snapshot(resp)},
    )
    return report


def _conflict(report_id: int) -> ConflictError:
    return ConflictError(
        f"报送 #{report_id} 或其责任刚被他人处理（同时复核或报送）：本次复核未保存，请刷新后重试"
    )
