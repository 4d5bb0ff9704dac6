"""``duban demo`` killed half way is recognised as a demo and rebuilt by its rerun (SQLite only: the demo is
an embedded database)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.crash.conftest import Duban, write_config

TODAY = "2026-03-16"


@pytest.mark.departments
def test_a_killed_demo_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    duban = Duban(f"sqlite:///{db}", write_config(tmp_path / "duban.toml"), tmp_path)
    args = ("demo", "--db", str(db), "--no-open", "--today", TODAY, "--json")

    duban.crash("setup.before_commit", *args, db=False)  # killed inside the schema's transaction
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    duban.crash("demo.before_commit", *args, db=False)  # schema and demo mark committed, the data not
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM app_meta WHERE key = 'demo'").fetchone() == ("1",)
        assert conn.execute("SELECT count(*) FROM policy").fetchone() == (0,)

    ran = duban(*args, db=False)
    assert ran.code == 0, ran.err
    summary = json.loads(ran.out)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM report").fetchone() == (summary["reports"],)
        assert conn.execute("SELECT count(*) FROM policy").fetchone() == (len(summary["policies"]),)
    duban.audit_valid()
