"""Which task of a parent policy does each task of an implementing policy carry out?

A provincial 实施意见 restates the national tasks: mostly one to one, sometimes reordered (the Jilin
实施方案 moves the Party-leadership tasks to the end), sometimes two national tasks merged into one
(Yunnan 四 = national 三's second half + 四), sometimes with a department changed. For every child task
:func:`propose` scores every parent task on

- **text** (weight 0.75): how much of the two texts is shared — character bigrams weighted by their rarity in
  the two documents (农村留守妇女 is everywhere and says nothing), as the mean of "how much of the parent is
  in the child" and "how much of the child is in the parent", blended with rapidfuzz's ``fuzz.ratio`` on the
  normalised texts (which rewards the same order of words);
- **responsibilities** (weight 0.15): Jaccard overlap of the agencies named (roles ignored: a national joint
  task often gets a lead in the province);
- **order** (weight 0.10): how close the two tasks sit in their lists (relative position).

The best parent is proposed, and any other parent whose text is largely contained in the child
(``coverage >= merge_coverage``) and which scores close to the best — a merge. Confidence is the score of
the proposed parent, 0..1. Pure: rapidfuzz and the standard library.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

__all__ = ["MatchTask", "Candidate", "Proposal", "propose", "normalise_text", "WEIGHTS"]

WEIGHTS = {"text": 0.75, "parties": 0.15, "order": 0.10}
#: a child with no parent scoring at least this gets no proposal (a task new in the child policy)
MIN_CONFIDENCE = 0.38
#: a second parent is proposed when this much of its text is in the child …
MERGE_COVERAGE = 0.42
#: … and its score is at least this share of the best one
MERGE_RELATIVE = 0.55

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class MatchTask:
    """A task as the matcher sees it. ``key`` is the caller's identity (a task id, or a number)."""

    key: Hashable
    ident: str
    text: str
    agencies: frozenset[str] = frozenset()
    position: int = 0


@dataclass(frozen=True)
class Candidate:
    parent: Hashable
    ident: str
    confidence: float
    text: float
    coverage: float
    parties: float
    order: float


@dataclass(frozen=True)
class Proposal:
    child: Hashable
    ident: str
    parents: tuple[Candidate, ...]
    candidates: tuple[Candidate, ...] = field(default=())

    @property
    def best(self) -> Candidate | None:
        return self.parents[0] if self.parents else None

    @property
    def confidence(self) -> float:
        return self.parents[0].confidence if self.parents else 0.0


def normalise_text(text: str) -> str:
    """NFKC, no punctuation, whitespace or digits (years and hotline numbers differ between documents)."""
    text = unicodedata.normalize("NFKC", text)
    return _DIGITS.sub("", _PUNCT.sub("", text))


def _bigrams(text: str) -> Counter[str]:
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


class _Corpus:
    """Inverse document frequencies of the bigrams of both task lists."""

    def __init__(self, texts: Sequence[Counter[str]]) -> None:
        df: Counter[str] = Counter()
        for grams in texts:
            df.update(grams.keys())
        n = len(texts)
        self.idf = {g: math.log((n + 1) / (c + 0.5)) for g, c in df.items()}

    def weight(self, grams: Counter[str]) -> float:
        return sum(self.idf.get(g, 0.0) * min(c, 2) for g, c in grams.items())

    def shared(self, a: Counter[str], b: Counter[str]) -> float:
        return sum(self.idf.get(g, 0.0) * min(a[g], b[g], 2) for g in a.keys() & b.keys())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.5
    return len(a & b) / len(a | b)


def _relative(position: int, count: int) -> float:
    return (position - 1) / (count - 1) if count > 1 else 0.0


def propose(
    children: Sequence[MatchTask],
    parents: Sequence[MatchTask],
    *,
    keep: int = 3,
    min_confidence: float = MIN_CONFIDENCE,
    merge_coverage: float = MERGE_COVERAGE,
    merge_relative: float = MERGE_RELATIVE,
) -> list[Proposal]:
    """For each child task, the parent task(s) it implements, best first, and the top ``keep`` candidates."""
    if not parents:
        return [Proposal(c.key, c.ident, ()) for c in children]
    norm_c = [normalise_text(c.text) for c in children]
    norm_p = [normalise_text(p.text) for p in parents]
    grams_c = [_bigrams(t) for t in norm_c]
    grams_p = [_bigrams(t) for t in norm_p]
    corpus = _Corpus(grams_c + grams_p)
    weight_c = [corpus.weight(g) or 1.0 for g in grams_c]
    weight_p = [corpus.weight(g) or 1.0 for g in grams_p]
    proposals: list[Proposal] = []
    for i, child in enumerate(children):
        scored: list[Candidate] = []
        for j, parent in enumerate(parents):
            shared = corpus.shared(grams_c[i], grams_p[j])
            cov_parent = shared / weight_p[j]  # how much of the parent the child restates
            cov_child = shared / weight_c[i]
            ratio = fuzz.ratio(norm_c[i], norm_p[j]) / 100.0
            text = 0.4 * cov_parent + 0.4 * cov_child + 0.2 * ratio
            parties = _jaccard(child.agencies, parent.agencies)
            order = 1.0 - abs(
                _relative(child.position, len(children)) - _relative(parent.position, len(parents))
            )
            score = WEIGHTS["text"] * text + WEIGHTS["parties"] * parties + WEIGHTS["order"] * order
            scored.append(
                Candidate(
                    parent.key,
                    parent.ident,
                    round(min(1.0, score), 3),
                    round(text, 3),
                    round(cov_parent, 3),
                    round(parties, 3),
                    round(order, 3),
                )
            )
        scored.sort(key=lambda c: (-c.confidence, -c.coverage))
        best = scored[0]
        chosen: list[Candidate] = []
        if best.confidence >= min_confidence:
            chosen.append(best)
            chosen += [
                c
                for c in scored[1:]
                if c.coverage >= merge_coverage and c.confidence >= merge_relative * best.confidence
            ]
        proposals.append(Proposal(child.key, child.ident, tuple(chosen), tuple(scored[:keep])))
    return proposals
