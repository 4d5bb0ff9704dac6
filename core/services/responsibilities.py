"""Loading a responsibility for a write, with the acting user's scope checked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.errors import NotFoundError
from duban.services.identity import Actor, require_department_scope
from duban.storage.models import Agency, Milestone, Responsibility


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
    require_department_scope(
        actor, acting_agency(session, resp.agency_key, day), resp.jurisdiction_code, what
    )
    return resp


def load_milestone(session: Session, milestone_id: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFoundError(f"没有编号为 {milestone_id} 的节点（见 duban milestones）")
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
        .where(Milestone.responsibility_id == resp.id, Milestone.id.not_in(reported))
        .order_by(Milestone.effective_due_date)
        .limit(1)
    ).first()
