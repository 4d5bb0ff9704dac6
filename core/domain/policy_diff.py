"""Differences between two versions of a policy's task list: added, removed, reworded, re-assigned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from duban.domain.vocabulary import Role


@dataclass(frozen=True)
class TaskFacts:
    """What two versions are compared on. ``parties`` are (agency key or name as written, role)."""

    section: str | None
    number: str
    text: str
    parties: frozenset[tuple[str, str]]

    @property
    def ident(self) -> str:
        return f"{self.section}.{self.number}" if self.section else self.number


@dataclass(frozen=True)
class PolicyDiff:
    added: list[TaskFacts] = field(default_factory=list)
    removed: list[TaskFacts] = field(default_factory=list)
    reworded: list[tuple[TaskFacts, TaskFacts]] = field(default_factory=list)
    reassigned: list[tuple[TaskFacts, TaskFacts]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.reassigned)

    def lines(self) -> list[str]:
        """A Chinese summary, one line per change."""
        out = [f"新增 任务{t.ident}：{t.text[:30]}" for t in self.added]
        out += [f"删除 任务{t.ident}：{t.text[:30]}" for t in self.removed]
        out += [f"改写 任务{new.ident}：{old.text[:20]} → {new.text[:20]}" for old, new in self.reworded]
        for old, new in self.reassigned:
            out.append(f"调整分工 任务{new.ident}：{_parties(old.parties)} → {_parties(new.parties)}")
        return out

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        def one(t: TaskFacts) -> dict[str, object]:
            return {
                "section": t.section,
                "number": t.number,
                "text": t.text,
                "parties": sorted([list(p) for p in t.parties]),
            }

        return {
            "added": [one(t) for t in self.added],
            "removed": [one(t) for t in self.removed],
            "reworded": [{"old": one(a), "new": one(b)} for a, b in self.reworded],
            "reassigned": [{"old": one(a), "new": one(b)} for a, b in self.reassigned],
        }


def _parties(parties: frozenset[tuple[str, str]]) -> str:
    return "、".join(f"{who}({Role(role).label})" for who, role in sorted(parties)) or "无"


def diff_tasks(old: Iterable[TaskFacts], new: Iterable[TaskFacts]) -> PolicyDiff:
    """Compare two task lists matched by section and number."""
    old_by = {t.ident: t for t in old}
    new_by = {t.ident: t for t in new}
    diff = PolicyDiff()
    for ident, task in new_by.items():
        before = old_by.get(ident)
        if before is None:
            diff.added.append(task)
            continue
        if before.text != task.text:
            diff.reworded.append((before, task))
        if before.parties != task.parties:
            diff.reassigned.append((before, task))
    diff.removed.extend(t for ident, t in old_by.items() if ident not in new_by)
    return diff
