"""Plugins for the 考核 tests: a province's own scheme and two broken ones (the shipped scheme and exporters
come through their entry points, as in a real installation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from duban.domain.scoring import DepartmentFacts, DepartmentScore, Ref, Term, grade, points
from duban.hookspecs import ScoringSchemeSpec, hookimpl

# --------------------------------------------------------------------------- a province's own scheme


def yunnan_compute(facts: Sequence[DepartmentFacts], config: Mapping[str, Any]) -> list[DepartmentScore]:
    """云南省（示例）: 100 − 5 per overdue milestone − 4 per returned report; no weights, no caps."""
    out = []
    for d in facts:
        overdue = tuple(Ref("milestone", i) for t in d.tasks for i in t.overdue_refs)
        returned = tuple(Ref("report", i) for t in d.tasks for i in t.returned_refs)
        terms = [Term("base", "基础分", 100.0)]
        if overdue:
            terms.append(
                Term(
                    "overdue",
                    "逾期",
                    -5.0 * len(overdue),
                    f"{len(overdue)} × 5",
                    count=len(overdue),
                    refs=overdue,
                )
            )
        if returned:
            terms.append(
                Term(
                    "returned",
                    "退办",
                    -4.0 * len(returned),
                    f"{len(returned)} × 4",
                    count=len(returned),
                    refs=returned,
                )
            )
        score = points(sum(t.points for t in terms))
        out.append(
            DepartmentScore(d.agency, d.jurisdiction, score, grade(score, config["grades"]), tuple(terms))
        )
    return out


yunnan = SimpleNamespace(
    duban_register_scoring_schemes=hookimpl(
        lambda: [ScoringSchemeSpec(name="yunnan", title="云南省考核办法（示例）", compute=yunnan_compute)]
    )
)


# --------------------------------------------------------------------------- broken plugins


def _raise_on_register() -> list[ScoringSchemeSpec]:
    raise RuntimeError("方案配置文件缺失")


broken_register = SimpleNamespace(duban_register_scoring_schemes=hookimpl(_raise_on_register))


def _explode(facts: Sequence[DepartmentFacts], config: Mapping[str, Any]) -> list[DepartmentScore]:
    raise ZeroDivisionError("division by zero")


broken_compute = SimpleNamespace(
    duban_register_scoring_schemes=hookimpl(
        lambda: [ScoringSchemeSpec(name="broken", title="坏方案", compute=_explode)]
    )
)
