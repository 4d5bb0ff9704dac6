"""End to end through the CLI, on the demo database: ``duban demo`` → ``duban assess --period 2025 --freeze``
→ ``assess show --explain`` → xlsx export; and the calibration of the default scheme (benchmarks/
calibrate_assessment.py) — score against on-time rate r ≥ 0.8, against workload |r| ≤ 0.3."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from duban.cli.main import cli

# the demo database is built from the 13 department plugins
pytestmark = pytest.mark.departments

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-01-15"


def calibration_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "calibrate_assessment", ROOT / "benchmarks" / "calibrate_assessment.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    code, _out, err = run(db, "demo", "--db", str(db), "--no-open", "--today", TODAY)
    assert code == 0, err
    return db


@pytest.mark.slow
def test_cli_assess_show_and_xlsx_carry_the_same_checkable_lines(demo_db: Path, tmp_path: Path) -> None:
    code, out, err = run(demo_db, "assess", "--period", "2025", "--freeze", "--json")
    assert code == 0, err
    frozen = json.loads(out)
    assert frozen["scheme"] == "default"
    fid = str(frozen["frozen"]["id"])
    code, shown, err = run(demo_db, "assess", "show", fid, "--explain")
    assert code == 0, err
    lines = [line[2:] for line in shown.splitlines() if line.startswith("  ") and line[2] != " "]
    # a deduction line names the rule, the policy and task number (uncut), the milestone and the number
    pattern = re.compile(
        r"^未按时报送｜任务 (?P<policy>\S+〔\d{4}〕\d+号) (?P<number>\S+)（(牵头|配合|共同负责)）"
        r"｜节点 (?P<period>\S+)（到期 \d{4}-\d{2}-\d{2}.*?）｜50 分 × .+｜依据 节点#\d+｜-\d+\.\d{2} 分$"
    )
    matches = [m for line in lines if (m := pattern.match(line))]
    assert matches, "\n".join(lines[:20])
    xlsx = tmp_path / "考核.xlsx"
    code, out, err = run(demo_db, "assess", "show", fid, "--export", "xlsx", "-o", str(xlsx))
    assert code == 0 and "已导出" in out, err
    sheet = load_workbook(xlsx)["得分构成"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    column = header.index("说明")
    in_xlsx = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert in_xlsx == lines  # the same lines, in the same order
    # a department user sees only its own lines
    code, mine, err = run(demo_db, "--as", "minzheng_530000", "assess", "show", fid)
    assert code == 0, err
    table = [line.split() for line in mine.splitlines() if line[:1].isdigit()]
    assert table and all(row[1:3] == ["民政", "云南省"] for row in table)
    assert "吉林省" not in mine and "妇联" not in mine


@pytest.mark.slow
def test_old_scheme_stays_selectable_by_name(demo_db: Path) -> None:
    code, out, err = run(demo_db, "assess", "--period", "2025", "--scheme", "legacy", "--json")
    assert code == 0, err
    assert json.loads(out)["scheme"] == "legacy"


@pytest.mark.slow
def test_calibration_on_the_demo_database() -> None:
    cal = calibration_module().calibrate(scheme="default", period="2025")
    assert len(cal.rows) >= 20
    assert cal.r_on_time >= 0.8, cal
    assert abs(cal.r_workload) <= 0.3, cal
