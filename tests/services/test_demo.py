"""duban demo: a reproducible demo database from the five seeds, and it never overwrites real data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli

TODAY = "2026-03-16"


def demo(tmp_path: Path, name: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        ["demo", "--db", str(tmp_path / name), "--no-open", "--today", TODAY, "--json", *extra],
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.departments
def test_demo_is_reproducible_and_rich(tmp_path: Path) -> None:
    code, out, err = demo(tmp_path, "a.db")
    assert code == 0, err
    first = json.loads(out)
    assert [p["doc_number"] for p in first["policies"]] == [
        "民发〔2019〕86号",
        None,
        "云民发〔2020〕8号",
        "吉民发〔2020〕28号",
        None,
    ]
    assert first["reports"] > 1000 and first["returned"] > 10 and first["extensions"] > 5
    code, out, _ = demo(tmp_path, "b.db")
    second = json.loads(out)
    assert {k: v for k, v in first.items() if k != "path"} == {k: v for k, v in second.items() if k != "path"}

    runner = CliRunner()
    status = json.loads(
        runner.invoke(cli, ["--db", str(tmp_path / "a.db"), "status", "--as-of", TODAY, "--json"]).stdout
    )
    assert status["tasks"]["red"] > 0 and status["tasks"]["green"] > 0
    verify = runner.invoke(cli, ["--db", str(tmp_path / "a.db"), "audit", "verify"])
    assert verify.exit_code == 0, verify.stdout

    code, out, _ = demo(tmp_path, "a.db", "--seed", "7")  # a demo database may be rebuilt
    assert code == 0 and json.loads(out)["reports"] != first["reports"]


def test_demo_refuses_to_overwrite_a_real_database(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    assert CliRunner().invoke(cli, ["--db", str(real), "init"]).exit_code == 0
    size = real.stat().st_size
    code, _out, err = demo(tmp_path, "real.db")
    assert code == 9 and "不是演示数据库" in err
    assert real.stat().st_size == size
    other = tmp_path / "notes.db"
    other.write_text("不是数据库", encoding="utf-8")
    code, _out, err = demo(tmp_path, "notes.db")
    assert code == 9 and other.read_text(encoding="utf-8") == "不是数据库"


@pytest.mark.departments
def test_demo_default_location_is_the_configured_database(tmp_path: Path, isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--no-open", "--today", TODAY], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (isolated_home / "xdg-data" / "duban" / "duban.db").exists()
    assert dt.date.fromisoformat(TODAY).year == 2026
