"""Task mapping: which parent-policy task(s) each task of an implementing policy carries out.

``propose_links`` scores every pair with :mod:`duban.domain.task_matching` and stores the proposals as
unconfirmed :class:`TaskLink` rows; the coordinator confirms or corrects them (``confirm_links``), or accepts
every proposal at once (``accept_proposals``). A confirmed link is never overwritten by a new proposal.
Each call writes one audit event.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from duban.domain.jsonable import JsonResult
from duban.domain.task_matching import MatchTask, Proposal, propose
from duban.domain.vocabulary import TaskKind
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.catalog import find_policy
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import Policy, Responsibility, Task, TaskLink


@dataclass(frozen=True, slots=True)
class Candidate(JsonResult):
    """A parent task the matcher proposes for a child task, with its confidence (0–1)."""

    task: int
    number: str
    confidence: float


@dataclass(frozen=True, slots=True)
class TaskProposal(JsonResult):
    """A child task's proposed parents (``parents``) among the best ``candidates``; ``kept_confirmed``: the
    task already had confirmed links, which were kept as they are."""

    task: int
    number: str
    kept_confirmed: bool
    parents: tuple[Candidate, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class LinkProposals(JsonResult):
    """``duban map propose``: the proposal for every task of the child policy."""

    child: int
    parent: int
    tasks: tuple[TaskProposal, ...]


@dataclass(frozen=True, slots=True)
class ParentLink(JsonResult):
    """A parent task a task is linked to (proposed or confirmed)."""

    task: int
    number: str
    policy: str
    confidence: float
    confirmed: bool
    text: str


@dataclass(frozen=True, slots=True)
class TaskLinks(JsonResult):
    """A task of the policy with its parent tasks."""

    task: int
    number: str
    text: str
    parents: tuple[ParentLink, ...]


@dataclass(frozen=True, slots=True)
class PolicyLinks(JsonResult):
    """``duban map list``: every task of a policy with its parent tasks."""

    policy: int
    doc_number: str | None
    title: str
    tasks: tuple[TaskLinks, ...]


def task_id(key: Hashable) -> int:
    """A matcher key back as the task id it is (:func:`match_tasks` keys tasks by id)."""
    assert isinstance(key, int)
    return key


def task_ident(task: Task) -> str:
    """``二.三`` for a sectioned document, ``三`` otherwise."""
    return f"{task.section}.{task.number}" if task.section else task.number


def own_responsibilities(policy: Policy, task: Task) -> list[Responsibility]:
    """The task's responsibilities in the policy's own jurisdiction (cascaded copies left out)."""
    return [
        r
        for r in task.responsibilities
        if r.jurisdiction_code is None or r.jurisdiction_code == policy.jurisdiction_code
    ]


def load_tasks(session: Session, policy: Policy) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.policy_id == policy.id, Task.kind == TaskKind.TASK)  # not a draft's comment duty
            .order_by(Task.position)
            .options(selectinload(Task.responsibilities))
        )
    )


def match_tasks(policy: Policy, tasks: list[Task]) -> list[MatchTask]:
    return [
        MatchTask(
            t.id,
            task_ident(t),
            t.text,
            frozenset(r.agency_key or r.name_as_written for r in own_responsibilities(policy, t)),
            t.position,
        )
        for t in tasks
    ]


def proposals_for(
    session: Session, child: Policy, parent: Policy
) -> tuple[list[Task], list[Task], list[Proposal]]:
    child_tasks, parent_tasks = load_tasks(session, child), load_tasks(session, parent)
    return (
        child_tasks,
        parent_tasks,
        propose(match_tasks(child, child_tasks), match_tasks(parent, parent_tasks)),
    )


def parent_policy(session: Session, child: Policy, parent_ref: str | None) -> Policy:
    parent: Policy | None
    if parent_ref:
        parent = find_policy(session, parent_ref)
    elif child.implements_id is not None:
        parent = session.get(Policy, child.implements_id)
        assert parent is not None
    else:
        raise ValidationError(
            f"政策 {child.doc_number or child.title} 没有记录所依据的上级政策：请用 --parent 指定"
        )
    if parent.id == child.id:
        raise ValidationError("不能把一份政策映射到它自己")
    return parent


def propose_links(session: Session, *, actor: Actor, child: str, parent: str | None = None) -> LinkProposals:
    """Store a proposal (unconfirmed TaskLink rows) for every child task that has no confirmed link yet."""
    require_coordinator(actor, "生成任务映射建议")
    child_policy = find_policy(session, child)
    parent_pol = parent_policy(session, child_policy, parent)
    child_tasks, parent_tasks, proposals = proposals_for(session, child_policy, parent_pol)
    child_ids = [t.id for t in child_tasks]
    confirmed = set(
        session.scalars(
            select(TaskLink.child_task_id).where(
                TaskLink.child_task_id.in_(child_ids), TaskLink.confirmed.is_(True)
            )
        )
    )
    session.execute(
        delete(TaskLink).where(TaskLink.child_task_id.in_(child_ids), TaskLink.confirmed.is_(False))
    )
    idents = {t.id: task_ident(t) for t in [*child_tasks, *parent_tasks]}
    rows: list[TaskProposal] = []
    for proposal in proposals:
        kept = proposal.child in confirmed
        if not kept:
            for cand in proposal.parents:
                session.add(
                    TaskLink(
                        child_task_id=proposal.child,
                        parent_task_id=cand.parent,
                        confidence=cand.confidence,
                        confirmed=False,
                    )
                )
        rows.append(
            TaskProposal(
                task=task_id(proposal.child),
                number=idents[task_id(proposal.child)],
                kept_confirmed=kept,
                parents=tuple(Candidate(task_id(c.parent), c.ident, c.confidence) for c in proposal.parents),
                candidates=tuple(
                    Candidate(task_id(c.parent), c.ident, c.confidence) for c in proposal.candidates
                ),
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="tasklink.propose",
        entity_type="policy",
        entity_id=child_policy.id,
        after={
            "parent_policy": parent_pol.id,
            "links": [
                [r.task, p.task, p.confidence] for r in rows if not r.kept_confirmed for p in r.parents
            ],
            "kept_confirmed": len(confirmed),
        },
    )
    return LinkProposals(child=child_policy.id, parent=parent_pol.id, tasks=tuple(rows))


def _links_of(session: Session, child_task_id: int) -> list[TaskLink]:
    return list(
        session.scalars(
            select(TaskLink)
            .where(TaskLink.child_task_id == child_task_id)
            .order_by(TaskLink.confidence.desc(), TaskLink.id)
        )
    )


def _snapshot(links: list[TaskLink]) -> dict[str, Any]:
    return {
        "links": [
            {"parent": link.parent_task_id, "confidence": link.confidence, "confirmed": link.confirmed}
            for link in links
        ]
    }


def _scores(session: Session, child: Task, parent_ids: list[int]) -> dict[int, float]:
    """The matcher's confidence for pairs the coordinator adds by hand (kept for the record)."""
    scores: dict[int, float] = {}
    parents = [session.get(Task, pid) for pid in parent_ids]  # confirm_links checked that each exists
    policies = {task.policy_id for task in parents if task is not None}
    child_policy = session.get(Policy, child.policy_id)
    assert child_policy is not None
    for policy_id in policies:
        parent = session.get(Policy, policy_id)
        assert parent is not None
        parent_tasks = load_tasks(session, parent)
        [proposal] = propose(
            match_tasks(child_policy, [child]), match_tasks(parent, parent_tasks), keep=len(parent_tasks)
        )
        scores.update({task_id(c.parent): c.confidence for c in proposal.candidates})
    return scores


def confirm_links(
    session: Session, *, actor: Actor, child_task_id: int, parent_task_ids: list[int] | None = None
) -> list[TaskLink]:
    """Confirm the links of one child task: exactly ``parent_task_ids`` (a correction), or — when none are
    given — the stored proposal as it is."""
    require_coordinator(actor, "确认任务映射")
    child = session.get(Task, child_task_id)
    if child is None:
        raise NotFoundError(f"没有编号为 {child_task_id} 的任务（见 duban tasks）")
    before_links = _links_of(session, child.id)
    before = _snapshot(before_links)
    if not parent_task_ids:
        if not before_links:
            raise ValidationError(
                f"任务 #{child.id} 没有映射建议：请先运行 duban map propose，或写出上级任务编号"
            )
        wanted = [link.parent_task_id for link in before_links]
    else:
        wanted = list(dict.fromkeys(parent_task_ids))
    for pid in wanted:
        parent = session.get(Task, pid)
        if parent is None:
            raise NotFoundError(f"没有编号为 {pid} 的任务（见 duban tasks）")
        if parent.policy_id == child.policy_id:
            raise ValidationError(f"任务 #{pid} 与任务 #{child.id} 属于同一份政策，不能作为上级任务")
    existing = {link.parent_task_id: link for link in before_links}
    scores = _scores(session, child, [pid for pid in wanted if pid not in existing])
    for link in before_links:
        if link.parent_task_id not in wanted:
            session.delete(link)
    for pid in wanted:
        kept = existing.get(pid)
        if kept is None:
            session.add(
                TaskLink(
                    child_task_id=child.id,
                    parent_task_id=pid,
                    confidence=scores.get(pid, 0.0),
                    confirmed=True,
                )
            )
        else:
            kept.confirmed = True
    session.flush()
    after_links = _links_of(session, child.id)
    audit.record(
        session,
        actor=actor.name,
        action="tasklink.confirm",
        entity_type="task",
        entity_id=child.id,
        task_id=child.id,
        before=before,
        after=_snapshot(after_links),
    )
    return after_links


def accept_proposals(session: Session, *, actor: Actor, child: str, min_confidence: float = 0.0) -> int:
    """Confirm every unconfirmed proposal of a policy whose confidence is at least ``min_confidence``."""
    require_coordinator(actor, "确认任务映射")
    policy = find_policy(session, child)
    links = list(
        session.scalars(
            select(TaskLink)
            .join(Task, Task.id == TaskLink.child_task_id)
            .where(
                Task.policy_id == policy.id,
                TaskLink.confirmed.is_(False),
                TaskLink.confidence >= min_confidence,
            )
            .order_by(TaskLink.id)
        )
    )
    for link in links:
        link.confirmed = True
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="tasklink.accept",
        entity_type="policy",
        entity_id=policy.id,
        after={
            "links": [[link.child_task_id, link.parent_task_id] for link in links],
            "min_confidence": min_confidence,
        },
    )
    return len(links)


def list_links(session: Session, *, child: str) -> PolicyLinks:
    """Every task of a policy with its (proposed or confirmed) parent tasks."""
    policy = find_policy(session, child)
    tasks = list(session.scalars(select(Task).where(Task.policy_id == policy.id).order_by(Task.position)))
    links = session.execute(
        select(TaskLink, Task, Policy.doc_number, Policy.title)
        .join(Task, Task.id == TaskLink.parent_task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(TaskLink.child_task_id.in_([t.id for t in tasks]))
        .order_by(TaskLink.confidence.desc(), TaskLink.id)
    ).all()
    by_child: dict[int, list[ParentLink]] = {t.id: [] for t in tasks}
    for link, parent, doc_number, title in links:
        by_child[link.child_task_id].append(
            ParentLink(
                task=parent.id,
                number=task_ident(parent),
                policy=doc_number or title,
                confidence=round(link.confidence, 3),
                confirmed=link.confirmed,
                text=parent.text,
            )
        )
    return PolicyLinks(
        policy=policy.id,
        doc_number=policy.doc_number,
        title=policy.title,
        tasks=tuple(TaskLinks(t.id, task_ident(t), t.text, tuple(by_child[t.id])) for t in tasks),
    )
