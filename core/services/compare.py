"""Coverage of one policy by another: pairs, unmatched tasks on each side, changed responsibilities.

Works for any two policies: a provincial 实施意见 against the national 意见 it implements, or a draft
(征求意见稿) against its final version — there ``unmatched_parent`` are the tasks removed, ``unmatched_child``
the tasks added, ``reworded`` the paired tasks whose text changed and ``changed_responsibilities`` the ones
re-assigned. Confirmed TaskLink rows (``duban map confirm``) take precedence over the matcher's proposal.
Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.task_matching import normalise_text
from duban.domain.vocabulary import PolicyStatus, Role
from duban.services.catalog import find_policy
from duban.services.mapping import own_responsibilities, proposals_for, task_id, task_ident
from duban.storage.models import Agency, Policy, Task, TaskLink

Parties = tuple[tuple[str, Role], ...]  #: (agency key or name as written, role), sorted


@dataclass(frozen=True, slots=True)
class PolicySide(JsonResult):
    """One of the two policies compared."""

    id: int
    doc_number: str | None
    title: str
    status: PolicyStatus
    jurisdiction: str | None
    tasks: int


@dataclass(frozen=True, slots=True)
class ParentMatch(JsonResult):
    """A parent task a child task is paired with: confirmed (TaskLink) or proposed by the matcher."""

    number: str
    task: int
    confidence: float
    confirmed: bool


@dataclass(frozen=True, slots=True)
class TaskPair(JsonResult):
    """A child task and its best parent (``parent`` None: no counterpart)."""

    number: str
    task: int
    parent: str | None
    confidence: float
    parents: tuple[ParentMatch, ...]


@dataclass(frozen=True, slots=True)
class RoleChange(JsonResult):
    """A party whose role differs between the parent task and the child task (None: not a party)."""

    agency: str
    name: str  #: the agency's short name (or the name as written)
    before: Role | None
    after: Role | None


@dataclass(frozen=True, slots=True)
class ChangedResponsibilities(JsonResult):
    """A paired task whose parties changed; ``summary`` says how in Chinese."""

    json_extra = ("summary",)

    number: str
    parent: str
    before: Parties
    after: Parties
    changes: tuple[RoleChange, ...]

    @property
    def summary(self) -> str:
        def role(r: Role | None) -> str:
            return r.label if r else "无"

        return "；".join(f"{c.name}：{role(c.before)}→{role(c.after)}" for c in self.changes)


@dataclass(frozen=True, slots=True)
class RewordedTask(JsonResult):
    """A paired task whose text changed (``similarity`` 0–1)."""

    number: str
    parent: str
    similarity: float


@dataclass(frozen=True, slots=True)
class UnmatchedTask(JsonResult):
    """A task without a counterpart on the other side (``text``: its first 60 characters)."""

    number: str
    task: int
    text: str
    parties: Parties


@dataclass(frozen=True, slots=True)
class Comparison(JsonResult):
    """``duban compare CHILD PARENT``: pairs, unmatched tasks on each side, changed parties and wording.

    ``summary`` (in the JSON too) is one Chinese line per finding, for the reader.
    """

    json_extra = ("summary",)

    child: PolicySide
    parent: PolicySide
    relation: Literal["implements", "versions", "other"]
    pairs: tuple[TaskPair, ...]
    unmatched_child: tuple[UnmatchedTask, ...]
    unmatched_parent: tuple[UnmatchedTask, ...]
    changed_responsibilities: tuple[ChangedResponsibilities, ...]
    reworded: tuple[RewordedTask, ...]

    @property
    def summary(self) -> tuple[str, ...]:
        lines = [f"新增（无上级对应）任务{t.number}：{t.text[:24]}" for t in self.unmatched_child]
        lines += [f"未落实（无下级对应）任务{t.number}：{t.text[:24]}" for t in self.unmatched_parent]
        lines += [
            f"分工调整 任务{c.number}（对应{c.parent}）：{c.summary}" for c in self.changed_responsibilities
        ]
        return tuple(lines)


def _parties(policy: Policy, task: Task) -> dict[str, str]:
    """agency (or name as written) → role, in the policy's own jurisdiction."""
    return {r.agency_key or r.name_as_written: r.role for r in own_responsibilities(policy, task)}


def _sorted_parties(parties: dict[str, str]) -> Parties:
    return tuple(sorted((who, Role(role)) for who, role in parties.items()))


def _role_changes(before: dict[str, str], after: dict[str, str], names: dict[str, str]) -> list[RoleChange]:
    def role(r: str | None) -> Role | None:
        return Role(r) if r else None

    return [
        RoleChange(who, names.get(who, who), role(before.get(who)), role(after.get(who)))
        for who in sorted(before.keys() | after.keys())
        if before.get(who) != after.get(who)
    ]


def _relation(child: Policy, parent: Policy) -> Literal["implements", "versions", "other"]:
    if child.implements_id == parent.id or (
        parent.doc_number and child.implements_doc_number == parent.doc_number
    ):
        return "implements"
    if child.jurisdiction_code == parent.jurisdiction_code and "draft" in (child.status, parent.status):
        return "versions"
    return "other"


def compare_policies(session: Session, *, child: str, parent: str) -> Comparison:
    """The ``duban compare CHILD PARENT`` comparison."""
    child_pol, parent_pol = find_policy(session, child), find_policy(session, parent)
    child_tasks, parent_tasks, proposals = proposals_for(session, child_pol, parent_pol)
    by_id = {t.id: t for t in [*child_tasks, *parent_tasks]}
    parent_ids = {t.id for t in parent_tasks}
    confirmed: dict[int, list[TaskLink]] = {}
    for link in session.scalars(
        select(TaskLink)
        .where(
            TaskLink.child_task_id.in_([t.id for t in child_tasks]),
            TaskLink.confirmed.is_(True),
            TaskLink.parent_task_id.in_(parent_ids),
        )
        .order_by(TaskLink.confidence.desc(), TaskLink.id)
    ):
        confirmed.setdefault(link.child_task_id, []).append(link)

    names = {key: name for key, name in session.execute(select(Agency.key, Agency.name))}
    pairs: list[TaskPair] = []
    covered: set[int] = set()
    changed: list[ChangedResponsibilities] = []
    reworded: list[RewordedTask] = []
    for proposal in proposals:
        task = by_id[task_id(proposal.child)]
        scores = {task_id(c.parent): c.confidence for c in proposal.candidates}
        if proposal.child in confirmed:
            parents = [
                ParentMatch(
                    number=task_ident(by_id[link.parent_task_id]),
                    task=link.parent_task_id,
                    confidence=round(scores.get(link.parent_task_id, link.confidence), 3),
                    confirmed=True,
                )
                for link in confirmed[task.id]
            ]
        else:
            parents = [ParentMatch(c.ident, task_id(c.parent), c.confidence, False) for c in proposal.parents]
        covered.update(p.task for p in parents)
        best = parents[0] if parents else None
        pairs.append(
            TaskPair(
                number=task_ident(task),
                task=task.id,
                parent=best.number if best else None,
                confidence=best.confidence if best else round(proposal.confidence, 3),
                parents=tuple(parents),
            )
        )
        if best is None:
            continue
        ptask = by_id[best.task]
        before, after = _parties(parent_pol, ptask), _parties(child_pol, task)
        changes = _role_changes(before, after, names)
        if changes:
            changed.append(
                ChangedResponsibilities(
                    number=task_ident(task),
                    parent=best.number,
                    before=_sorted_parties(before),
                    after=_sorted_parties(after),
                    changes=tuple(changes),
                )
            )
        if normalise_text(task.text) != normalise_text(ptask.text):
            reworded.append(
                RewordedTask(
                    number=task_ident(task),
                    parent=best.number,
                    similarity=round(
                        fuzz.ratio(normalise_text(task.text), normalise_text(ptask.text)) / 100, 3
                    ),
                )
            )

    def brief(t: Task) -> UnmatchedTask:
        side = child_pol if t.policy_id == child_pol.id else parent_pol
        return UnmatchedTask(task_ident(t), t.id, t.text[:60], _sorted_parties(_parties(side, t)))

    def side(p: Policy) -> PolicySide:
        return PolicySide(
            id=p.id,
            doc_number=p.doc_number,
            title=p.title,
            status=PolicyStatus(p.status),
            jurisdiction=p.jurisdiction_code,
            tasks=len(child_tasks if p is child_pol else parent_tasks),
        )

    return Comparison(
        child=side(child_pol),
        parent=side(parent_pol),
        relation=_relation(child_pol, parent_pol),
        pairs=tuple(pairs),
        unmatched_child=tuple(brief(by_id[p.task]) for p in pairs if p.parent is None),
        unmatched_parent=tuple(brief(t) for t in parent_tasks if t.id not in covered),
        changed_responsibilities=tuple(changed),
        reworded=tuple(reworded),
    )
