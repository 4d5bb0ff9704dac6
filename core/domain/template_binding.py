"""Which agency template serves which imported task: the proposals of ``duban template propose``.

A template (``TaskTemplateSpec``, from a department plugin's plugin.toml or any plugin's
``duban_register_task_templates``) may say what it is for:

- ``serves``: the document tasks it serves — 民发〔2019〕86号 任务分工 二十三 (``doc`` is the document's number,
  or its title when it has none; ``section`` for numbering that restarts per section). Score 1.0.
- ``keywords``: words that every task it serves contains (``"甲|乙"``: either). Score 0.6.
- and through the task mapping: a task that implements (TaskLink) a parent task to which the template is
  bound (confirmed) or proposed is proposed too. Score 0.9 × the link's confidence, or 0.9 for a confirmed
  link.

A template is only ever proposed for a task on which its agency has a responsibility: it says what *that
agency* reports on the task. Pure: no database; the service (duban.services.templates) feeds it rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from duban.domain.vocabulary import BindingSource, BindingState
from duban.hookspecs import TaskTemplateSpec, TemplateServes

__all__ = [
    "BindTask",
    "BindingProposal",
    "KEYWORDS_SCORE",
    "MAPPING_SCORE",
    "SERVES_SCORE",
    "keyword_match",
    "normalise_doc",
    "propose_bindings",
    "propose_through_links",
    "serves_match",
]

SERVES_SCORE = 1.0
MAPPING_SCORE = 0.9
KEYWORDS_SCORE = 0.6

_OPEN = "〔［[【(（"
_CLOSE = "〕］]】)）"
_SPACE = re.compile(r"\s+")


def normalise_doc(text: str) -> str:
    """民发[2019]86号, 民发（2019）86 号 … → 民发〔2019〕86号 (any bracket pair, no spaces, NFKC digits)."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    for ch in _OPEN:
        text = text.replace(unicodedata.normalize("NFKC", ch), "〔")
    for ch in _CLOSE:
        text = text.replace(unicodedata.normalize("NFKC", ch), "〕")
    return text


def _squash(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class BindTask:
    """A task as the matcher sees it."""

    id: int
    doc_number: str | None
    title: str
    section: str | None
    number: str
    text: str
    agencies: frozenset[str]  #: agencies with a responsibility on the task

    @property
    def label(self) -> str:
        number = f"{self.section}.{self.number}" if self.section else self.number
        return f"{self.doc_number or self.title} {number}"


@dataclass(frozen=True)
class BindingProposal:
    task_id: int
    agency: str
    template: str
    source: BindingSource  #: serves, keywords or mapping
    score: float
    reason: str  #: Chinese: why it is proposed


def serves_match(task: BindTask, serves: TemplateServes) -> bool:
    """True when ``serves`` names this task of this document."""
    wanted = normalise_doc(serves.doc)
    if wanted not in {normalise_doc(task.doc_number or ""), normalise_doc(task.title)}:
        return False
    if _squash(serves.task) != _squash(task.number):
        return False
    return serves.section is None or _squash(serves.section) == _squash(task.section or "")


def keyword_match(text: str, keywords: Sequence[str]) -> list[str] | None:
    """The keywords (the alternative found, for ``甲|乙``) when every one is in ``text``; else None."""
    body = _squash(text)
    found = []
    for word in keywords:
        hit = next((alt for alt in word.split("|") if _squash(alt) and _squash(alt) in body), None)
        if hit is None:
            return None
        found.append(hit)
    return found


def _serves_text(serves: TemplateServes) -> str:
    section = f"{serves.section} " if serves.section else ""
    return f"{serves.doc} {section}{serves.task}"


def propose_bindings(
    tasks: Iterable[BindTask], templates: Iterable[TaskTemplateSpec]
) -> list[BindingProposal]:
    """Every (task, agency, template) the templates' ``serves`` or ``keywords`` point at, best reason kept."""
    by_agency: dict[str, list[TaskTemplateSpec]] = {}
    for tpl in templates:
        by_agency.setdefault(tpl.agency, []).append(tpl)
    out: list[BindingProposal] = []
    for task in tasks:
        for agency in sorted(task.agencies):
            for tpl in by_agency.get(agency, ()):
                named = next((s for s in tpl.serves if serves_match(task, s)), None)
                if named is not None:
                    out.append(
                        BindingProposal(
                            task.id,
                            agency,
                            tpl.key,
                            BindingSource.SERVES,
                            SERVES_SCORE,
                            f"模板声明服务于 {_serves_text(named)}",
                        )
                    )
                    continue
                if not tpl.keywords:
                    continue
                words = keyword_match(task.text, tpl.keywords)
                if words is not None:
                    out.append(
                        BindingProposal(
                            task.id,
                            agency,
                            tpl.key,
                            BindingSource.KEYWORDS,
                            KEYWORDS_SCORE,
                            "任务正文含关键词：" + "、".join(words),
                        )
                    )
    return out


@dataclass(frozen=True)
class LinkedBinding:
    """A binding of a parent task, seen from a child task that implements it."""

    child_task_id: int
    parent_label: str
    agency: str
    template: str
    link_confirmed: bool
    link_confidence: float
    parent_state: BindingState  #: proposed or confirmed


def propose_through_links(
    links: Iterable[LinkedBinding], child_agencies: Mapping[int, frozenset[str]]
) -> list[BindingProposal]:
    """A child task gets its parent's template for each agency that also answers for the child task."""
    best: dict[tuple[int, str, str], BindingProposal] = {}
    for link in links:
        if link.agency not in child_agencies.get(link.child_task_id, frozenset()):
            continue
        score = MAPPING_SCORE * (1.0 if link.link_confirmed else link.link_confidence)
        if link.parent_state != BindingState.CONFIRMED:
            score *= 0.9
        how = (
            "已确认的任务映射"
            if link.link_confirmed
            else f"任务映射建议（置信度 {link.link_confidence:.2f}）"
        )
        bound = "已绑定" if link.parent_state == BindingState.CONFIRMED else "建议绑定"
        proposal = BindingProposal(
            link.child_task_id,
            link.agency,
            link.template,
            BindingSource.MAPPING,
            round(score, 3),
            f"落实上级任务 {link.parent_label}（{how}），该任务{bound}此模板",
        )
        key = (link.child_task_id, link.agency, link.template)
        if key not in best or best[key].score < proposal.score:
            best[key] = proposal
    return list(best.values())
