"""SQL building blocks for status lights, computed in the database for any set of tasks.

The light of a milestone as of day D (all dates are local days):

- ``done``   the responsibility was closed (办结) on or before D;
- ``red``    the latest report on it by D was returned (退办), or it was due before D without a report;
- ``green``  a report was filed by D, or it is not due within the warning window;
- ``yellow`` due between D and the end of the warning window (D + N working days), not yet reported.

The due date is the original one unless an extension was approved by D. History is derived from
immutable facts (report dates, decision dates), so the light of a past period never changes afterwards:
:func:`period_light` says whether a period was met on time (green) or not (red).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from duban.domain.vocabulary import ExtensionState, Light, ReviewState
from duban.storage.models import Agency, Extension, Milestone, Policy, Report, Responsibility, Task


def milestone_facts(as_of: dt.date) -> Select:
    """One row per milestone: effective due date as of D, first report day (if by D), and whether the latest
    report by D was returned by D.

    The first report day is the denormalised ``Milestone.first_report_on`` (exact: reports are never deleted).
    Only returned reports (a few percent) are scanned, each checked for a later version filed by D.
    """
    ext = (
        select(Extension.milestone_id, func.max(Extension.new_date).label("new_due"))
        .where(Extension.state == ExtensionState.APPROVED, Extension.decided_on <= as_of)
        .group_by(Extension.milestone_id)
        .subquery("ext")
    )
    later = Report.__table__.alias("later")
    returned_report = Report.__table__.alias("ret")
    returned = (
        select(returned_report.c.milestone_id)
        .where(
            returned_report.c.review_state == ReviewState.RETURNED,
            returned_report.c.reviewed_on <= as_of,
            returned_report.c.submitted_on <= as_of,
            returned_report.c.milestone_id.is_not(None),
            ~select(later.c.id)
            .where(
                later.c.milestone_id == returned_report.c.milestone_id,
                later.c.version > returned_report.c.version,
                later.c.submitted_on <= as_of,
            )
            .exists(),
        )
        .group_by(returned_report.c.milestone_id)
        .subquery("returned")
    )
    first_on = case((Milestone.first_report_on <= as_of, Milestone.first_report_on))
    return (
        select(
            Milestone.id.label("milestone_id"),
            Milestone.responsibility_id,
            Milestone.task_id,
            Milestone.period,
            Milestone.due_date,
            func.coalesce(ext.c.new_due, Milestone.due_date).label("effective_due"),
            first_on.label("first_on"),
            case((returned.c.milestone_id.is_not(None), literal(True)), else_=literal(False)).label(
                "returned"
            ),
        )
        .outerjoin(ext, ext.c.milestone_id == Milestone.id)
        .outerjoin(returned, returned.c.milestone_id == Milestone.id)
    )


def light_case(facts, as_of: dt.date, warn_until: dt.date, closed: ColumnElement) -> ColumnElement[int]:
    """The light rank (:attr:`Light.rank <duban.domain.vocabulary.Light.rank>`) of each row of
    :func:`milestone_facts`; ``Light.from_rank`` turns it back into a light."""
    return case(
        (closed, Light.DONE.rank),
        (facts.c.returned, Light.RED.rank),
        (facts.c.first_on.is_not(None), Light.GREEN.rank),
        (facts.c.effective_due < as_of, Light.RED.rank),
        (facts.c.effective_due <= warn_until, Light.YELLOW.rank),
        else_=Light.GREEN.rank,
    )


def acting_agency_column(as_of: dt.date) -> ColumnElement[str]:
    """The agency carrying a responsibility's work on D: a dissolved agency's successor from its date."""
    return case(
        (and_(Agency.successor_key.is_not(None), Agency.successor_since <= as_of), Agency.successor_key),
        else_=Responsibility.agency_key,
    )


def responsibility_lights(as_of: dt.date, warn_until: dt.date) -> Select:
    """One row per responsibility of a current policy: worst milestone light as of D, and counts."""
    facts = milestone_facts(as_of).subquery("facts")
    closed = and_(Responsibility.closed_on.is_not(None), Responsibility.closed_on <= as_of)
    rank = light_case(facts, as_of, warn_until, closed)
    overdue = case((and_(facts.c.first_on.is_(None), facts.c.effective_due < as_of, ~closed), 1), else_=0)
    late = case(
        (
            and_(
                facts.c.effective_due < as_of,
                (facts.c.first_on.is_(None)) | (facts.c.first_on > facts.c.effective_due),
            ),
            1,
        ),
        else_=0,
    )
    due = case((facts.c.effective_due < as_of, 1), else_=0)
    return (
        select(
            Responsibility.id.label("responsibility_id"),
            Responsibility.task_id,
            Task.policy_id,
            Policy.status.label("policy_status"),
            Responsibility.agency_key,
            acting_agency_column(as_of).label("acting_agency"),
            Responsibility.jurisdiction_code,
            Responsibility.role,
            Responsibility.state,
            func.coalesce(func.max(rank), case((closed, Light.DONE.rank), else_=Light.GREEN.rank)).label(
                "rank"
            ),
            func.coalesce(func.sum(overdue), 0).label("overdue"),
            func.coalesce(func.sum(due), 0).label("due"),
            func.coalesce(func.sum(late), 0).label("late"),
            func.min(case((and_(facts.c.first_on.is_(None), ~closed), facts.c.effective_due))).label(
                "next_due"
            ),
        )
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .outerjoin(facts, and_(facts.c.responsibility_id == Responsibility.id, facts.c.due_date.is_not(None)))
        .where(Policy.superseded_by_id.is_(None))
        .group_by(
            Responsibility.id,
            Responsibility.task_id,
            Task.policy_id,
            Policy.status,
            Responsibility.agency_key,
            Agency.successor_key,
            Agency.successor_since,
            Responsibility.jurisdiction_code,
            Responsibility.role,
            Responsibility.state,
            Responsibility.closed_on,
        )
    )


def period_light(facts) -> ColumnElement[str]:
    """For history: ``green`` when the period was reported by its effective due date, else ``red``."""
    return case(
        (and_(facts.c.first_on.is_not(None), facts.c.first_on <= facts.c.effective_due), Light.GREEN.value),
        else_=Light.RED.value,
    )
