"""duban assess through the CLI: ranking, explanation, schemes, faults, exports, freeze and show."""

from __future__ import annotations

import csv
import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from duban.cli.main import cli
from duban.plugin_host import PluginHost
from duban.storage.db import make_engine, session_factory
from tests.assessment.plugins import broken_register, yunnan
from tests.assessment.scenario import World, build_world


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, World]:
    original = PluginHost.load

    def load(cls: type[PluginHost], **kwargs: object) -> PluginHost:
        host = original(**kwargs)  # type: ignore[arg-type]
        host.register(yunnan, "scoring_yunnan")
        host.register(broken_register, "scoring_broken")
        return host

    monkeypatch.setattr(PluginHost, "load", classmethod(load))
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        w = build_world(session, PluginHost.load())
    engine.dispose()
    config = tmp_path / "duban.toml"
    # the hand-computed scenario is the old scheme's (scenario.py); test_assess_e2e.py drives the default
    config.write_text(
        f'[scoring]\nscheme = "legacy"\n\n[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8"
    )
    return db_url, config, w


def run(world, *args: str, config: Path | None = None) -> tuple[int, str, str]:
    db_url, default_config, _ = world
    result = CliRunner().invoke(
        cli, ["--db", db_url, "--config", str(config or default_config), *args], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_ranking_with_grades_and_explanation(world) -> None:
    code, out, err = run(world, "assess", "--period", "2026-H1", "--jurisdiction", "530000")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line[:1].isdigit()]
    assert [line.split()[1:5] for line in lines] == [
        ["司法", "云南省", "100.00", "优秀"],
        ["民政", "云南省", "89.50", "良好"],
        ["妇联", "云南省", "80.45", "良好"],
        ["公安", "云南省", "70.00", "合格"],
        ["财政", "云南省", "50.00", "不合格"],
    ]
    assert (
        "scoring_broken" in err and "方案配置文件缺失" in err
    )  # the broken plugin is named, the default ran
    code, out, _ = run(world, "assess", "--period", "2026-H1", "--explain")
    assert "报送被退回（退办）" in out and "缺少台账人数" in out and "单项任务扣分封顶 20 分" in out
    code, out, _ = run(world, "assess", "--period", "2026-H1", "--json")
    data = json.loads(out)
    assert data["departments"][1]["agency"] == "minzheng" and data["evidence"]


def test_department_user_sees_own_breakdown_only(world) -> None:
    code, out, err = run(world, "--as", "mz", "assess", "--period", "2026-H1")
    assert code == 0, err
    assert "民政" in out and "司法" not in out and "妇联" not in out
    assert "第 2 名 / 共 5 个部门" in out and "逾期报送" in out  # the breakdown is shown without --explain
    code, _out, err = run(world, "--as", "mz", "assess", "--period", "2026-H1", "--freeze")
    assert code == 8 and "协调人" in err


def test_scheme_option_weight_config_and_errors(world, tmp_path: Path) -> None:
    code, out, err = run(world, "assess", "--period", "2026-H1", "--scheme", "yunnan", "--json")
    assert code == 0, err
    assert {d["agency"]: d["score"] for d in json.loads(out)["departments"]}["minzheng"] == 91.0
    heavier = tmp_path / "heavier.toml"
    heavier.write_text(
        world[1].read_text(encoding="utf-8") + "\n[scoring.legacy]\nreturned_each = 5\n", encoding="utf-8"
    )
    code, out, err = run(world, "assess", "--period", "2026-H1", "--json", config=heavier)
    assert code == 0, err
    assert {d["agency"]: d["score"] for d in json.loads(out)["departments"]}["minzheng"] == 86.5
    code, _out, err = run(world, "assess", "--period", "2026-H1", "--scheme", "nope")
    assert code == 7 and "可用的方案" in err and "方案配置文件缺失" in err
    code, _out, err = run(world, "assess", "--period", "2026-H7")
    assert code == 9 and "2025-H1" in err
    code, _out, err = run(world, "assess")
    assert code == 2 and "--period" in err


def test_exports(world, tmp_path: Path) -> None:
    xlsx, md, csv_path = tmp_path / "考核.xlsx", tmp_path / "考核.md", tmp_path / "考核.csv"
    for fmt, path in (("xlsx", xlsx), ("md", md), ("csv", csv_path)):
        code, out, err = run(world, "assess", "--period", "2026-H1", "--export", fmt, "-o", str(path))
        assert code == 0 and "已导出" in out, err
    wb = load_workbook(xlsx)
    assert wb.sheetnames == [
        "考核得分",
        "得分构成",
        "扣分依据",
        "图表",
    ]  # 图表: the charts (docs/assessment.md)
    scores = [[c.value for c in row] for row in wb["考核得分"].iter_rows()]
    assert scores[0][:5] == ["名次", "部门", "辖区", "得分", "等次"]
    assert [r[1:5] for r in scores[1:]] == [
        ["司法", "云南省", 100, "优秀"],
        ["民政", "云南省", 89.5, "良好"],
        ["妇联", "云南省", 80.45, "良好"],
        ["公安", "云南省", 70, "合格"],
        ["财政", "云南省", 50, "不合格"],
    ]
    evidence = [[c.value for c in row] for row in wb["扣分依据"].iter_rows()]
    assert evidence[0][:4] == ["部门", "辖区", "扣分项", "依据"]
    assert ["民政", "云南省", "报送被退回"] in [r[:3] for r in evidence]
    assert wb["考核得分"].print_title_rows == "$1:$1" and wb["考核得分"].page_setup.orientation == "landscape"
    text = md.read_text(encoding="utf-8")
    assert "| 名次 | 部门 | 辖区 | 得分 | 等次 |" in text and "| 2 | 民政 | 云南省 | 89.5 | 良好 |" in text
    assert "## 扣分依据" in text
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:5] == ["名次", "部门", "辖区", "得分", "等次"]
    assert [r[1] for r in rows[1:]] == ["司法", "民政", "妇联", "公安", "财政"]
    code, _out, err = run(world, "assess", "--period", "2026-H1", "--export", "pdf")
    assert code == 7 and "可用的格式" in err and all(name in err for name in ("xlsx", "md", "csv"))


def test_freeze_then_show_reproduces_it_after_a_report_changes(world) -> None:
    s = world[2].s
    code, out, err = run(world, "assess", "--period", "2026-H1", "--freeze", "--json")
    assert code == 0, err
    frozen = json.loads(out)
    fid = frozen["frozen"]["id"]
    code, out, _ = run(world, "audit", "log", "--json")
    assert any(
        e["action"] == "assessment.freeze" and e["after"]["sha256"] == frozen["frozen"]["sha256"]
        for e in json.loads(out)["items"]
    )
    code, _out, err = run(
        world,
        "--as",
        "mz",
        "report",
        "submit",
        str(s.r_mz.id),
        "--milestone",
        str(s.m2.id),
        "--text",
        "更正：补充台账人数",
    )
    assert code == 0, err
    code, out, _ = run(world, "assess", "show", str(fid), "--json")
    assert json.loads(out) == frozen
    code, out, _ = run(world, "assess", "show", str(fid))
    assert f"已冻结 #{fid}" in out and "89.50" in out
    code, out, _ = run(world, "assess", "list")
    assert f"#{fid}" in out and "2026-H1" in out
    code, out, _ = run(world, "audit", "verify")
    assert code == 0
