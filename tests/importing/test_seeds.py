"""The parser's contract: every seed document parses to its hand-checked answer in expected/*.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.importing import ParsedPolicy, parse_policy, to_json_dict

from .conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))
META_FIELDS = ("doc_number", "title", "jurisdiction", "level", "status", "implements")


def _expected(seed: Path) -> dict:
    return json.loads((SEEDS / "expected" / f"{seed.stem}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(registry: AgencyRegistry) -> dict[str, ParsedPolicy]:
    return {p.name: parse_policy(p.read_text(encoding="utf-8"), registry, source=p.name) for p in SEED_FILES}


def test_all_five_seeds_are_here() -> None:
    assert len(SEED_FILES) == 5


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem)
def test_metadata(seed: Path, parsed: dict[str, ParsedPolicy]) -> None:
    expected, got = _expected(seed), parsed[seed.name]
    for name in META_FIELDS:
        assert getattr(got, name) == expected[name], name
    assert (got.issued.isoformat() if got.issued else None) == expected["issued"]
    assert list(got.issuers) == expected["issuers"]
    if "comment_deadline" in expected:
        assert got.comment_deadline is not None
        assert got.comment_deadline.isoformat() == expected["comment_deadline"]


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem)
def test_tasks(seed: Path, parsed: dict[str, ParsedPolicy]) -> None:
    expected, got = _expected(seed), parsed[seed.name]
    assert [t.number for t in got.tasks] == [t["number"] for t in expected["tasks"]]
    for want, task in zip(expected["tasks"], got.tasks, strict=True):
        where = f"task {task.section or ''}/{task.number}"
        if "section" in want:
            assert task.section == want["section"], where
        assert task.text.startswith(want["text_start"]), where
        for role in ("lead", "support", "joint"):
            agencies = {r.agency for r in task.responsibilities if r.role == role}
            assert agencies == set(want[role]), f"{where} {role}"
        assert all(r.agency for r in task.responsibilities), where


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem)
def test_schedule_hints_recorded_in_expected(seed: Path, parsed: dict[str, ParsedPolicy]) -> None:
    for want, task in zip(_expected(seed)["tasks"], parsed[seed.name].tasks, strict=True):
        schedule = want.get("schedule")
        if not schedule:
            continue
        rules = [h["rule"] for h in task.schedule_hints]
        if "holidays" in schedule:
            assert rules == [f"holiday {name}" for name in schedule["holidays"]]
        if "due" in schedule:
            assert f"once {schedule['due']}" in rules
        if schedule.get("recurrence") == "yearly":
            # an annual plan is due early in the year it plans, other yearly duties at the year's end
            assert ("yearly 01-31" if "计划" in schedule.get("why", "") else "every 12 months") in rules
        elif "recurrence" in schedule:
            assert schedule["recurrence"] in rules


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem)
def test_task_text_has_no_number_and_no_clause(seed: Path, parsed: dict[str, ParsedPolicy]) -> None:
    for task in parsed[seed.name].tasks:
        assert not task.text.startswith(("（", "(", task.number + "、"))
        assert not task.text.rstrip("。").endswith(("负责）", "负责)", "负责"))


def test_warnings_name_a_line_and_are_chinese(parsed: dict[str, ParsedPolicy]) -> None:
    draft = parsed["004_1692d70bd32bb6db.txt"]
    messages = [w.message for w in draft.warnings]
    assert any("文号" in m for m in messages)  # no doc number in a draft: reported, not guessed
    assert any("逗号" in m and w.line == 57 for w, m in zip(draft.warnings, messages, strict=True))
    assert any("2020-05-10" in m for m in messages)  # 2020510日 read as 2020-05-10, and said so
    for policy in parsed.values():
        for warning in policy.warnings:
            assert warning.line is None or warning.line >= 1
            assert any("\u4e00" <= ch <= "\u9fff" for ch in warning.message)


def test_clean_national_seed_has_no_warnings(parsed: dict[str, ParsedPolicy]) -> None:
    assert parsed["001_007993ffda9a68ac.txt"].warnings == ()


def test_json_shape(parsed: dict[str, ParsedPolicy]) -> None:
    data = to_json_dict(parsed["003_206813141252fb57.txt"])
    assert set(data) == {"policy", "tasks", "warnings", "source"}
    assert data["source"] is None  # a parse made from text; duban import fills it with name and sha256
    assert set(data["policy"]) == {
        "doc_number",
        "title",
        "issuers",
        "jurisdiction",
        "level",
        "issued",
        "status",
        "implements",
    }
    assert data["policy"]["issued"] == "2025-03-27"
    task = data["tasks"][0]
    assert set(task) == {"section", "number", "text", "responsibilities", "schedule_hints", "line", "doubts"}
    assert task["section"] == "03" and task["number"] == "一"
    assert task["responsibilities"][0] == {
        "name": "公安部",
        "agency": "gongan",
        "role": "joint",
        "party": "agency",
    }
    assert task["schedule_hints"] == [
        {"kind": "recurrence", "rule": "every 6 months", "why": "至少每半年更新一次"}
    ]
    assert data["warnings"] == [{"line": None, "message": data["warnings"][0]["message"]}]
    json.dumps(data, ensure_ascii=False)  # serialisable as is
