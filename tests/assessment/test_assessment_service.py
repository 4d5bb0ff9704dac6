"""考核 through the service, on SQLite and PostgreSQL, against the hand-computed scenario (see scenario.py)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from duban.config import shipped_defaults
from duban.domain.scoring import Ref
from duban.errors import NotFoundError, PermissionDenied, PluginError, ValidationError
from duban.plugin_host import PluginHost
from duban.services import assessment
from duban.services.assessment import Assessment, TamperedError
from duban.services.assessment_results import AssessmentResult, DepartmentResult
from duban.services.reports import submit_report
from duban.storage.models import AuditEvent
from tests.assessment.plugins import broken_compute, broken_register, yunnan
from tests.assessment.scenario import EXPECTED, World, build_world
from tests.services.workflow_scenario import COORD, FL, MZ, VIEWER, at


def config(**default: float) -> dict[str, Any]:
    cfg = copy.deepcopy(shipped_defaults()["scoring"])
    cfg["legacy"].update(default)
    return cfg


def run(session: Session, host: PluginHost, **kwargs: Any) -> AssessmentResult:
    kwargs.setdefault("config", config())
    kwargs.setdefault("actor", COORD)
    kwargs.setdefault("scheme", "legacy")  # the hand-computed scenario is the old scheme's (scenario.py)
    return assessment.assess(session, host=host, period=kwargs.pop("period", "2026-H1"), **kwargs)


def by_agency(result: AssessmentResult) -> dict[str, DepartmentResult]:
    return {d.agency: d for d in result.departments}


@pytest.fixture
def world(session: Session, scoring_host: PluginHost) -> World:
    return build_world(session, scoring_host)


def test_hand_computed_scores_and_grades(session: Session, scoring_host: PluginHost, world: World) -> None:
    result = run(session, scoring_host)
    got = {d.agency: (d.rank, d.score, d.grade) for d in result.departments}
    assert got == EXPECTED
    assert [d.agency for d in result.departments] == [
        "sifa",
        "minzheng",
        "fulian",
        "gongan",
        "caizheng",
    ]
    mz = by_agency(result)["minzheng"]
    # 100 − 2.5 (on time 3/4) − 2 (overdue 1 + 10 days × 0.1) − 2 (returned) − 3 (red) − 1 (error) = 89.5
    terms = {t.code: t for t in mz.terms}
    assert {c: t.points for c, t in terms.items()} == {
        "base": 100.0,
        "on_time": -2.5,
        "overdue": -2.0,
        "returned": -2.0,
        "red": -3.0,
        "error": -1.0,
    }
    assert sum(t.points for t in mz.terms) == pytest.approx(mz.score)
    assert (mz.due, mz.on_time, mz.on_time_rate) == (4, 3, 0.75)


def test_every_term_points_to_its_rows(session: Session, scoring_host: PluginHost, world: World) -> None:
    s = world.s
    result = run(session, scoring_host)
    mz = {t.code: t for t in by_agency(result)["minzheng"].terms}
    assert mz["overdue"].refs == (Ref("milestone", s.m1.id),)
    assert mz["overdue"].formula == "(1 个 × 1 + 10 天 × 0.1) × 牵头权重 1"
    assert mz["returned"].refs == (Ref("report", world.returned_report),)
    assert mz["red"].refs == (Ref("milestone", s.m2.id),)
    assert mz["error"].refs == (Ref("finding", world.error_finding),)
    # the extended milestone m4 (due 02-24, approved to 03-10, reported 03-05) is on time: no ref to it
    assert all(r.id != s.m4.id for t in mz.values() for r in t.refs if r.kind == "milestone")
    # each ref has an evidence row saying why
    evidence = {(e.kind, e.ref_id): e for e in result.evidence if e.agency == "minzheng"}
    assert evidence[("overdue", s.m1.id)].days_late == 10
    assert "缺少台账人数" in evidence[("returned", world.returned_report)].detail
    assert "被退回" in evidence[("red", s.m2.id)].detail
    assert "低收入" in evidence[("error", world.error_finding)].detail
    # 公安: 17.6 + 3 = 20.6 on task 四, capped at 20 → 0.6 given back
    ga = {t.code: t for t in by_agency(result)["gongan"].terms}
    assert ga["overdue"].points == -17.6 and ga["cap"].points == 0.6
    # 妇联 supports: (1 + 151 × 0.1) × 0.5 = 8.05 and 3 × 0.5 = 1.5
    fl = {t.code: t for t in by_agency(result)["fulian"].terms}
    assert (fl["overdue"].points, fl["red"].points) == (-8.05, -1.5)


def test_changing_a_weight_in_config_changes_the_result(
    session: Session, scoring_host: PluginHost, world: World
) -> None:
    result = by_agency(run(session, scoring_host, config=config(returned_each=5.0, weight_support=1.0)))
    # 民政: returned 1 × 5 instead of 2 → 100 − 2.5 − (2 + 5 + 3 + 1) = 86.5
    assert (result["minzheng"].score, result["minzheng"].grade) == (86.5, "良好")
    # 妇联 weighs as a lead now: 100 − 10 − (16.1 + 3) = 70.9 → 合格
    assert (result["fulian"].score, result["fulian"].grade) == (70.9, "合格")
    # a partial table is read over the shipped defaults (the defaults file is the schema)
    partial = by_agency(run(session, scoring_host, config={"legacy": {"returned_each": 5}}))
    assert partial["minzheng"].score == 86.5 and partial["fulian"].score == 80.45
    cfg = config()
    cfg["grades"]["good"] = 90.0  # 良好 needs 90 now: 民政 89.5 → 合格
    assert by_agency(run(session, scoring_host, config=cfg))["minzheng"].grade == "合格"


def test_period_and_as_of(session: Session, scoring_host: PluginHost, world: World) -> None:
    # Q1 as of 03-31: 民政 m1 late (10 days), m4 on time (extended), m2 (03-31) reported 03-20 but returned;
    # m6 (05-29) is outside the quarter. Due 3, on time 2.
    q1 = by_agency(run(session, scoring_host, period="2026-Q1"))
    assert (q1["minzheng"].due, q1["minzheng"].on_time) == (3, 2)
    # as of 02-01: m1 (01-30) unreported 2 days; m2, m4 not yet due and not reported → pending
    early = by_agency(run(session, scoring_host, period="2026-Q1", as_of=dt.date(2026, 2, 1)))
    mz = {t.code: t for t in early["minzheng"].terms}
    assert early["minzheng"].due == 1 and early["minzheng"].pending == 2
    assert mz["overdue"].formula.startswith("(1 个 × 1 + 2 天")
    assert "returned" not in mz and "error" not in mz  # the error finding came on 02-09
    assert run(session, scoring_host, period="2027").departments == ()

    with pytest.raises(ValidationError, match="2025-H1"):
        run(session, scoring_host, period="2026-Q5")


def test_department_users_see_only_their_own_agency(
    session: Session, scoring_host: PluginHost, world: World
) -> None:
    result = run(session, scoring_host, actor=MZ)
    assert [d.agency for d in result.departments] == ["minzheng"]
    assert result.departments[0].rank == 2 and result.departments_total == 5
    assert {e.agency for e in result.evidence} == {"minzheng"}
    assert [d.agency for d in run(session, scoring_host, actor=FL).departments] == ["fulian"]
    assert len(run(session, scoring_host, actor=VIEWER).departments) == 5
    with pytest.raises(PermissionDenied):
        assessment.freeze(session, actor=MZ, host=scoring_host, period="2026-H1", config=config())


def test_another_scheme_plugs_in_through_the_same_hook(
    session: Session, scoring_host: PluginHost, world: World
) -> None:
    scoring_host.register(yunnan, "scoring_yunnan")
    result = run(session, scoring_host, scheme="yunnan")
    assert result.scheme == "yunnan" and result.scheme_title == "云南省考核办法（示例）"
    # 民政: 100 − 5 × 1 overdue − 4 × 1 returned = 91; 财政: 100 − 5 × 2 = 90
    got = {d.agency: d.score for d in result.departments}
    assert got == {"sifa": 100.0, "minzheng": 91.0, "caizheng": 90.0, "fulian": 95.0, "gongan": 95.0}
    cfg = config()
    cfg["scheme"] = "yunnan"  # scoring.scheme picks it without --scheme
    assert run(session, scoring_host, config=cfg, scheme=None).scheme == "yunnan"
    with pytest.raises(NotFoundError, match="可用的方案：default、legacy、yunnan"):
        run(session, scoring_host, scheme="shandong")


def test_a_broken_scheme_plugin_is_reported_and_the_default_still_runs(
    session: Session, scoring_host: PluginHost, world: World
) -> None:
    scoring_host.register(broken_register, "scoring_broken_register")
    scoring_host.register(broken_compute, "scoring_broken_compute")
    result = run(session, scoring_host)
    assert {d.agency: d.score for d in result.departments}["minzheng"] == 89.5
    faults = [(f.plugin, f.stage) for f in scoring_host.faults]
    assert ("scoring_broken_register", "duban_register_scoring_schemes") in faults
    assert any("方案配置文件缺失" in f for f in assessment.scheme_faults(scoring_host))
    with pytest.raises(PluginError, match="考核方案 broken 计算出错：ZeroDivisionError"):
        run(session, scoring_host, scheme="broken")


def test_a_frozen_result_does_not_move_when_a_report_changes(
    session: Session, scoring_host: PluginHost, world: World
) -> None:
    s = world.s
    frozen_id, frozen = assessment.freeze(
        session, actor=COORD, host=scoring_host, period="2026-H1", config=config(), scheme="legacy"
    )
    session.commit()
    event = session.query(AuditEvent).filter_by(action="assessment.freeze").one()
    assert event.after["sha256"] == frozen.frozen.sha256 and event.entity_id == str(frozen_id)
    # 民政 corrects the returned Q1 report: live, m2 is no longer red → 89.5 + 3 = 92.5 (优秀)
    submit_report(
        session,
        actor=MZ,
        host=scoring_host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m2.id,
        text="更正：补充台账人数",
        **at("2026-04-01"),
    )
    session.commit()
    live = by_agency(run(session, scoring_host))["minzheng"]
    assert (live.score, live.grade) == (92.5, "优秀")
    shown = assessment.show(session, actor=COORD, assessment_id=frozen_id)
    assert by_agency(shown)["minzheng"].score == 89.5
    assert replace(shown, frozen=None) == replace(frozen, frozen=None)  # read back from the stored JSON
    assert shown.frozen.sha256 == frozen.frozen.sha256
    assert [d.agency for d in assessment.show(session, actor=MZ, assessment_id=frozen_id).departments] == [
        "minzheng"
    ]
    assert [r.id for r in assessment.list_frozen(session)] == [frozen_id]
    # editing the stored result behind duban's back is caught
    session.execute(
        update(Assessment).where(Assessment.id == frozen_id).values(result=Assessment.result + " ")
    )
    session.commit()
    with pytest.raises(TamperedError, match="哈希不符"):
        assessment.show(session, actor=COORD, assessment_id=frozen_id)
