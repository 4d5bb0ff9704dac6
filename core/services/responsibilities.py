"""Loading a responsibility for a write, with the acting user's scope checked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.errors import NotFoundError, ValidationError
from duban.services.identity import Actor, require_department_scope
from duban.storage.models import Agency, Milestone, Responsibility
from duban.storage.queries import active_milestone, merged_duties


def acting_agency(session: Session, agency_key: str | None, day: dt.date) -> str | None:
    """The agency that carries this work on ``day``: a dissolved agency's successor from its date on."""
    if agency_key is None:
        return None
    agency = session.get(Agency, agency_key)
    if agency and agency.successor_key and agency.successor_since and agency.successor_since <= day:
        return agency.successor_key
    return agency_key


def load_for_write(
    session: Session, actor: Actor, responsibility_id: int, what: str, day: dt.date | None = None
) -> Responsibility:
    resp = session.get(Responsibility, responsibility_id)
    if resp is None:
        raise NotFoundError(f"没有编号为 {responsibility_id} 的责任（见 duban status）")
    day = day or dt.date.today()
    acting = acting_agency(session, resp.agency_key, day)
    require_department_scope(actor, acting, resp.jurisdiction_code, what)
    into = merged_into(session, resp.id, day)
    if into is not None:
        raise ValidationError(
            f"责任 #{resp.id}（{resp.name_as_written}）已由 {acting} 承接并并入同一任务的责任 #{into}"
            f"（同一任务每个部门只保留一项职责）：请在责任 #{into} 上{what}"
        )
    return resp


def merged_into(session: Session, responsibility_id: int, day: dt.date) -> int | None:
    """The duty that carries this one on ``day`` after a succession, or None (see merged_duties)."""
    merged = merged_duties(day)
    return session.scalar(select(merged.c.into_id).where(merged.c.responsibility_id == responsibility_id))


def load_milestone(session: Session, milestone_id: int) -> Milestone:
    """A milestone to act on (report, extension): a withdrawn one is refused with its reason."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFoundError(f"没有编号为 {milestone_id} 的节点（见 duban milestones）")
    if milestone.withdrawn_at is not None:
        raise ValidationError(
            f"节点 #{milestone.id}（{milestone.period}）已由协调人撤回（{milestone.withdrawn_reason}），无需报送或延期"
        )
    return milestone


def snapshot(resp: Responsibility) -> dict[str, str | None]:
    """What the audit journal records of a responsibility before and after a change."""
    return {"state": resp.state, "agency": resp.agency_key, "role": resp.role}


def next_open_milestone(session: Session, resp: Responsibility, day: dt.date) -> Milestone | None:
    """The earliest milestone of ``resp`` with no current, unreturned report."""
    from duban.storage.models import Report

    reported = select(Report.milestone_id).where(
        Report.responsibility_id == resp.id,
        Report.is_current.is_(True),
        Report.review_state != "returned",
        Report.milestone_id.is_not(None),
    )
    return session.scalars(
        select(Milestone)
        .where(Milestone.responsibility_id == resp.id, Milestone.id.not_in(reported), active_milestone())
        .order_by(Milestone.effective_due_date)
        .limit(1)
    ).first()
