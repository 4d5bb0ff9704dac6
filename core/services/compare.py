"""Coverage of one policy by another: pairs, unmatched tasks on each side, changed responsibilities.

Works for any two policies: a provincial 实施意见 against the national 意见 it implements, or a draft
(征求意见稿) against its final version — there ``unmatched_parent`` are the tasks removed, ``unmatched_child``
the tasks added, ``reworded`` the paired tasks whose text changed and ``changed_responsibilities`` the ones
re-assigned. Confirmed TaskLink rows (``duban map confirm``) take precedence over the matcher's proposal.
Read-only.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.task_matching import normalise_text
from duban.domain.vocabulary import Role
from duban.services.catalog import find_policy
from duban.services.mapping import own_responsibilities, proposals_for, task_ident
from duban.storage.models import Agency, Policy, Task, TaskLink


def _parties(policy: Policy, task: Task) -> dict[str, str]:
    """agency (or name as written) → role, in the policy's own jurisdiction."""
    return {r.agency_key or r.name_as_written: r.role for r in own_responsibilities(policy, task)}


def _role_changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str | None]]:
    return [
        {"agency": who, "before": before.get(who), "after": after.get(who)}
        for who in sorted(before.keys() | after.keys())
        if before.get(who) != after.get(who)
    ]


def _describe(changes: list[dict[str, str | None]], names: dict[str, str]) -> str:
    def role(r: str | None) -> str:
        return Role(r).label if r else "无"

    return "；".join(
        f"{names.get(c['agency'] or '', c['agency'])}：{role(c['before'])}→{role(c['after'])}"
        for c in changes
    )


def _relation(child: Policy, parent: Policy) -> str:
    if child.implements_id == parent.id or (
        parent.doc_number and child.implements_doc_number == parent.doc_number
    ):
        return "implements"
    if child.jurisdiction_code == parent.jurisdiction_code and "draft" in (child.status, parent.status):
        return "versions"
    return "other"


def compare_policies(session: Session, *, child: str, parent: str) -> dict[str, Any]:
    """The ``duban compare CHILD PARENT --json`` document."""
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
    pairs: list[dict[str, Any]] = []
    covered: set[int] = set()
    changed: list[dict[str, Any]] = []
    reworded: list[dict[str, Any]] = []
    for proposal in proposals:
        task = by_id[proposal.child]
        scores = {c.parent: c.confidence for c in proposal.candidates}
        if proposal.child in confirmed:
            parents = [
                {
                    "number": task_ident(by_id[link.parent_task_id]),
                    "task": link.parent_task_id,
                    "confidence": round(scores.get(link.parent_task_id, link.confidence), 3),
                    "confirmed": True,
                }
                for link in confirmed[proposal.child]
            ]
        else:
            parents = [
                {"number": c.ident, "task": c.parent, "confidence": c.confidence, "confirmed": False}
                for c in proposal.parents
            ]
        covered.update(p["task"] for p in parents)
        best = parents[0] if parents else None
        pairs.append(
            {
                "number": task_ident(task),
                "task": task.id,
                "parent": best["number"] if best else None,
                "confidence": best["confidence"] if best else round(proposal.confidence, 3),
                "parents": parents,
            }
        )
        if best is None:
            continue
        ptask = by_id[best["task"]]
        before, after = _parties(parent_pol, ptask), _parties(child_pol, task)
        changes = _role_changes(before, after)
        if changes:
            changed.append(
                {
                    "number": task_ident(task),
                    "parent": best["number"],
                    "before": sorted([k, v] for k, v in before.items()),
                    "after": sorted([k, v] for k, v in after.items()),
                    "changes": changes,
                    "summary": _describe(changes, names),
                }
            )
        if normalise_text(task.text) != normalise_text(ptask.text):
            reworded.append(
                {
                    "number": task_ident(task),
                    "parent": best["number"],
                    "similarity": round(
                        fuzz.ratio(normalise_text(task.text), normalise_text(ptask.text)) / 100, 3
                    ),
                }
            )

    def brief(t: Task) -> dict[str, Any]:
        return {
            "number": task_ident(t),
            "task": t.id,
            "text": t.text[:60],
            "parties": sorted(
                [k, v]
                for k, v in _parties(child_pol if t.policy_id == child_pol.id else parent_pol, t).items()
            ),
        }

    def label(p: Policy) -> dict[str, Any]:
        return {
            "id": p.id,
            "doc_number": p.doc_number,
            "title": p.title,
            "status": p.status,
            "jurisdiction": p.jurisdiction_code,
            "tasks": len(child_tasks if p is child_pol else parent_tasks),
        }

    unmatched_child = [brief(by_id[p["task"]]) for p in pairs if p["parent"] is None]
    unmatched_parent = [brief(t) for t in parent_tasks if t.id not in covered]
    summary = [f"新增（无上级对应）任务{t['number']}：{t['text'][:24]}" for t in unmatched_child]
    summary += [f"未落实（无下级对应）任务{t['number']}：{t['text'][:24]}" for t in unmatched_parent]
    summary += [f"分工调整 任务{c['number']}（对应{c['parent']}）：{c['summary']}" for c in changed]
    return {
        "child": label(child_pol),
        "parent": label(parent_pol),
        "relation": _relation(child_pol, parent_pol),
        "pairs": pairs,
        "unmatched_child": unmatched_child,
        "unmatched_parent": unmatched_parent,
        "changed_responsibilities": changed,
        "reworded": reworded,
        "summary": summary,
    }
