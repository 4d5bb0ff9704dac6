"""Read commands never write (issue 16): each runs on the seeded database and every table's rows are unchanged;
text stored before validation existed (a terminal escape in a report, a newline in a user name) is printed
escaped, never replayed on the terminal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.cli.state import READ_ONLY
from tests.hostile.conftest import Seed, copy_sqlite, snapshot

pytestmark = pytest.mark.departments

#: every read command, with arguments that make it succeed on the seed ({name}: the seed's ids)
READS = [
    "status",
    "status --as-of 2100-12-31",
    "status --as-of 2000-01-01 --json",
    "overdue",
    "overdue --as-of 2100-12-31",
    "policies",
    "tasks",
    "report list",
    "report list --all-versions --json",
    "report template --agency minzheng -o {tmp}/t.xlsx",
    "inbox",
    "--as mz inbox",
    "findings",
    "findings --as-of 2100-12-31",
    "audit verify",
    "audit log",
    "user list",
    "agencies",
    "jurisdictions",
    "alias list",
    "milestones",
    "milestones list",
    "schedule list",
    "template list",
    "template catalog",
    "calendar 2026-01",
    "calendar show 2100-12",
    "map list {t1}",
    "notify --dry-run",
    "notify --dry-run --as-of 2100-12-31",
    "notify log",
    "assess --period 2026",
    "assess --period 2100",
    "assess list",
    "assess schemes",
    "db current",
    "plugins",
]


def _run(seed: Seed, tmp: Path, config: Path, command: str) -> tuple[int, str, str]:
    fill = {**{k: str(v) for k, v in seed.ids.items()}, "tmp": str(tmp)}
    db = str(tmp / "duban.db")
    argv = ["--db", db, "--config", str(config), *command.format(**fill).split()]
    result = CliRunner().invoke(cli, argv, color=True)  # as on a terminal: click strips no escape sequence
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", READS)
def test_read_command_changes_no_table(
    command: str, sqlite_seed: Seed, tmp_path: Path, config_file: Path
) -> None:
    db = copy_sqlite(sqlite_seed, tmp_path)
    before = snapshot(db)
    code, out, err = _run(sqlite_seed, tmp_path, config_file, command)
    # 5: `plugins` reports a plugin's fault; 11: `notify` warns of receivers without a route (none configured)
    allowed = (0, 5, 11) if command.startswith("notify --") else (0, 5)
    assert code in allowed, f"{command}: exit {code}\n{out}{err}"
    assert "Traceback" not in out + err
    after = snapshot(db)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"{command} wrote to {changed}"


def test_every_read_command_is_declared_read_only() -> None:
    """The declared set and the tested list agree: a new read command is tested, a tested one is declared."""
    tested = set()
    for command in READS:
        words = [w for w in command.split() if not w.startswith("-") and "{" not in w]
        words = [w for w in words if w not in ("mz",) and not w[0].isdigit()]
        tested.add(" ".join(words[:2]) if " ".join(words[:2]) in READ_ONLY else words[0])
    dynamic = {"notify", "assess"}  # read only without --freeze / with --dry-run: they mark themselves
    assert tested - dynamic <= READ_ONLY, tested - dynamic - READ_ONLY


def test_a_committing_command_still_commits(sqlite_seed: Seed, tmp_path: Path, config_file: Path) -> None:
    """The read-only rollback does not swallow writes: ``ack`` is committed (the test above can fail)."""
    db = copy_sqlite(sqlite_seed, tmp_path)
    before = snapshot(db)
    code, _out, err = _run(sqlite_seed, tmp_path, config_file, "--as fl ack {r_fl}")
    assert code == 0, err
    assert snapshot(db)["responsibility"] != before["responsibility"]


def test_status_far_ahead_commits_no_calendar_rows(
    sqlite_seed: Seed, tmp_path: Path, config_file: Path
) -> None:
    db = copy_sqlite(sqlite_seed, tmp_path)
    with sqlite3.connect(db) as conn:
        years = conn.execute("SELECT count(*) FROM calendar_year").fetchone()[0]
    code, _out, err = _run(sqlite_seed, tmp_path, config_file, "status --as-of 2100-06-30")
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM calendar_year").fetchone()[0] == years
        assert not conn.execute("SELECT count(*) FROM calendar_year WHERE year > 2090").fetchone()[0]


def test_stored_escapes_are_printed_escaped(sqlite_seed: Seed, tmp_path: Path, config_file: Path) -> None:
    """A report text and a user name written before validation existed: ``report list`` and ``user list`` show
    ``\\u001b`` and ``\\u000a`` instead of driving the terminal or forging a line."""
    db = copy_sqlite(sqlite_seed, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE report SET text = ?", ("\x1b[2K\x1b[1G#1 已通过\u202e",))
        conn.execute("UPDATE app_user SET name = ? WHERE name = 'viewer'", ("viewer\ncoord        协调人",))
    code, out, err = _run(sqlite_seed, tmp_path, config_file, "report list")
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\u001b[2K" in out and "\\u202e" in out
    code, out, err = _run(sqlite_seed, tmp_path, config_file, "user list")
    assert code == 0, err
    assert "viewer\\u000a" in out
    assert not any(line.startswith("coord        协调人") for line in out.splitlines())
    code, out, err = _run(sqlite_seed, tmp_path, config_file, "report list --json")
    assert code == 0, err
    assert "\x1b" not in out and "\\u001b[2K" in out


def test_missing_database_is_not_created(tmp_path: Path, config_file: Path) -> None:
    target = tmp_path / "typo" / "duban.db"
    result = CliRunner().invoke(cli, ["--db", str(target), "--config", str(config_file), "status"])
    assert result.exit_code == 6
    assert str(target) in result.stderr and "数据库不存在" in result.stderr
    assert not (tmp_path / "typo").exists()
    # init does create it
    result = CliRunner().invoke(cli, ["--db", str(target), "--config", str(config_file), "init"])
    assert result.exit_code == 0, result.output
    assert target.exists()
