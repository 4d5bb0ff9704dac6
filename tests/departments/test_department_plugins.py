"""The 13 department plugins: entry points load, TOML data is consistent, checks run once and only for their own."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import entry_points

import pluggy
import pytest

from duban.domain.agencies import AgencyRegistry
from duban.hookspecs import (
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    DubanHookSpecs,
    IndicatorSpec,
    MilestoneState,
    ReportContext,
    ResponsibilityContext,
)

pytestmark = pytest.mark.departments  # reads the installed department plugins

KEYS = (
    "minzheng",
    "gongan",
    "sifa",
    "caizheng",
    "renshe",
    "nongye",
    "wenlv",
    "weijian",
    "tiyu",
    "fupin",
    "fuergongwei",
    "fulian",
    "canlian",
)


@pytest.fixture(scope="module")
def pm() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(DubanHookSpecs)
    eps = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for key in KEYS:
        assert eps[key].value == f"duban_{key}:plugin"
        manager.register(eps[key].load(), name=key)
    return manager


@pytest.fixture(scope="module")
def indicators(pm) -> dict[str, IndicatorSpec]:
    return {spec.key: spec for specs in pm.hook.duban_register_indicators() for spec in specs}


@pytest.fixture(scope="module")
def templates(pm):
    return {t.key: t for ts in pm.hook.duban_register_task_templates() for t in ts}


def flat(results) -> list:
    return [item for batch in results for item in batch]


def test_every_plugin_registers_its_agency(pm) -> None:
    agencies = flat(pm.hook.duban_register_agencies())
    assert sorted(a.key for a in agencies) == sorted(KEYS)
    for agency in agencies:
        assert set(agency.names) == {"national", "province", "prefecture", "county"}, agency.key
        assert agency.names["province"].startswith("省"), agency.key


def test_templates_and_indicators_are_consistent(templates, indicators) -> None:
    assert len(templates) >= 30
    for tpl in templates.values():
        owner = tpl.key.split(".")[0]
        assert tpl.agency == owner and owner in KEYS
        assert tpl.schedule and tpl.source and tpl.indicators, tpl.key
        assert all(key in indicators for key in tpl.indicators), tpl.key
        assert any(indicators[k].required for k in tpl.indicators), tpl.key
    for spec in indicators.values():
        assert spec.key.split(".")[0] in KEYS
        if spec.part_of:
            assert indicators[spec.part_of].type == spec.type == "int"


def test_every_agency_has_its_annual_plan(templates) -> None:
    for key in KEYS:
        assert templates[f"{key}.annual_plan"].schedule.startswith("yearly ")


def test_standing_duties_from_the_seeds(templates, indicators) -> None:
    ledger = templates["minzheng.ledger"]
    assert ledger.schedule == "every 6 months"
    assert "minzheng.ledger_in_system" in ledger.indicators
    parts = {
        indicators[k].name for k in ledger.indicators if indicators[k].part_of == "minzheng.ledger_total"
    }
    assert parts == {"其中低收入妇女", "其中重病妇女", "其中残疾妇女", "其中合法权益遭受侵害妇女"}
    holidays = {templates[k].schedule.split()[1] for k in templates if k.startswith("fulian.visit_")}
    assert holidays == {"元旦", "春节", "三八妇女节", "母亲节"}
    assert templates["fupin.poverty_exit"].schedule == "once 2020-12-31"
    for key in (
        "weijian.screening",
        "renshe.training",
        "canlian.rehabilitation",
        "sifa.legal_aid",
        "gongan.crackdown",
    ):
        assert key in templates


def sample_values(template, indicators) -> dict:
    values = {}
    for key in template.indicators:
        spec = indicators[key]
        values[key] = {
            "int": 1 if spec.part_of else 10,
            "float": 2.5,
            "bool": True,
            "text": "已完成",
            "date": "2025-06-30",
        }[spec.type]
    return values


def report_on(template, indicators, values, **kw) -> ReportContext:
    specs = {k: indicators[k] for k in template.indicators}
    return ReportContext(
        agency=template.agency, template=template.key, indicators=values, indicator_specs=specs, **kw
    )


def test_good_reports_pass_every_plugin(pm, templates, indicators) -> None:
    for tpl in templates.values():
        report = report_on(tpl, indicators, sample_values(tpl, indicators), text="已按要求完成。")
        assert flat(pm.hook.duban_check_report(report=report)) == [], tpl.key


def test_bad_reports_are_refused_by_their_own_plugin_once(pm, templates, indicators) -> None:
    for tpl in templates.values():
        values = sample_values(tpl, indicators)
        required = next(k for k in tpl.indicators if indicators[k].required)
        values[required] = None
        findings = flat(pm.hook.duban_check_report(report=report_on(tpl, indicators, values)))
        assert [(f.code, f.indicator) for f in findings] == [("indicator.missing", required)], tpl.key


def test_plugin_falls_back_to_its_own_specs(pm, templates, indicators) -> None:
    tpl = templates["weijian.screening"]
    values = {
        **sample_values(tpl, indicators),
        "weijian.cervical_positive": 50,
        "weijian.breast_screened": -1,
    }
    report = ReportContext(agency="weijian", template=tpl.key, indicators=values)  # host passed no specs
    codes = sorted(f.code for f in flat(pm.hook.duban_check_report(report=report)))
    assert codes == ["indicator.negative", "indicator.part_exceeds_whole"]


def test_a_report_of_another_agency_is_not_checked(pm, templates, indicators) -> None:
    tpl = templates["minzheng.ledger"]
    values = {**sample_values(tpl, indicators), "minzheng.ledger_total": -5}
    report = ReportContext(
        agency="jiaoyu",
        template=tpl.key,
        indicators=values,
        indicator_specs={k: indicators[k] for k in tpl.indicators},
    )
    assert flat(pm.hook.duban_check_report(report=report)) == []


@pytest.mark.parametrize(
    ("template", "change", "code"),
    [
        ("minzheng.ledger", {"minzheng.ledger_in_system": False}, "ledger.not_in_system"),
        ("minzheng.ledger", {"minzheng.ledger_low_income": 11}, "indicator.part_exceeds_whole"),
        (
            "fulian.visit_spring_festival",
            {"fulian.visited": 0, "fulian.visited_hardship": 0},
            "fulian.no_visits",
        ),
        ("gongan.annual_plan", {"gongan.annual_plan_made": False}, "plan.not_made"),
        ("canlian.annual_plan", {"canlian.focal_person_set": False}, "plan.no_focal_person"),
        ("renshe.training", {"renshe.trainees": "三百"}, "indicator.type"),
    ],
)
def test_agency_specific_findings(pm, templates, indicators, template, change, code) -> None:
    tpl = templates[template]
    report = report_on(tpl, indicators, {**sample_values(tpl, indicators), **change})
    assert [f.code for f in flat(pm.hook.duban_check_report(report=report))] == [code]


def test_personal_data_refused(pm, templates, indicators) -> None:
    tpl = templates["minzheng.ledger"]
    report = report_on(
        tpl, indicators, sample_values(tpl, indicators), text="王某，身份证 530102198805061234"
    )
    assert [f.code for f in flat(pm.hook.duban_check_report(report=report))] == ["report.personal_data"]


def milestones(*reported):
    dues = [dt.date(2025, 3, 31), dt.date(2025, 6, 30)]
    return tuple(MilestoneState(str(d), d, r) for d, r in zip(dues, reported, strict=True))


def test_responsibility_checks_run_once(pm) -> None:
    silent = ResponsibilityContext(
        "nongye", "support", "土地承包权益维护", None, dt.date(2025, 7, 15), milestones(None, None)
    )
    assert [f.code for f in flat(pm.hook.duban_check_responsibility(responsibility=silent))] == [
        "support.silent"
    ]
    stale = ResponsibilityContext(
        "minzheng",
        "lead",
        "摸底排查",
        "minzheng.ledger",
        dt.date(2025, 7, 15),
        milestones(dt.date(2025, 1, 5), dt.date(2025, 1, 5)),
        last_update=dt.date(2024, 12, 1),
    )
    assert [f.code for f in flat(pm.hook.duban_check_responsibility(responsibility=stale))] == [
        "ledger.stale"
    ]
    fine = ResponsibilityContext(
        "minzheng",
        "lead",
        "摸底排查",
        "minzheng.ledger",
        dt.date(2025, 7, 15),
        milestones(dt.date(2025, 3, 30), dt.date(2025, 6, 29)),
        last_update=dt.date(2025, 6, 29),
    )
    assert flat(pm.hook.duban_check_responsibility(responsibility=fine)) == []


def test_registry_from_plugins_knows_fupin_succession(pm) -> None:
    registry = AgencyRegistry(flat(pm.hook.duban_register_agencies()))
    assert registry.resolve("国家乡村振兴局") == "fupin"
    assert [registry.successor_on("fupin", dt.date(y, 1, 1)) for y in (2020, 2022, 2024)] == [
        "fupin",
        "fupin",
        "nongye",
    ]
