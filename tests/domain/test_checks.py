"""Each reusable check fires on a crafted bad input and stays quiet on a good one."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.domain.checks import (
    check_flag,
    check_indicators,
    check_ledger_stale,
    check_no_personal_data,
    check_silent_supporter,
)
from duban.hookspecs import IndicatorSpec, MilestoneState, ReportContext, ResponsibilityContext

SPECS = {
    "m.total": IndicatorSpec("m.total", "台账人数", unit="人", required=True),
    "m.low": IndicatorSpec("m.low", "其中低收入", unit="人", part_of="m.total"),
    "m.rate": IndicatorSpec("m.rate", "覆盖率", type="float", minimum=10),
    "m.done": IndicatorSpec("m.done", "已录入系统", type="bool", required=True),
    "m.on": IndicatorSpec("m.on", "更新日期", type="date"),
    "m.note": IndicatorSpec("m.note", "说明", type="text"),
}
GOOD = {"m.total": 120, "m.low": 30, "m.rate": 12.5, "m.done": True, "m.on": "2025-06-30", "m.note": "已完成"}


def report(values: dict, **kw) -> ReportContext:
    return ReportContext(
        agency="minzheng", template="m.ledger", indicators=values, indicator_specs=SPECS, **kw
    )


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_good_report_is_quiet() -> None:
    assert check_indicators(report(GOOD)) == []
    assert check_indicators(report({**GOOD, "m.on": dt.date(2025, 6, 30), "m.low": None})) == []


@pytest.mark.parametrize(
    ("change", "code", "indicator"),
    [
        ({"m.total": None}, "indicator.missing", "m.total"),
        ({"m.total": "  "}, "indicator.missing", "m.total"),
        ({"m.done": None}, "indicator.missing", "m.done"),
        ({"m.total": -3}, "indicator.negative", "m.total"),
        ({"m.rate": 5.0}, "indicator.below_minimum", "m.rate"),
        ({"m.low": 121}, "indicator.part_exceeds_whole", "m.low"),
        ({"m.total": "一百二十"}, "indicator.type", "m.total"),
        ({"m.total": 12.5}, "indicator.type", "m.total"),
        ({"m.total": True}, "indicator.type", "m.total"),
        ({"m.done": "是"}, "indicator.type", "m.done"),
        ({"m.on": "2025-13-40"}, "indicator.type", "m.on"),
        ({"m.note": 5}, "indicator.type", "m.note"),
        ({"m.rate": float("nan")}, "indicator.type", "m.rate"),
    ],
)
def test_bad_indicator_is_an_error(change: dict, code: str, indicator: str) -> None:
    findings = check_indicators(report({**GOOD, **change}))
    assert codes(findings) == [code]
    assert findings[0].severity == "error" and findings[0].indicator == indicator
    assert any("\u4e00" <= ch <= "\u9fff" for ch in findings[0].message)


def test_part_of_a_broken_whole_is_not_double_reported() -> None:
    assert codes(check_indicators(report({**GOOD, "m.total": -1, "m.low": 5}))) == ["indicator.negative"]


def test_unknown_and_expected_indicators() -> None:
    findings = check_indicators(report({**GOOD, "x.extra": 3}))
    assert [(f.code, f.severity) for f in findings] == [("indicator.unknown", "warning")]
    # only the template's indicators are checked when ``expected`` is given
    assert codes(check_indicators(report({"m.done": True}), expected=["m.done"])) == []
    assert codes(check_indicators(report({"m.done": True}), expected=["m.done", "m.total"])) == [
        "indicator.missing"
    ]


def test_messages_name_the_indicator() -> None:
    (finding,) = check_indicators(report({**GOOD, "m.low": 500}))
    assert "其中低收入" in finding.message and "台账人数" in finding.message and "500人" in finding.message


@pytest.mark.parametrize(
    "text", ["联系人身份证号 110101199003077777", "电话 13912345678", "证件 11010119900307777X"]
)
def test_personal_data_is_refused(text: str) -> None:
    findings = check_no_personal_data(report(GOOD, text=text))
    assert codes(findings) == ["report.personal_data"] and findings[0].severity == "error"


def test_counts_are_not_personal_data() -> None:
    assert (
        check_no_personal_data(report(GOOD, text="本季度更新台账120人，其中低收入30人，经费 1200000 元。"))
        == []
    )


def test_flag() -> None:
    assert codes(check_flag(report({"m.done": False}), "m.done", code="x.flag", message="未录入")) == [
        "x.flag"
    ]
    assert check_flag(report({"m.done": True}), "m.done", code="x.flag", message="未录入") == []
    assert check_flag(report({}), "m.done", code="x.flag", message="未录入") == []


def resp(role="support", as_of=dt.date(2025, 7, 15), milestones=(), last_update=None, template=None):
    return ResponsibilityContext(
        agency="fulian",
        role=role,
        task_text="摸底排查",
        template=template,
        as_of=as_of,
        milestones=tuple(milestones),
        last_update=last_update,
    )


def ms(due: str, reported: str | None) -> MilestoneState:
    return MilestoneState(
        key=due,
        due_date=dt.date.fromisoformat(due),
        reported_on=dt.date.fromisoformat(reported) if reported else None,
    )


def test_stale_ledger() -> None:
    stale = check_ledger_stale(resp(last_update=dt.date(2024, 12, 31), as_of=dt.date(2025, 7, 15)))
    assert [(f.code, f.severity) for f in stale] == [("ledger.stale", "warning")]
    assert "2024-12-31" in stale[0].message
    assert check_ledger_stale(resp(last_update=dt.date(2025, 1, 20), as_of=dt.date(2025, 7, 15))) == []
    assert check_ledger_stale(resp(last_update=dt.date(2025, 1, 15), as_of=dt.date(2025, 7, 15))) == []


def test_ledger_never_updated() -> None:
    due = [ms("2025-06-30", None)]
    assert codes(
        check_ledger_stale(resp(milestones=due, template="m.ledger"), ledger_templates={"m.ledger"})
    ) == ["ledger.stale"]
    # not a ledger responsibility, or nothing due yet: quiet
    assert check_ledger_stale(resp(milestones=due)) == []
    assert (
        check_ledger_stale(
            resp(milestones=[ms("2025-12-31", None)], template="m.ledger"), ledger_templates={"m.ledger"}
        )
        == []
    )


def test_silent_supporter() -> None:
    silent = [
        ms("2025-01-31", "2025-01-20"),
        ms("2025-03-31", None),
        ms("2025-06-30", None),
        ms("2025-09-30", None),
    ]
    findings = check_silent_supporter(resp(milestones=silent))
    assert [(f.code, f.severity) for f in findings] == [("support.silent", "warning")]
    assert "2025-03-31" in findings[0].message and "2025-06-30" in findings[0].message


@pytest.mark.parametrize(
    ("role", "milestones"),
    [
        ("lead", [ms("2025-03-31", None), ms("2025-06-30", None)]),
        ("joint", [ms("2025-03-31", None), ms("2025-06-30", None)]),
        ("support", [ms("2025-03-31", None), ms("2025-06-30", "2025-06-29")]),
        ("support", [ms("2025-03-31", "2025-04-02"), ms("2025-06-30", None)]),
        ("support", [ms("2025-06-30", None)]),
        ("support", [ms("2025-06-30", None), ms("2025-09-30", None)]),  # the second is not due yet
    ],
)
def test_silent_supporter_quiet(role: str, milestones: list[MilestoneState]) -> None:
    assert check_silent_supporter(resp(role=role, milestones=milestones)) == []


def test_report_after_as_of_does_not_count() -> None:
    late = [ms("2025-03-31", None), ms("2025-06-30", "2025-08-01")]
    assert codes(check_silent_supporter(resp(milestones=late))) == ["support.silent"]
