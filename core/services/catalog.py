"""Read-only listings of policies and tasks (paged in SQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.limits import ID_MAX
from duban.domain.vocabulary import JurisdictionLevel, PolicyStatus, TaskKind
from duban.errors import NotFoundError
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import Agency, Policy, Responsibility, Task


@dataclass(frozen=True, slots=True)
class PolicyRow(JsonResult):
    """``duban policies``: an imported document with its number of tasks."""

    id: int
    doc_number: str | None
    title: str
    jurisdiction: str | None
    level: JurisdictionLevel | None
    issued: dt.date | None
    status: PolicyStatus
    comment_deadline: dt.date | None
    #: the first day duban supervises it (no milestone before it; ``import --from``, ``schedule start``)
    supervision_start: dt.date | None
    implements: str | None  #: doc number of the document it implements
    issuers: tuple[str, ...]
    tasks: int
    superseded_by: int | None


@dataclass(frozen=True, slots=True)
class TaskParties(JsonResult):
    """``duban tasks``: a task with its parties as the document names them (agency key, or name as written)."""

    id: int
    policy: str
    section: str | None
    number: str
    text: str
    lead: tuple[str, ...]
    support: tuple[str, ...]
    joint: tuple[str, ...]
    schedule_hints: tuple[Mapping[str, str], ...]


def find_policy(session: Session, ref: str) -> Policy:
    """A policy by id or doc number (the current version when several share a doc number)."""
    if ref.isdigit():
        policy = session.get(Policy, int(ref)) if int(ref) <= ID_MAX else None
    else:
        policy = session.scalars(
            select(Policy)
            .where(or_(Policy.doc_number == ref, Policy.title == ref))
            .order_by(Policy.superseded_by_id.is_not(None), Policy.id.desc())
        ).first()
    if policy is None:
        raise NotFoundError(f"没有文号或编号为 {ref} 的政策（见 duban policies）")
    return policy


def require_known_agency(session: Session, agency: str | None) -> None:
    """NotFoundError naming the known agencies when ``agency`` is given but not one of them."""
    if not agency or session.get(Agency, agency) is not None:
        return
    known = sorted(session.scalars(select(Agency.key)))
    listed = "、".join(known[:30]) + ("…" if len(known) > 30 else "")
    raise NotFoundError(f"没有代码为 {agency!r} 的部门：应为 {listed} 之一（见 duban agencies）")


def policies_query(*, include_superseded: bool = False) -> Select[*tuple[Any, ...]]:
    """The policies of :func:`list_policies` with their number of tasks, in the order they were issued."""
    counts = (
        select(Task.policy_id, func.count().label("n"))
        .where(Task.kind == TaskKind.TASK)  # the document's tasks, not a draft's comment duty
        .group_by(Task.policy_id)
    ).subquery()
    stmt = (
        select(Policy, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.policy_id == Policy.id)
        .order_by(Policy.issued, Policy.id)
    )
    if not include_superseded:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    return stmt


def list_policies(
    session: Session, *, include_superseded: bool = False, limit: int | None = None, offset: int = 0
) -> list[PolicyRow]:
    """The imported policies in the order they were issued (the current versions unless asked)."""
    stmt = policies_query(include_superseded=include_superseded).limit(limit).offset(offset)
    return [
        PolicyRow(
            id=p.id,
            doc_number=p.doc_number,
            title=p.title,
            jurisdiction=p.jurisdiction_code,
            level=JurisdictionLevel(p.level) if p.level else None,
            issued=p.issued,
            status=PolicyStatus(p.status),
            comment_deadline=p.comment_deadline,
            supervision_start=p.supervision_start,
            implements=p.implements_doc_number,
            issuers=tuple(p.issuers or ()),
            tasks=int(n),
            superseded_by=p.superseded_by_id,
        )
        for p, n in session.execute(stmt)
    ]


def _task_filter(
    stmt: Select[*tuple[Any, ...]], *, policy_id: int | None, agency: str | None, role: str | None
) -> Select[*tuple[Any, ...]]:
    if policy_id is not None:
        stmt = stmt.where(Task.policy_id == policy_id)
    else:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    if agency or role:
        sub = select(Responsibility.id).where(Responsibility.task_id == Task.id)
        if agency:
            sub = sub.where(Responsibility.agency_key == agency)
        if role:
            sub = sub.where(Responsibility.role == role)
        stmt = stmt.where(sub.exists())
    return stmt


def list_tasks(
    session: Session,
    *,
    policy: str | None = None,
    agency: str | None = None,
    role: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[TaskParties]:
    """A page of tasks with their parties; ``total`` counts every match."""
    check_window(limit, offset)
    policy_id = find_policy(session, policy).id if policy else None
    base = select(Task.id).join(Policy, Policy.id == Task.policy_id)
    base = _task_filter(base, policy_id=policy_id, agency=agency, role=role)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    page = session.execute(
        select(Task, Policy.doc_number, Policy.title)
        .join(Policy, Policy.id == Task.policy_id)
        .where(Task.id.in_(base.order_by(None).scalar_subquery()))
        .order_by(Task.policy_id, Task.position)
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [t.id for t, _d, _ti in page]
    parties: dict[int, list[Responsibility]] = {i: [] for i in ids}
    own_level = (
        select(Responsibility)
        .join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            Responsibility.task_id.in_(ids),
            # the parties as the document names them, not the rows a cascade added for lower jurisdictions
            or_(
                Policy.jurisdiction_code.is_(None),
                Responsibility.jurisdiction_code == Policy.jurisdiction_code,
            ),
        )
    )
    for r in session.scalars(own_level.order_by(Responsibility.id)):
        parties[r.task_id].append(r)
    rows = []
    for task, doc_number, title in page:
        rs = parties[task.id]

        def named(role: str, rs: list[Responsibility] = rs) -> tuple[str, ...]:
            return tuple(r.agency_key or r.name_as_written for r in rs if r.role == role)

        rows.append(
            TaskParties(
                id=task.id,
                policy=doc_number or title,
                section=task.section,
                number=task.number,
                text=task.text,
                lead=named("lead"),
                support=named("support"),
                joint=named("joint"),
                schedule_hints=tuple(dict(h) for h in task.schedule_hints or ()),
            )
        )
    return page_of(rows, total=int(total or 0), limit=limit, offset=offset)


def list_policies_page(
    session: Session, *, include_superseded: bool = False, limit: int = 200, offset: int = 0
) -> Page[PolicyRow]:
    """A page of :func:`list_policies` with the number of every matching policy (SQL COUNT)."""
    check_window(limit, offset)
    rows = list_policies(session, include_superseded=include_superseded, limit=limit, offset=offset)
    total = count_rows(session, policies_query(include_superseded=include_superseded))
    return page_of(rows, total=total, limit=limit, offset=offset)
