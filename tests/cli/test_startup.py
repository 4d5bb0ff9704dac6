"""Start-up budget (issue 20, item 5): what `duban --help` and a read command on an empty database import.

Not wall-clock: the test runs the CLI in a fresh interpreter and asserts which modules it loaded. The
ratios to `python -c pass` are printed by benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.storage.db import make_engine
from duban.storage.migrate import alembic_config, current_revision, head_revision, revision_graph, upgrade

#: modules a read command must not pay for: they are imported where they are used (upgrade, a .docx, a PDF,
#: an Excel file, sending, the dashboard)
HEAVY = ("alembic", "openpyxl", "docx", "pdfplumber", "pypdf", "apprise", "textual", "mako")

PROBE = """
import json, sys
from duban.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stdout.flush()
sys.__stderr__.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run ``duban ARGS`` in a fresh interpreter; its exit code and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    data = json.loads(line.removeprefix("MODULES "))
    return data["code"], {m.split(".")[0] for m in data["modules"]}


def heavy_in(modules: set[str]) -> list[str]:
    return [m for m in HEAVY if m in modules]


def test_help_loads_neither_the_database_layer_nor_the_heavy_libraries() -> None:
    code, modules = loaded("--help")
    assert code == 0
    assert heavy_in(modules) == []
    assert "sqlalchemy" not in modules and "pluggy" not in modules


@pytest.fixture
def empty_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "空库.db"
    engine = make_engine(f"sqlite:///{path}", create=True)
    upgrade(engine)
    engine.dispose()
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["overdue"],
        ["policies"],
        ["tasks"],
        ["agencies"],
        ["assess", "list"],
        ["assess", "schemes"],
        ["notify", "log"],
        ["db", "current"],
        ["plugins"],
    ],
    ids=lambda c: " ".join(c),
)
def test_read_commands_on_an_empty_database_load_no_heavy_library(
    empty_sqlite: Path, command: list[str]
) -> None:
    code, modules = loaded("--db", str(empty_sqlite), *command)
    assert code == 0
    assert heavy_in(modules) == [], f"duban {' '.join(command)} imported {heavy_in(modules)}"


def test_the_probe_sees_a_heavy_import_when_there_is_one(empty_sqlite: Path) -> None:
    """The import-graph check can fail: upgrading does import alembic."""
    code, modules = loaded("--db", str(empty_sqlite), "db", "upgrade")
    assert code == 0
    assert "alembic" in modules


def test_importing_a_txt_loads_no_office_or_pdf_library(empty_sqlite: Path) -> None:
    seed = Path(__file__).parents[1] / "fixtures" / "seeds" / "001_007993ffda9a68ac.txt"
    code, modules = loaded("--db", str(empty_sqlite), "import", str(seed), "--dry-run")
    assert code == 0
    assert [
        m
        for m in ("openpyxl", "docx", "pdfplumber", "pypdf", "alembic", "apprise", "textual")
        if m in modules
    ] == []


def test_version_check_without_alembic_agrees_with_alembic(empty_sqlite: Path, tmp_path: Path) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(f"sqlite:///{empty_sqlite}")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert head_revision() == script.get_current_head()
    assert set(revision_graph()) == {r.revision for r in script.walk_revisions()}
    assert revision_graph() == {r.revision: r.down_revision for r in script.walk_revisions()}
    with engine.connect() as conn:
        assert current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}", create=True)
    assert current_revision(fresh) is None
    upgrade(fresh, "0003")
    assert current_revision(fresh) == "0003"
    fresh.dispose()
    engine.dispose()


def test_an_old_database_is_still_refused_with_the_version_named(tmp_path: Path) -> None:
    path = tmp_path / "旧库.db"
    engine = make_engine(f"sqlite:///{path}", create=True)
    upgrade(engine, "0006")
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", str(path), "policies"])
    assert result.exit_code == 6
    assert f"数据库结构版本为 0006，需要 {head_revision()}" in result.stderr


def test_a_newer_database_is_refused_as_newer(empty_sqlite: Path) -> None:
    import sqlite3

    with sqlite3.connect(empty_sqlite) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    result = CliRunner().invoke(cli, ["--db", str(empty_sqlite), "policies"])
    assert result.exit_code == 6
    assert "9999 比本版本 duban 所知的最新版本" in result.stderr
