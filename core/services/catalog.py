"""Read-only listings of policies and tasks (paged in SQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from duban.errors import NotFoundError
from duban.storage.models import Policy, Responsibility, Task

STATUS_NAMES = {
    "draft": "征求意见稿",
    "in_force": "现行有效",
    "superseded": "已被替换",
    "withdrawn": "已废止",
}


def find_policy(session: Session, ref: str) -> Policy:
    """A policy by id or doc number (the current version when several share a doc number)."""
    if ref.isdigit():
        policy = session.get(Policy, int(ref))
    else:
        policy = session.scalars(
            select(Policy)
            .where(or_(Policy.doc_number == ref, Policy.title == ref))
            .order_by(Policy.superseded_by_id.is_not(None), Policy.id.desc())
        ).first()
    if policy is None:
        raise NotFoundError(f"没有文号或编号为 {ref} 的政策（见 duban policies）")
    return policy


def list_policies(session: Session, *, include_superseded: bool = False) -> list[dict[str, Any]]:
    counts = (
        select(Task.policy_id, func.count().label("n"))
        .where(Task.kind == "task")  # the document's tasks, not a draft's comment duty
        .group_by(Task.policy_id)
    ).subquery()
    stmt = (
        select(Policy, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.policy_id == Policy.id)
        .order_by(Policy.issued, Policy.id)
    )
    if not include_superseded:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    return [
        {
            "id": p.id,
            "doc_number": p.doc_number,
            "title": p.title,
            "jurisdiction": p.jurisdiction_code,
            "level": p.level,
            "issued": p.issued.isoformat() if p.issued else None,
            "status": p.status,
            "comment_deadline": p.comment_deadline.isoformat() if p.comment_deadline else None,
            "supervision_start": p.supervision_start.isoformat() if p.supervision_start else None,
            "implements": p.implements_doc_number,
            "issuers": p.issuers,
            "tasks": n,
            "superseded_by": p.superseded_by_id,
        }
        for p, n in session.execute(stmt)
    ]


def _task_filter(
    stmt: Select[Any], *, policy_id: int | None, agency: str | None, role: str | None
) -> Select[Any]:
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
) -> dict[str, Any]:
    """A page of tasks with their parties; ``total`` counts every match."""
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
        rows.append(
            {
                "id": task.id,
                "policy": doc_number or title,
                "section": task.section,
                "number": task.number,
                "text": task.text,
                "lead": [r.agency_key or r.name_as_written for r in rs if r.role == "lead"],
                "support": [r.agency_key or r.name_as_written for r in rs if r.role == "support"],
                "joint": [r.agency_key or r.name_as_written for r in rs if r.role == "joint"],
                "schedule_hints": task.schedule_hints,
            }
        )
    return {"total": total, "offset": offset, "limit": limit, "tasks": rows}
