"""The CLI through click's CliRunner: init (twice), db upgrade, plugins, agencies, jurisdictions, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.departments
def test_init_twice_changes_nothing(isolated_home: Path) -> None:
    code, out, _ = run("init", "--json")
    assert code == 0
    first = json.loads(out)
    cfg = Path(first["config"])
    assert cfg == isolated_home / "xdg-config" / "duban" / "duban.toml"
    assert first["config_written"] is True
    assert "minzheng" in first["agencies_changed"]
    assert (isolated_home / "xdg-data" / "duban" / "duban.db").exists()
    content = cfg.read_bytes()
    code, out, _ = run("init", "--json")
    second = json.loads(out)
    assert code == 0 and second["config_written"] is False and second["agencies_changed"] == []
    assert cfg.read_bytes() == content


def test_init_and_listings_on_each_backend(db_url: str) -> None:
    code, out, _ = run("--db", db_url, "agencies", "--json")
    assert code == 0
    agencies = {a["key"]: a for a in json.loads(out)["items"]}
    assert agencies["minzheng"]["names"]["national"] == "民政部"
    code, out, _ = run("--db", db_url, "jurisdictions", "--level", "province", "--json")
    page = json.loads(out)
    provinces = {j["code"]: j["name"] for j in page["items"]}
    assert provinces["530000"] == "云南省" and len(provinces) == page["total"] == 34
    code, out, _ = run("--db", db_url, "db", "upgrade")
    assert code == 0 and "最新" in out


@pytest.mark.departments
def test_plugins_json_lists_builtins() -> None:
    code, out, _ = run("plugins", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["minzheng"]["builtin"] is True
    assert "duban_register_agencies" in rows["minzheng"]["hooks"]


def test_unmigrated_database_gives_short_error_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "fresh.db").write_bytes(b"")  # an empty SQLite file: a database without tables
    code, _out, err = run("--db", str(tmp_path / "fresh.db"), "agencies")
    assert code == 6
    assert err.startswith("错误：") and "duban db upgrade" in err
    assert "Traceback" not in err


def test_missing_database_is_not_found_and_not_created(tmp_path: Path) -> None:
    code, _out, err = run("--db", str(tmp_path / "typo" / "fresh.db"), "agencies")
    assert code == 6
    assert err.startswith("错误：数据库不存在") and str(tmp_path / "typo" / "fresh.db") in err
    assert "duban init" in err and not (tmp_path / "typo").exists()


def test_bad_config_names_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[general]\ncolour = 1\n", encoding="utf-8")
    code, _out, err = run("--config", str(cfg), "--db", str(tmp_path / "x.db"), "init")
    assert code == 3
    assert str(cfg) in err and "general.colour" in err


@pytest.mark.parametrize("heavy", ["textual", "apprise", "sqlalchemy.orm"])
def test_help_does_not_import_heavy_packages(heavy: str) -> None:
    code = (
        "import sys\nfrom duban.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print({heavy!r} in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
