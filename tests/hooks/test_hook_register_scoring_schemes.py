"""duban_register_scoring_schemes: ``duban assess --scheme NAME`` scores with the plugin's scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hooks.conftest import JIAOYU, Site, make_world

SCHEME = """
from duban.plugin import DepartmentScore, ScoringSchemeSpec, Term, grade, hookimpl, points


def compute(facts, config):
    out = []
    for d in facts:
        terms = [Term("base", "基础分", 100.0)]
        if d.due:
            terms.append(Term("due", "应报节点", -1.0 * d.due, f"{d.due} × 1", count=d.due))
        score = points(sum(t.points for t in terms))
        out.append(DepartmentScore(d.agency, d.jurisdiction, score, grade(score, config["grades"]), tuple(terms)))
    return out


@hookimpl
def duban_register_scoring_schemes():
    return [ScoringSchemeSpec(name="count_due", title="应报计数法（测试）", compute=compute)]
"""


def test_hook_register_scoring_schemes(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("scoring_count_due", SCHEME)
    world = make_world(tmp_path)

    code, out, err = world.run("assess", "schemes", "--json")
    assert code == 0, err
    assert "count_due" in [s["name"] for s in json.loads(out)["schemes"]]

    args = ("assess", "--period", "2026-H1", "--as-of", "2026-07-15", "--scheme", "count_due")
    code, out, err = world.run(*args, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["scheme_title"] == "应报计数法（测试）"
    [jiaoyu] = [d for d in result["departments"] if d["agency"] == "jiaoyu"]
    assert jiaoyu["score"] == 99.0
    assert [t["label"] for t in jiaoyu["terms"]] == ["基础分", "应报节点"]

    code, out, err = world.run(*args)
    assert code == 0 and "应报计数法（测试）" in out


@pytest.mark.departments
def test_an_unknown_scheme_lists_the_installed_ones(site: Site, tmp_path: Path) -> None:
    site.install("scoring_count_due", SCHEME)
    world = make_world(tmp_path, agency="minzheng")
    code, _out, err = world.run("assess", "--period", "2026-H1", "--scheme", "count_du")
    assert code == 7 and "count_due" in err
