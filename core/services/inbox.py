"""The decision queue (``duban inbox``): what waits on the current user, oldest first, with its age.

For a coordinator: reports awaiting 复核, extension requests awaiting 审批, reports returned and not yet
refiled, responsibilities not yet 签收.
For a department user (their agency in their jurisdiction, successors included): reports returned to redo,
milestones overdue without a report, milestones due within the next N working days, responsibilities not yet
签收. A viewer has nothing to act on.

A withdrawn milestone (撤回) and a duty merged into its successor's after a succession count nowhere, here
too (:mod:`duban.storage.queries`); a draft is supervised only for the coordinator's comment duty.

One SQL statement lists every kind (a UNION ALL of one SELECT per kind, joined once to the task, the
policy, the agency and the jurisdiction); the page is cut and the kinds counted in SQL. Ages are working days
on the calendar with 调休, computed for the rows of the page only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    Text,
    and_,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from duban.domain.divisions import department_name
from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import InboxKind, ResponsibilityState, Role, UserRole
from duban.domain.workcal import WorkingCalendar
from duban.errors import ValidationError
from duban.services.calendar import calendar_around, working_calendar
from duban.services.clock import DEFAULT_TZ, local_date
from duban.services.identity import Actor
from duban.services.paging import Page, check_window
from duban.services.status import Scope, scope_for
from duban.storage.models import (
    Agency,
    Extension,
    Jurisdiction,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    UTCDateTime,
)
from duban.storage.queries import (
    acting_agency_column,
    active_milestone,
    counted_duty,
    milestone_facts,
    supervised_policy,
)

#: the kinds each role sees, in the order they are listed
COORDINATOR_KINDS = (InboxKind.REVIEW, InboxKind.EXTENSION, InboxKind.RETURNED, InboxKind.UNSIGNED)
DEPARTMENT_KINDS = (InboxKind.RETURNED, InboxKind.OVERDUE, InboxKind.DUE, InboxKind.UNSIGNED)

#: used when neither the caller nor the configuration (``inbox.days``) says how far ahead to look
DEFAULT_DAYS = 10


@dataclass(frozen=True, slots=True)
class InboxItem(JsonResult):
    """One thing waiting on the user, and the command that settles it.

    ``id`` is the number ``command`` takes (a report for 复核, an extension for 审批, a responsibility for
    签收 and for 报送). ``since`` is the local day the wait began (submitted, requested, returned, or the
    policy imported for 签收); ``age`` the working days since then — for an overdue milestone the working
    days since it was due. ``days_left`` counts working days from today to ``due`` (due soon only).
    """

    kind: InboxKind
    id: int
    command: str
    policy: str
    task: int
    task_number: str
    task_text: str
    responsibility: int
    state: ResponsibilityState
    role: Role
    agency: str | None
    agency_name: str | None
    department: str | None  #: the department as people name it: 云南省民政厅, 民政部 (None: agency unknown)
    jurisdiction: str | None
    jurisdiction_name: str | None
    milestone: int | None
    report: int | None
    extension: int | None
    period: str | None
    due: dt.date | None
    since: dt.date | None
    age: int | None
    days_left: int | None
    new_date: dt.date | None
    reason: str | None
    by: str | None

    json_extra: ClassVar[tuple[str, ...]] = ("kind_label",)

    @property
    def kind_label(self) -> str:
        return self.kind.label


@dataclass(frozen=True, slots=True)
class Inbox(JsonResult):
    """The user's queue: ``counts`` per kind (every kind the role sees, in listing order) and a page of the
    kinds asked for — ``items`` are rows ``offset + 1 …`` of ``total``, as in a :class:`Page`."""

    user: str
    role: UserRole
    as_of: dt.date
    days: int
    due_until: dt.date | None  #: the end of the due-soon window (department users only)
    counts: Mapping[InboxKind, int]
    total: int
    limit: int
    offset: int
    items: tuple[InboxItem, ...]

    @property
    def page(self) -> Page[InboxItem]:
        return Page(self.items, self.total, self.limit, self.offset)


def kinds_for(actor: Actor) -> tuple[InboxKind, ...]:
    if actor.is_coordinator:
        return COORDINATOR_KINDS
    if actor.role == UserRole.DEPARTMENT:
        return DEPARTMENT_KINDS
    return ()


def inbox(
    session: Session,
    *,
    actor: Actor,
    as_of: dt.date,
    days: int = DEFAULT_DAYS,
    kinds: Sequence[InboxKind] | None = None,
    agency: str | None = None,
    jurisdiction: str | None = None,
    policy: str | None = None,
    limit: int = 50,
    offset: int = 0,
    tz: str = DEFAULT_TZ,
) -> Inbox:
    """What waits on ``actor`` on ``as_of`` (see the module docstring); ``kinds`` narrows the listing (the
    counts still cover every kind of the role); a department user always sees only their own scope."""
    check_window(limit, offset)
    if days < 0:
        raise ValidationError(f"天数（--days）不能为负数：{days}")
    mine = kinds_for(actor)
    wanted = [k for k in mine if kinds is None or k in kinds]
    scope = scope_for(session, actor=actor, agency=agency, jurisdiction=jurisdiction, policy=policy)
    cal = calendar_around(session, as_of)
    due_until = cal.add_working_days(as_of, days) if InboxKind.DUE in mine else None
    if not mine:
        return Inbox(actor.name, UserRole(actor.role), as_of, days, due_until, {}, 0, limit, offset, ())
    queue = _queue(mine, as_of, due_until or as_of, scope).subquery("queue")
    counted = {k: n for k, n in session.execute(select(queue.c.kind, func.count()).group_by(queue.c.kind))}
    counts = {k: int(counted.get(k.value, 0)) for k in mine}
    total = sum(n for k, n in counts.items() if k in wanted)
    rows = (
        session.execute(
            select(queue)
            .where(queue.c.kind.in_([k.value for k in wanted]))
            .order_by(queue.c.rank, queue.c.since_at, queue.c.due, queue.c.ref, queue.c.milestone_id)
            .limit(limit)
            .offset(offset)
        ).all()
        if wanted
        else []
    )
    items = _items(session, rows, as_of=as_of, cal=cal, tz=tz)
    return Inbox(
        actor.name, UserRole(actor.role), as_of, days, due_until, counts, total, limit, offset, tuple(items)
    )


# --------------------------------------------------------------------------- SQL


def _nothing(type_: Any) -> Any:
    return cast(null(), type_)


def _branch(
    kind: InboxKind,
    rank: int,
    *,
    ref: Any,
    responsibility_id: Any,
    milestone_id: Any = None,
    report_id: Any = None,
    extension_id: Any = None,
    since_at: Any = None,
    due: Any = None,
    period: Any = None,
    new_date: Any = None,
    reason: Any = None,
    by: Any = None,
) -> list[Any]:
    """The columns every kind's SELECT has, in the same order and types (NULL where a kind has none)."""
    return [
        literal_column(f"'{kind.value}'", String).label("kind"),
        literal_column(str(rank), Integer).label("rank"),
        ref.label("ref"),
        responsibility_id.label("responsibility_id"),
        (milestone_id if milestone_id is not None else _nothing(Integer())).label("milestone_id"),
        (report_id if report_id is not None else _nothing(Integer())).label("report_id"),
        (extension_id if extension_id is not None else _nothing(Integer())).label("extension_id"),
        (since_at if since_at is not None else _nothing(UTCDateTime())).label("since_at"),
        (due if due is not None else _nothing(Date())).label("due"),
        (period if period is not None else _nothing(String())).label("period"),
        (new_date if new_date is not None else _nothing(Date())).label("new_date"),
        (reason if reason is not None else _nothing(Text())).label("reason"),
        (by if by is not None else _nothing(String())).label("by"),
    ]


def _queue(
    kinds: Sequence[InboxKind], as_of: dt.date, due_until: dt.date, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """Every waiting item of ``kinds`` in ``scope``, with task, policy, agency and jurisdiction."""
    rank = {k: i for i, k in enumerate(kinds)}
    branches = []
    if InboxKind.REVIEW in rank:
        branches.append(
            select(
                *_branch(
                    InboxKind.REVIEW,
                    rank[InboxKind.REVIEW],
                    ref=Report.id,
                    responsibility_id=Report.responsibility_id,
                    milestone_id=Report.milestone_id,
                    report_id=Report.id,
                    since_at=Report.submitted_at,
                    due=Milestone.effective_due_date,
                    period=Milestone.period,
                    by=Report.submitted_by,
                )
            )
            .outerjoin(Milestone, Milestone.id == Report.milestone_id)
            .where(Report.review_state == "submitted", Report.is_current.is_(True))
        )
    if InboxKind.EXTENSION in rank:
        branches.append(
            select(
                *_branch(
                    InboxKind.EXTENSION,
                    rank[InboxKind.EXTENSION],
                    ref=Extension.id,
                    responsibility_id=Milestone.responsibility_id,
                    milestone_id=Milestone.id,
                    extension_id=Extension.id,
                    since_at=Extension.requested_at,
                    due=Milestone.effective_due_date,
                    period=Milestone.period,
                    new_date=Extension.new_date,
                    reason=Extension.reason,
                    by=Extension.requested_by,
                )
            )
            .join(Milestone, Milestone.id == Extension.milestone_id)
            .where(Extension.state == "pending")
        )
    if InboxKind.RETURNED in rank:
        branches.append(
            select(
                *_branch(
                    InboxKind.RETURNED,
                    rank[InboxKind.RETURNED],
                    ref=Report.responsibility_id,
                    responsibility_id=Report.responsibility_id,
                    milestone_id=Report.milestone_id,
                    report_id=Report.id,
                    since_at=Report.reviewed_at,
                    due=Milestone.effective_due_date,
                    period=Milestone.period,
                    reason=Report.review_reason,
                    by=Report.reviewed_by,
                )
            )
            .outerjoin(Milestone, Milestone.id == Report.milestone_id)
            .where(
                Report.review_state == "returned",
                Report.is_current.is_(True),
                or_(Report.milestone_id.is_(None), active_milestone()),  # nothing to redo on a withdrawn one
            )
        )
    if InboxKind.OVERDUE in rank or InboxKind.DUE in rank:
        facts = milestone_facts(as_of).subquery("facts")
        unreported = and_(facts.c.first_on.is_(None), ~facts.c.returned)
        for kind, window in (
            (InboxKind.OVERDUE, facts.c.effective_due < as_of),
            (InboxKind.DUE, facts.c.effective_due.between(as_of, due_until)),
        ):
            if kind in rank:
                branches.append(
                    select(
                        *_branch(
                            kind,
                            rank[kind],
                            ref=facts.c.responsibility_id,
                            responsibility_id=facts.c.responsibility_id,
                            milestone_id=facts.c.milestone_id,
                            due=facts.c.effective_due,
                            period=facts.c.period,
                        )
                    ).where(unreported, window)
                )
    if InboxKind.UNSIGNED in rank:
        branches.append(
            select(
                *_branch(
                    InboxKind.UNSIGNED,
                    rank[InboxKind.UNSIGNED],
                    ref=Responsibility.id,
                    responsibility_id=Responsibility.id,
                    since_at=Policy.imported_at,
                )
            )
            .join(Task, Task.id == Responsibility.task_id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(Responsibility.state == "assigned")
        )
    waiting = union_all(*branches).subquery("waiting")
    acting = acting_agency_column(as_of)
    acting_agency = aliased(Agency, name="acting_agency")
    stmt = (
        select(
            waiting,
            Responsibility.role,
            Responsibility.state,
            Responsibility.jurisdiction_code,
            acting.label("acting_agency"),
            acting_agency.name.label("agency_name"),
            acting_agency.names.label("agency_names"),
            Jurisdiction.name.label("jurisdiction_name"),
            Jurisdiction.level.label("jurisdiction_level"),
            Task.id.label("task_id"),
            Task.section,
            Task.number,
            Task.text,
            Policy.doc_number,
            Policy.title,
        )
        .join(Responsibility, Responsibility.id == waiting.c.responsibility_id)
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .outerjoin(acting_agency, acting_agency.key == acting)
        .outerjoin(Jurisdiction, Jurisdiction.code == Responsibility.jurisdiction_code)
        .where(
            Policy.superseded_by_id.is_(None),
            # a decision already asked for stays until it is taken; the rest ends with 办结, and a duty
            # merged into its successor's after a succession (duban.domain.succession) waits on nobody
            or_(
                waiting.c.kind.in_([InboxKind.REVIEW.value, InboxKind.EXTENSION.value]),
                and_(
                    or_(Responsibility.closed_on.is_(None), Responsibility.closed_on > as_of),
                    counted_duty(as_of),
                ),
            ),
        )
    )
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(Policy.id == scope.policy_id)
    else:  # drafts (but for the comment duty) and withdrawn documents: only asked for by name
        stmt = stmt.where(supervised_policy(Policy.status, Task.kind))
    return stmt


# --------------------------------------------------------------------------- rows


def department_display(
    agency_name: str | None,
    names: Mapping[str, str] | None,
    jurisdiction_name: str | None,
    level: str | None,
) -> str | None:
    """The department as a person names it: the agency's name at the jurisdiction's level with the
    jurisdiction in front (省民政厅 in 云南省 → 云南省民政厅); the national one as is (民政部)."""
    if agency_name is None:
        return None
    level_name = (names or {}).get(str(level)) if level else None
    if not jurisdiction_name:
        return level_name or agency_name
    if level_name is None:
        return f"{jurisdiction_name}{agency_name}部门"
    if str(level) == "national":
        return level_name
    return department_name(level_name, jurisdiction_name)


def _command(kind: InboxKind, ref: int, milestone_id: int | None) -> str:
    if kind is InboxKind.REVIEW:
        return f"duban review accept {ref}"
    if kind is InboxKind.EXTENSION:
        return f"duban extend approve {ref}"
    if kind is InboxKind.UNSIGNED:
        return f"duban ack {ref}"
    return f"duban report submit {ref}" + (f" --milestone {milestone_id}" if milestone_id else "")


def _items(
    session: Session, rows: Sequence[Any], *, as_of: dt.date, cal: WorkingCalendar, tz: str
) -> list[InboxItem]:
    if not rows:
        return []
    since = [local_date(r.since_at, tz) if r.since_at is not None else None for r in rows]
    earliest = min([d for d in since if d] + [r.due for r in rows if r.due] + [as_of])
    if earliest.year < as_of.year - 1:  # waits older than the calendar around today: load back to them
        cal = working_calendar(session, earliest.year, as_of.year + 1)
    items = []
    for r, began in zip(rows, since, strict=True):
        kind = InboxKind(r.kind)
        if kind is InboxKind.OVERDUE:
            age: int | None = max(cal.working_days_between(r.due, as_of), 0)
        else:
            age = max(cal.working_days_between(began, as_of), 0) if began else None
        items.append(
            InboxItem(
                kind=kind,
                id=r.ref,
                command=_command(kind, r.ref, r.milestone_id),
                policy=r.doc_number or r.title,
                task=r.task_id,
                task_number=f"{r.section}.{r.number}" if r.section else r.number,
                task_text=r.text,
                responsibility=r.responsibility_id,
                state=ResponsibilityState(r.state),
                role=Role(r.role),
                agency=r.acting_agency,
                agency_name=r.agency_name,
                department=department_display(
                    r.agency_name, r.agency_names, r.jurisdiction_name, r.jurisdiction_level
                ),
                jurisdiction=r.jurisdiction_code,
                jurisdiction_name=r.jurisdiction_name,
                milestone=r.milestone_id,
                report=r.report_id,
                extension=r.extension_id,
                period=r.period,
                due=r.due,
                since=began,
                age=age,
                days_left=cal.working_days_between(as_of, r.due) if kind is InboxKind.DUE else None,
                new_date=r.new_date,
                reason=r.reason,
                by=r.by,
            )
        )
    return items
