"""Where a person reads, the CLI prints names, never agency keys (minzheng) or jurisdiction codes (530000):
省民政厅 at the reader's level, 云南省民政厅 for a department in a jurisdiction, 云南省 for a code. JSON keeps the
keys and codes. 按时率 with nothing due is 不适用. (Issue 18 item 6.)"""

from __future__ import annotations

import getpass
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from tests.services.workflow_scenario import Scenario, build

KEYS = re.compile(r"\b(minzheng|fulian|gongan|sifa)\b|530000")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> tuple[str, Path, Scenario]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        scenario = build(session)
    engine.dispose()
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    return db_url, config, scenario


def run(world, *args: str) -> tuple[int, str, str]:
    db_url, config, _ = world
    result = CliRunner().invoke(cli, ["--db", db_url, "--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_status_overdue_inbox_and_users_print_names(world) -> None:
    code, out, err = run(world, "status", "--as-of", "2026-05-01")
    assert code == 0, err
    assert KEYS.findall(out) == [], out
    assert "省民政厅" in out and "云南省公安厅" in out, out
    code, out, err = run(world, "overdue", "--as-of", "2026-05-01")
    assert code == 0, err
    assert KEYS.findall(out) == [], out
    assert "云南省民政厅" in out and "云南省妇联" in out, out
    code, out, err = run(world, "inbox", "--as-of", "2026-05-01")
    assert code == 0, err
    assert KEYS.findall(out) == [], out
    code, out, err = run(world, "user", "list")
    assert code == 0, err
    assert KEYS.findall(out) == [] and "云南省" in out, out


def test_json_keeps_keys_and_codes(world) -> None:
    code, out, err = run(world, "overdue", "--as-of", "2026-05-01", "--json")
    assert code == 0, err
    items = json.loads(out)["items"]
    assert {i["agency"] for i in items} >= {"minzheng", "fulian"}
    assert {i["jurisdiction"] for i in items} == {"530000"}


def test_no_rate_without_milestones_due(world) -> None:
    code, out, err = run(world, "status", "--as-of", "2026-01-02")  # nothing due yet
    assert code == 0, err
    assert "不适用" in out and "0%" not in out, out
