"""红黄绿 status of tasks, responsibilities and departments, computed in SQL as of any day."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from duban.domain.vocabulary import Light, ResponsibilityState, Role
from duban.errors import NotFoundError
from duban.services.calendar import calendar_around
from duban.services.catalog import find_policy, require_known_agency
from duban.services.identity import Actor
from duban.services.paging import Cursor, Page, check_window, count_rows, keyset_window, page_of, sort_key
from duban.services.status_results import (
    DepartmentStatus,
    LightCounts,
    OverdueMilestone,
    PeriodLight,
    ResponsibilityLight,
    StatusSummary,
)
from duban.storage.models import (
    Agency,
    AuditEvent,
    Jurisdiction,
    Milestone,
    Policy,
    Responsibility,
    Task,
)
from duban.storage.queries import (
    acting_agency_column,
    counted_duty,
    milestone_facts,
    period_light,
    responsibility_lights,
    supervised_policy,
)

LIGHTS = tuple(Light)  # worst first: red, yellow, green, done


@dataclass(frozen=True)
class Scope:
    """Which responsibilities a status question is about."""

    agency: str | None = None
    jurisdiction: str | None = None
    policy_id: int | None = None
    task_id: int | None = None


def scope_for(
    session: Session,
    *,
    actor: Actor | None = None,
    agency: str | None = None,
    jurisdiction: str | None = None,
    policy: str | None = None,
    task_id: int | None = None,
) -> Scope:
    """The scope of a status question; a department user sees only their agency in their jurisdiction."""
    if actor is not None and actor.role == "department":
        agency, jurisdiction = actor.agency_key, actor.jurisdiction_code or jurisdiction
    else:
        require_known_agency(session, agency)
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFoundError(
            f"没有代码为 {jurisdiction!r} 的行政区划：应为 6 位 GB/T 2260 代码（见 duban jurisdictions）"
        )
    return Scope(agency, jurisdiction, find_policy(session, policy).id if policy else None, task_id)


def warn_until(session: Session, as_of: dt.date, warning_days: int) -> dt.date:
    """The last day of the warning window: ``warning_days`` working days after ``as_of``."""
    return calendar_around(session, as_of).add_working_days(as_of, warning_days)


def scoped_lights(
    session: Session, as_of: dt.date, warning_days: int, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """The responsibility lights (duban.storage.queries.responsibility_lights) of a scope."""
    sub = responsibility_lights(as_of, warn_until(session, as_of, warning_days)).subquery("rl")
    stmt = select(sub)
    if scope.agency:
        stmt = stmt.where(sub.c.acting_agency == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(sub.c.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(sub.c.policy_id == scope.policy_id)
    else:  # drafts (征求意见稿, but for the comment duty) and withdrawn documents: only asked for by name
        stmt = stmt.where(supervised_policy(sub.c.policy_status, sub.c.task_kind))
    if scope.task_id is not None:
        stmt = stmt.where(sub.c.task_id == scope.task_id)
    return stmt


def task_lights(
    session: Session, as_of: dt.date, warning_days: int, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """One row per task: its light from its lead (or, without a lead, its joint parties) — supporters'
    lights stay visible per responsibility but do not colour the task."""
    return _task_aggregate(scoped_lights(session, as_of, warning_days, scope).subquery("rl2"))


def _task_aggregate(rl: Any) -> Select[*tuple[Any, ...]]:
    principal = rl.c.role.in_((Role.LEAD, Role.JOINT))
    has_lead = func.max(case((rl.c.role == Role.LEAD, 1), else_=0))
    lead_open = func.sum(case((and_(rl.c.role == Role.LEAD, rl.c.rank > Light.DONE.rank), 1), else_=0))
    principal_open = func.sum(case((and_(principal, rl.c.rank > Light.DONE.rank), 1), else_=0))
    principals = func.sum(case((principal, 1), else_=0))
    done = case(
        (and_(has_lead == 1, lead_open == 0), 1),
        (and_(has_lead == 0, principals > 0, principal_open == 0), 1),
        else_=0,
    )
    rank = case(
        (done == 1, Light.DONE.rank),
        else_=func.coalesce(func.max(case((principal, rl.c.rank))), func.max(rl.c.rank)),
    )
    return select(
        rl.c.task_id,
        rl.c.policy_id,
        rank.label("rank"),
        func.sum(rl.c.overdue).label("overdue"),
        func.min(rl.c.next_due).label("next_due"),
    ).group_by(rl.c.task_id, rl.c.policy_id)


def _light_counts(rank_column: Any) -> list[Any]:
    return [func.sum(case((rank_column == light.rank, 1), else_=0)).label(light.value) for light in LIGHTS]


def summary(
    session: Session, *, as_of: dt.date, warning_days: int = 5, scope: Scope = Scope(), items: int = 0
) -> StatusSummary:
    """Counts of tasks and of responsibilities by light, and per-department rows; with ``items``, also the
    worst ``items`` responsibilities (:func:`responsibility_rows`).

    One statement: the responsibility lights are a CTE (materialised once by SQLite and PostgreSQL, as it
    is read twice), grouped by department and, through the task aggregate, into one row of task counts.
    """
    rl = scoped_lights(session, as_of, warning_days, scope).cte("rl")
    tl = _task_aggregate(rl).subquery("tl")
    zero = literal(0)
    by_department = select(
        literal("dept").label("kind"),
        rl.c.acting_agency.label("agency"),
        *_light_counts(rl.c.rank),
        func.sum(rl.c.overdue).label("overdue"),
        func.sum(rl.c.due).label("due"),
        func.sum(rl.c.late).label("late"),
        func.max(rl.c.rank).label("worst"),
    ).group_by(rl.c.acting_agency)
    tasks = select(
        literal("task").label("kind"),
        literal(None).label("agency"),
        *_light_counts(tl.c.rank),
        zero.label("overdue"),
        zero.label("due"),
        zero.label("late"),
        zero.label("worst"),
    )
    rows = session.execute(union_all(by_department, tasks)).all()
    dept_rows = sorted((r for r in rows if r.kind == "dept"), key=lambda r: (-int(r.worst), r.agency or ""))
    task_row = next((r for r in rows if r.kind == "task"), None)
    names = agency_names(session) if dept_rows else {}
    dept_counts = [_counts(row) for row in dept_rows]
    departments = []
    for row, counts in zip(dept_rows, dept_counts, strict=True):
        due = int(row.due or 0)
        departments.append(
            DepartmentStatus(
                agency=row.agency,
                name=names.get(row.agency) if row.agency else None,
                light=Light.from_rank(int(row.worst)),
                **counts,
                overdue=int(row.overdue or 0),
                on_time_rate=round((due - int(row.late or 0)) / due, 3) if due else None,
            )
        )
    return StatusSummary(
        as_of=as_of,
        tasks=LightCounts(**_counts(task_row)) if task_row else LightCounts(),
        responsibilities=LightCounts(**{light: sum(c[light] for c in dept_counts) for light in LIGHTS}),
        departments=tuple(departments),
        items=tuple(
            responsibility_rows(session, as_of=as_of, warning_days=warning_days, scope=scope, limit=items)
        )
        if items
        else (),
    )


def _counts(row: Any) -> dict[str, int]:
    return {light: int(getattr(row, light) or 0) for light in LIGHTS}


def agency_names(session: Session) -> dict[str, str]:
    """Agency key → its short Chinese name (民政, 妇联 …)."""
    return {k: n for k, n in session.execute(select(Agency.key, Agency.name))}


def responsibility_rows(
    session: Session,
    *,
    as_of: dt.date,
    warning_days: int = 5,
    scope: Scope = Scope(),
    limit: int = 200,
    offset: int = 0,
) -> list[ResponsibilityLight]:
    """A page of responsibilities with their lights, worst first."""
    rl = scoped_lights(session, as_of, warning_days, scope).subquery("rl")
    stmt = (
        select(rl, Task.section, Task.number, Task.text, Policy.doc_number, Policy.title)
        .join(Task, Task.id == rl.c.task_id)
        .join(Policy, Policy.id == rl.c.policy_id)
        .order_by(rl.c.rank.desc(), rl.c.next_due, rl.c.responsibility_id)
        .limit(limit)
        .offset(offset)
    )
    return [responsibility_light(r) for r in session.execute(stmt)]


def overdue_query(as_of: dt.date, scope: Scope = Scope()) -> Select[*tuple[Any, ...]]:
    """The milestones of :func:`overdue`, in its order (one statement for the rows and for their count)."""
    facts = milestone_facts(as_of).subquery("f")
    acting = acting_agency_column(as_of)
    stmt = (
        select(
            facts,
            acting.label("acting_agency"),
            Responsibility.agency_key,
            Responsibility.role,
            Responsibility.jurisdiction_code,
            Task.section,
            Task.number,
            Task.text,
            Task.policy_id,
            Policy.doc_number,
            Policy.title,
        )
        .join(Responsibility, Responsibility.id == facts.c.responsibility_id)
        .outerjoin(Agency, Agency.key == Responsibility.agency_key)
        .join(Task, Task.id == facts.c.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            (Responsibility.closed_on.is_(None)) | (Responsibility.closed_on > as_of),
            ((facts.c.first_on.is_(None)) & (facts.c.effective_due < as_of)) | facts.c.returned,
            counted_duty(as_of),
        )
        .order_by(facts.c.effective_due, facts.c.milestone_id)
    )
    if scope.agency:
        stmt = stmt.where(acting == scope.agency)
    if scope.jurisdiction:
        stmt = stmt.where(Responsibility.jurisdiction_code == scope.jurisdiction)
    if scope.policy_id is not None:
        stmt = stmt.where(Task.policy_id == scope.policy_id)
    else:
        stmt = stmt.where(supervised_policy(Policy.status, Task.kind))
    return stmt


def overdue(
    session: Session, *, as_of: dt.date, scope: Scope = Scope(), limit: int = 500, offset: int = 0
) -> list[OverdueMilestone]:
    """Milestones past their effective due date without a report (or whose report was returned), by D."""
    rows = session.execute(overdue_query(as_of, scope).limit(limit).offset(offset)).all()
    names = agency_names(session) if rows else {}
    return [
        OverdueMilestone(
            milestone=r.milestone_id,
            responsibility=r.responsibility_id,
            task=r.task_id,
            policy=r.doc_number or r.title,
            number=task_number(r.section, r.number),
            text=r.text,
            agency=r.acting_agency,
            agency_name=names.get(r.acting_agency) if r.acting_agency else None,
            recorded_agency=r.agency_key,
            role=Role(r.role),
            jurisdiction=r.jurisdiction_code,
            period=r.period,
            due=r.due_date,
            effective_due=r.effective_due,
            days_overdue=(as_of - r.effective_due).days,
            returned=bool(r.returned),
        )
        for r in rows
    ]


def period_history(session: Session, *, responsibility_id: int, as_of: dt.date) -> list[PeriodLight]:
    """Each past period of a responsibility with the light it earned: a late period stays red."""
    facts = milestone_facts(as_of).where(Milestone.responsibility_id == responsibility_id).subquery("f")
    stmt = (
        select(facts, period_light(facts).label("light"))
        .where(facts.c.effective_due < as_of)
        .order_by(facts.c.effective_due)
    )
    return [
        PeriodLight(
            milestone=r.milestone_id,
            period=r.period,
            due=r.due_date,
            effective_due=r.effective_due,
            reported_on=r.first_on,
            light=Light(r.light),
        )
        for r in session.execute(stmt)
    ]


def overdue_page(
    session: Session, *, as_of: dt.date, scope: Scope = Scope(), limit: int = 200, offset: int = 0
) -> Page[OverdueMilestone]:
    """A page of :func:`overdue` with the number of every overdue milestone in scope (SQL COUNT)."""
    check_window(limit, offset)
    rows = overdue(session, as_of=as_of, scope=scope, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, overdue_query(as_of, scope)), limit=limit, offset=offset)


def responsibility_light(r: Row[Any]) -> ResponsibilityLight:
    """A row of the responsibility-lights query joined to its task and policy, as a result."""
    return ResponsibilityLight(
        responsibility=r.responsibility_id,
        task=r.task_id,
        policy=r.doc_number or r.title,
        number=task_number(r.section, r.number),
        text=r.text,
        agency=r.acting_agency,
        recorded_agency=r.agency_key,
        jurisdiction=r.jurisdiction_code,
        role=Role(r.role),
        state=ResponsibilityState(r.state),
        light=Light.from_rank(int(r.rank)),
        overdue=int(r.overdue),
        next_due=r.next_due,
    )


def task_number(section: str | None, number: str) -> str:
    """``二.三`` for a sectioned document, ``三`` otherwise."""
    return f"{section}.{number}" if section else number


# ------------------------------------------------------------------------------------- the 任务 list (keyset)

#: sort name → the IndexedTask fields it orders by (each ascending or, with ``descending``, descending);
#: every order ends with the unique (policy_id, position, id) ascending so that a cursor names one row
TASK_SORTS: dict[str, tuple[str, ...]] = {
    "light": ("rank",),
    "next_due": ("next_due",),
    "policy": ("issued", "policy_id", "position"),
    "number": ("section", "number"),
    "lead": ("lead_name",),
}
_TIE = ("policy_id", "position", "id")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """Case-fold ASCII letters only (SQLite's LIKE); Chinese is compared as written."""
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True, slots=True)
class IndexedTask:
    """One task of a :class:`TaskIndex`: its light as of the index's day, what it sorts by, what it shows."""

    id: int
    policy_id: int
    doc_number: str | None
    title: str
    issued: dt.date | None
    section: str | None
    number: str
    position: int
    text: str
    rank: int
    next_due: dt.date | None
    overdue: int
    lead_name: str | None
    lead: tuple[str, ...]  #: the lead parties as written (without one, the joint parties), each name once
    support: tuple[str, ...]
    haystack: str  #: what the filter searches, ASCII letters folded


@dataclass(frozen=True, slots=True)
class TaskWindow:
    """A keyset page of a :class:`TaskIndex`: ``tasks`` are rows ``offset + 1 …`` of ``total`` matches."""

    tasks: tuple[IndexedTask, ...]
    offset: int
    total: int
    first: Cursor | None
    last: Cursor | None


class TaskIndex:
    """The task lights of one scope on one day, computed once in SQL (one row per task) and kept in memory,
    so that sorting, paging and filtering the 任务 list never recompute lights over every milestone.

    ``mark`` is the newest audit event when it was built: every write appends one, so an index whose mark is
    still the newest is current (:func:`data_mark`). Pages are keyset pages: a :class:`Cursor` holds a row's
    sort values and the next page starts after them (binary search), never at a row count.
    """

    def __init__(
        self,
        tasks: tuple[IndexedTask, ...],
        *,
        mark: int | None,
        as_of: dt.date,
        warning_days: int,
        scope: Scope,
    ) -> None:
        self.tasks = tasks
        self.mark = mark
        self.as_of, self.warning_days, self.scope = as_of, warning_days, scope
        self._lock = threading.Lock()
        self._orders: dict[tuple[str, bool], tuple[list[IndexedTask], list[tuple[Any, ...]]]] = {}
        self._matches: dict[str, frozenset[int]] = {}

    def current_for(self, *, mark: int | None, as_of: dt.date, warning_days: int, scope: Scope) -> bool:
        """Whether this index answers for that day, warning window and scope with the data as it is now."""
        return (
            mark is not None
            and mark == self.mark
            and (as_of, warning_days, scope) == (self.as_of, self.warning_days, self.scope)
        )

    @staticmethod
    def _spec(sort: str, descending: bool) -> tuple[tuple[str, ...], tuple[bool, ...]]:
        fields = TASK_SORTS.get(sort, TASK_SORTS["light"])
        directions = [descending] * len(fields)
        if sort == "light":  # worst first, then the soonest due
            fields, directions = (*fields, "next_due"), [*directions, False]
        return (*fields, *_TIE), (*directions, *(False,) * len(_TIE))

    def cursor_of(self, task: IndexedTask, sort: str) -> Cursor:
        fields, _ = self._spec(sort, False)
        return Cursor(tuple(getattr(task, f) for f in fields))

    def _ordered(self, sort: str, descending: bool) -> tuple[list[IndexedTask], list[tuple[Any, ...]]]:
        with self._lock:
            cached = self._orders.get((sort, descending))
        if cached is not None:
            return cached
        fields, directions = self._spec(sort, descending)
        keyed = sorted(
            ((sort_key(tuple(getattr(t, f) for f in fields), directions), t) for t in self.tasks),
            key=lambda pair: pair[0],
        )
        result = ([t for _, t in keyed], [k for k, _ in keyed])
        with self._lock:
            self._orders[(sort, descending)] = result
        return result

    def _matching(self, text: str) -> frozenset[int]:
        needle = _fold(text)
        with self._lock:
            cached = self._matches.get(needle)
        if cached is None:
            cached = frozenset(t.id for t in self.tasks if needle in t.haystack)
            with self._lock:
                self._matches[needle] = cached
        return cached

    def window(
        self,
        *,
        text: str | None = None,
        sort: str = "light",
        descending: bool = True,
        limit: int = 100,
        after: Cursor | None = None,
        before: Cursor | None = None,
    ) -> TaskWindow:
        """The ``limit`` matches of ``text`` after ``after`` (or before ``before``, or the first ones)."""
        tasks, keys = self._ordered(sort, descending)
        needle = (text or "").strip()
        if needle:
            ids = self._matching(needle)
            pairs = [(k, t) for k, t in zip(keys, tasks, strict=True) if t.id in ids]
            keys, tasks = [k for k, _ in pairs], [t for _, t in pairs]
        _, directions = self._spec(sort, descending)
        start, end = keyset_window(
            keys,
            limit=limit,
            after=sort_key(after.values, directions) if after is not None else None,
            before=sort_key(before.values, directions) if before is not None else None,
        )
        shown = tuple(tasks[start:end])
        return TaskWindow(
            tasks=shown,
            offset=start,
            total=len(tasks),
            first=self.cursor_of(shown[0], sort) if shown else None,
            last=self.cursor_of(shown[-1], sort) if shown else None,
        )


def data_mark(session: Session) -> int | None:
    """The newest audit event's chain number: it changes with every write (each writes one), so an answer
    computed at one mark is still right while the mark stays. The chain number, not the id: each event links
    to the one before it, so numbers are taken in commit order (a PostgreSQL id may commit after a higher one).
    None when it cannot be read (then nothing is cached)."""
    try:
        with session.begin_nested():
            return session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))
    except Exception:  # e.g. a role without access to the journal: never cache, always recompute
        return None


def task_index(
    session: Session, *, as_of: dt.date, warning_days: int, scope: Scope, mark: int | None = None
) -> TaskIndex:
    """Build the :class:`TaskIndex` of a scope: two statements — the task lights (grouped in SQL) with what
    the list sorts by, and each task's parties (grouped by name) for the lead/support columns and the filter.
    """
    if mark is None:
        mark = data_mark(session)
    tl = task_lights(session, as_of, warning_days, scope).subquery("tl")
    lead_name = (
        select(func.min(Responsibility.name_as_written))
        .where(Responsibility.task_id == Task.id, Responsibility.role == Role.LEAD)
        .correlate(Task)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Task.id,
            Task.section,
            Task.number,
            Task.text,
            Task.position,
            Policy.id.label("policy_id"),
            Policy.doc_number,
            Policy.title,
            Policy.issued,
            tl.c.rank,
            tl.c.next_due,
            tl.c.overdue,
            lead_name.label("lead_name"),
        )
        .join(tl, tl.c.task_id == Task.id)
        .join(Policy, Policy.id == Task.policy_id)
    ).all()
    wanted = {r.id for r in rows}
    roles: dict[int, dict[str, list[str]]] = {i: {} for i in wanted}
    words: dict[int, set[str]] = {i: set() for i in wanted}
    if wanted:
        first_id = func.min(Responsibility.id)
        parties = (
            select(
                Responsibility.task_id,
                Responsibility.role,
                Responsibility.name_as_written,
                Responsibility.agency_key,
                Agency.name,
            )
            .outerjoin(Agency, Agency.key == Responsibility.agency_key)
            .group_by(
                Responsibility.task_id,
                Responsibility.role,
                Responsibility.name_as_written,
                Responsibility.agency_key,
                Agency.name,
            )
            .order_by(first_id)
        )
        for task_id, role, written, key, name in session.execute(parties):
            if task_id not in wanted:
                continue
            as_written = roles[task_id].setdefault(str(role), [])
            if written not in as_written:
                as_written.append(written)
            words[task_id].update(w for w in (written, key, name) if w)
    tasks = []
    for r in rows:
        named = roles[r.id]
        texts = (r.text, r.number, r.doc_number or "", r.title, *sorted(words[r.id]))
        tasks.append(
            IndexedTask(
                id=r.id,
                policy_id=r.policy_id,
                doc_number=r.doc_number,
                title=r.title,
                issued=r.issued,
                section=r.section,
                number=r.number,
                position=r.position,
                text=r.text,
                rank=int(r.rank),
                next_due=r.next_due,
                overdue=int(r.overdue or 0),
                lead_name=r.lead_name,
                lead=tuple(named.get(Role.LEAD) or named.get(Role.JOINT) or ()),
                support=tuple(named.get(Role.SUPPORT, ())),
                haystack=_fold("\x1f".join(texts)),
            )
        )
    return TaskIndex(tuple(tasks), mark=mark, as_of=as_of, warning_days=warning_days, scope=scope)
