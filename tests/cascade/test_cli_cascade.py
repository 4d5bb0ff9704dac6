"""duban map / compare / cascade from the command line (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from tests.cascade.conftest import ORDER, SEEDS


@pytest.mark.departments
def test_map_compare_cascade(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    runner = CliRunner()

    def duban(*args: str) -> str:
        result = runner.invoke(cli, ["--db", db, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    duban("init")
    for name in ORDER:
        duban("import", str(SEEDS / name))
    proposed = json.loads(duban("map", "propose", "云民发〔2020〕8号", "--json"))
    first = proposed["tasks"][0]
    assert first["parents"][0]["number"] == "一"
    duban("map", "confirm", str(first["task"]), str(first["parents"][0]["task"]))
    listing = json.loads(duban("map", "list", "云民发〔2020〕8号", "--json"))
    assert listing["tasks"][0]["parents"][0]["confirmed"] is True
    assert "已确认" in duban("map", "list", "云民发〔2020〕8号")

    data = json.loads(duban("compare", "吉民发〔2020〕28号", "民发〔2019〕86号", "--json"))
    assert {"pairs", "unmatched_parent", "unmatched_child", "changed_responsibilities"} <= data.keys()
    assert next(p for p in data["pairs"] if p["number"] == "三.二十")["parent"] == "一"
    assert "分工调整" in duban("compare", "吉民发〔2020〕28号", "2")

    out = duban("cascade", "云民发〔2020〕8号", "--to", "530100", "--down-to", "county")
    assert "15 个辖区" in out
    again = json.loads(
        duban("cascade", "云民发〔2020〕8号", "--to", "530100", "--down-to", "county", "--json")
    )
    assert again["created"] == 0
    bad = runner.invoke(cli, ["--db", db, "cascade", "云民发〔2020〕8号", "--to", "220100"])
    assert bad.exit_code == 9 and "不在政策辖区" in bad.stderr
    task_id = str(first["task"])
    page = json.loads(
        duban("cascade", "云民发〔2020〕8号", "--rollup", task_id, "--as-of", "2020-08-01", "--json")
    )
    rows = page["items"]
    assert rows[0]["jurisdiction"] == "530000" and len(rows) == page["total"] == 16
    rest = json.loads(
        duban(
            "cascade",
            "云民发〔2020〕8号",
            "--rollup",
            task_id,
            "--as-of",
            "2020-08-01",
            "--limit",
            "10",
            "--offset",
            "10",
            "--json",
        )
    )
    assert rest["total"] == 16 and rest["items"] == rows[10:]
