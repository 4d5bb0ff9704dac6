"""A 任务分工 in table form, end to end through the CLI: the same rows as .docx, .xlsx and .html give the same
--dry-run --json, a real import of one of them stores the lead and support units that `duban tasks` shows,
and a table without a responsibility column is refused with a message that names the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from tests.importing import table_files as tf


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


WRITERS = {"docx": tf.write_docx, "xlsx": tf.write_xlsx, "html": tf.write_html}


@pytest.mark.parametrize("suffix", list(WRITERS))
def test_dry_run_json_of_a_table(suffix: str, db_url: str, tmp_path: Path) -> None:
    path = WRITERS[suffix](tmp_path / f"任务分工.{suffix}")
    code, out, err = run(db_url, "import", str(path), "--dry-run", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["policy"]["doc_number"] == "民发〔2030〕5号"
    got = [
        (t["section"], t["number"], t["text"], [(r["agency"], r["role"]) for r in t["responsibilities"]])
        for t in data["tasks"]
    ]
    assert got == [(s, n, text, roles) for s, n, text, roles in tf.EXPECTED]
    assert [h["rule"] for h in data["tasks"][1]["schedule_hints"]] == ["once 2030-12-31"]


def test_import_a_table_and_list_its_tasks(db_url: str, tmp_path: Path) -> None:
    path = tf.write_xlsx(tmp_path / "任务分工.xlsx")
    code, out, err = run(db_url, "import", str(path))
    assert code == 0, err
    assert "已导入" in out
    code, out, err = run(db_url, "tasks", "--policy", "民发〔2030〕5号", "--json")
    assert code == 0, err
    items = json.loads(out)["items"]
    assert [(t["section"], t["number"], t["lead"], t["support"]) for t in items] == [
        ("一", "1", ["minzheng"], ["gongan", "fulian"]),
        ("一", "2", ["renshe"], ["nongye"]),
        ("一", "3", ["renshe"], []),  # the 牵头单位 cell merged down from task 2
        ("二", "4", ["minzheng"], ["caizheng"]),
    ]
    code, out, _ = run(db_url, "tasks", "--policy", "民发〔2030〕5号", "--agency", "renshe", "--role", "lead")
    assert code == 0 and "开展农村留守妇女技能培训" in out and "支持农村留守妇女就业创业" in out


def test_a_table_without_a_responsibility_column_is_named_in_the_error(db_url: str, tmp_path: Path) -> None:
    page = tmp_path / "进度表.html"
    page.write_text(
        "<html><body><p>工作进度表</p><table><tr><th>序号</th><th>重点任务</th><th>完成时限</th></tr>"
        "<tr><td>1</td><td>建立台账</td><td>2030年</td></tr></table></body></html>",
        encoding="utf-8",
    )
    code, _out, err = run(db_url, "import", str(page), "--dry-run")
    assert code == 4
    assert "第 1 张表" in err and "序号、重点任务、完成时限" in err and "牵头单位" in err
