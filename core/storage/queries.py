"""SQL building blocks for status lights, computed in the database for any set of tasks.

The light of a milestone as of day D (all dates are local days):

- ``done``   the responsibility was closed (办结) on or before D;
- ``red``    the latest report on it by D was returned (退办), or it was due before D without a report;
- ``green``  a report was filed by D, or it is not due within the warning window;
- ``yellow`` due between D and the end of the warning window (D + N working days), not yet reported.

The due date is the original one unless an extension was approved by D. History is derived from
immutable facts (report dates, decision dates), so the light of a past period never changes afterwards:
:func:`period_light` says whether a period was met on time (green) or not (red).

What counts, everywhere (status, overdue, notify, the dashboard, 考核), is decided here once:

- :func:`active_milestone`: a milestone the coordinator withdrew (撤回) counts nowhere — a withdrawal
  corrects the schedule, so it holds for every day, past ones included (a frozen 考核 stays as frozen);
- :func:`merged_duties`: after a succession the successor holds one duty per task and jurisdiction (the
  stronger role wins, see duban.domain.succession); the other rows stay as history and count nowhere;
- :func:`supervised_policy`: documents in force, and of a draft only the coordinator's comment duty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.sql.elements import ColumnElement

from duban.domain.succession import ROLE_STRENGTH
from duban.domain.vocabulary import ExtensionState, Light, PolicyStatus, ReviewState, TaskKind
from duban.storage.models import Agency, Extension, Milestone, Policy, Report, Responsibility, Task


def active_milestone() -> ColumnElement[bool]:
    """The milestones that count: not withdrawn (撤回). A withdrawn milestone is kept, never deleted."""
    return Milestone.withdrawn_at.is_(None)


def supervised_policy(
    status: ColumnElement[Any] | QueryableAttribute[PolicyStatus],
    kind: ColumnElement[Any] | QueryableAttribute[TaskKind],
) -> ColumnElement[bool]:
    """What duban supervises unless a policy is asked for by name: documents in force, and of a draft
    (征求意见稿) only the coordinator's comment duty (a task of kind ``comment``)."""
    return or_(status == PolicyStatus.IN_FORCE, and_(status == PolicyStatus.DRAFT, kind == TaskKind.COMMENT))


def _strength(role: ColumnElement[str]) -> ColumnElement[int]:
    return case(ROLE_STRENGTH, value=role, else_=0)


def merged_duties(as_of: dt.date) -> Subquery:
    """The duties folded into another duty of the same acting agency, task and jurisdiction as of D.

    Columns ``responsibility_id`` (the merged row), ``into_id`` (the duty that carries it) and ``since``
    (the succession day from which it is merged). Only tasks naming a dissolved agency are looked at: its
    inherited rows and the successor's own rows on the same task and jurisdiction are ranked by role
    strength (lead > joint > support), own before inherited, older before newer; all but the first are
    merged. One succession step is followed, as :func:`acting_agency_column` does.
    """
    dissolved = aliased(Agency, name="dissolved")
    inh = aliased(Responsibility, name="inh")
    inherited = (
        select(
            inh.id,
            inh.task_id,
            inh.jurisdiction_code,
            dissolved.successor_key.label("acting"),
            inh.role,
            literal(1).label("inherited"),
            dissolved.successor_since.label("since"),
        )
        .join(dissolved, dissolved.key == inh.agency_key)
        .where(dissolved.successor_key.is_not(None), dissolved.successor_since <= as_of)
    )
    heirs = inherited.subquery("heirs")
    own = aliased(Responsibility, name="own")
    own_rows = (
        select(
            own.id,
            own.task_id,
            own.jurisdiction_code,
            own.agency_key.label("acting"),
            own.role,
            literal(0).label("inherited"),
            func.min(heirs.c.since).label("since"),
        )
        .join(
            heirs,
            and_(
                own.task_id == heirs.c.task_id,
                own.jurisdiction_code.is_not_distinct_from(heirs.c.jurisdiction_code),
                own.agency_key == heirs.c.acting,
            ),
        )
        .group_by(own.id, own.task_id, own.jurisdiction_code, own.agency_key, own.role)
    )
    candidates = union_all(inherited, own_rows).subquery("candidates")
    group = (candidates.c.task_id, candidates.c.jurisdiction_code, candidates.c.acting)
    order = (_strength(candidates.c.role).desc(), candidates.c.inherited, candidates.c.id)
    ranked = select(
        candidates.c.id.label("responsibility_id"),
        func.row_number().over(partition_by=group, order_by=order).label("rn"),
        func.first_value(candidates.c.id).over(partition_by=group, order_by=order).label("into_id"),
        func.min(candidates.c.since).over(partition_by=group).label("since"),
    ).subquery("ranked")
    return (
        select(ranked.c.responsibility_id, ranked.c.into_id, ranked.c.since)
        .where(ranked.c.rn > 1)
        .subquery("merged")
    )


def counted_duty(as_of: dt.date, column: ColumnElement[int] | None = None) -> ColumnElement[bool]:
    """True for a responsibility that counts on D: not merged into another duty (see :func:`merged_duties`)."""
    merged = merged_duties(as_of)
    return (Responsibility.id if column is None else column).not_in(select(merged.c.responsibility_id))


def milestone_facts(as_of: dt.date, *, counted_only: bool = True) -> Select:
    """One row per milestone: effective due date as of D, first report day (if by D), and whether the latest
    report by D was returned by D.

    The first report day is the denormalised ``Milestone.first_report_on`` (exact: reports are never deleted).
    Only returned reports (a few percent) are scanned, each checked for a later version filed by D.
    ``counted_only`` (the default) leaves out withdrawn milestones; the task view asks for all, to show them
    as such. Merged duties are left out by the queries that join the responsibility (``counted_duty``
    there): probing each milestone row against the merged set costs about half the overdue scan, probing
    the few rows left after the join costs nothing measurable.
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
    stmt = (
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
    if counted_only:
        stmt = stmt.where(active_milestone())
    return stmt


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
    """One row per counted responsibility of a current policy: worst milestone light as of D, and counts.

    A duty merged into its successor's (see :func:`merged_duties`) has no row: the successor's duty is it.
    """
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
            Task.kind.label("task_kind"),
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
        .where(Policy.superseded_by_id.is_(None), counted_duty(as_of))
        .group_by(
            Responsibility.id,
            Responsibility.task_id,
            Task.policy_id,
            Task.kind,
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
