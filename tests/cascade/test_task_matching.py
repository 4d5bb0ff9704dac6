"""The matcher against hand labels (tests/cascade/labels.json): Yunnan and Jilin onto 民发〔2019〕86号."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duban.domain.task_matching import MatchTask, propose
from duban.plugin_host import PluginHost
from duban.services.importing import parse_file

HERE = Path(__file__).parent
SEEDS = HERE.parents[0] / "fixtures" / "seeds"
LABELS = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))


def _tasks(host: PluginHost, seed: str) -> list[MatchTask]:
    parsed, _ = parse_file(SEEDS / seed, host=host)
    out = []
    for i, t in enumerate(parsed.tasks, start=1):
        ident = f"{t.section}.{t.number}" if t.section else t.number
        out.append(
            MatchTask(ident, ident, t.text, frozenset(r.agency or r.name for r in t.responsibilities), i)
        )
    return out


def accuracy(host: PluginHost) -> tuple[float, float, list[str]]:
    """Share of child tasks whose proposed parent set equals the label (right without correction), the
    share whose best proposal is among the labelled parents, and the misses."""
    parents = _tasks(host, LABELS["parent"]["seed"])
    right = top1 = total = 0
    misses = []
    for child in LABELS["children"]:
        tasks = _tasks(host, child["seed"])
        assert sorted(t.ident for t in tasks) == sorted(child["links"]), "labels cover every task"
        for proposal in propose(tasks, parents):
            want = child["links"][proposal.ident]
            got = [c.ident for c in proposal.parents]
            total += 1
            right += sorted(got) == sorted(want)
            top1 += bool(got) and got[0] in want
            if sorted(got) != sorted(want):
                misses.append(f"{child['doc_number']} {proposal.ident}: {got} ≠ {want}")
    return right / total, top1 / total, misses


def test_mapping_accuracy_on_the_seeds_is_at_least_90_percent(host: PluginHost) -> None:
    exact, top1, misses = accuracy(host)
    print(f"exact {exact:.3f} top-1 {top1:.3f} misses {misses}")
    assert exact >= 0.9, misses
    assert top1 >= exact


def test_labels_name_only_real_national_tasks(host: PluginHost) -> None:
    national = {t.ident for t in _tasks(host, LABELS["parent"]["seed"])}
    for child in LABELS["children"]:
        for parents in child["links"].values():
            assert set(parents) <= national


def test_a_merge_proposes_both_parents_and_reordering_does_not_matter(host: PluginHost) -> None:
    parents = _tasks(host, LABELS["parent"]["seed"])
    yunnan = {p.ident: p for p in propose(_tasks(host, "000_ec88c21d93956c79.txt"), parents)}
    assert {c.ident for c in yunnan["四"].parents} == {"三", "四"}
    assert {c.ident for c in yunnan["十六"].parents} == {"十六", "十七"}
    jilin = {p.ident: p for p in propose(_tasks(host, "002_09c426360c691ab7.txt"), parents)}
    assert [c.ident for c in jilin["三.二十"].parents] == ["一"]  # moved to the last section
    assert all(0 < p.confidence <= 1 for p in jilin.values())


def test_an_unrelated_task_gets_no_parent() -> None:
    parents = [
        MatchTask(1, "一", "加大职业技能培训力度，培养农村留守妇女中的技术能手", frozenset({"renshe"}), 1),
        MatchTask(2, "二", "为适龄农村留守妇女免费进行“两癌”筛查", frozenset({"weijian"}), 2),
    ]
    child = [
        MatchTask(
            9,
            "一",
            "将关爱服务工作纳入我省妇女和儿童发展规划，定期调度工作情况",
            frozenset({"fuergongwei"}),
            1,
        )
    ]
    [proposal] = propose(child, parents)
    assert proposal.parents == () and proposal.candidates


@pytest.mark.parametrize("text", ["", "（）"])
def test_empty_texts_do_not_crash(text: str) -> None:
    [proposal] = propose([MatchTask(1, "一", text)], [MatchTask(2, "一", text)])
    assert proposal.confidence <= 1
