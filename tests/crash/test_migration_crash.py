"""A process killed inside ``duban db upgrade`` / ``duban init`` leaves the schema it found (one transaction,
the version stamp inside it), at every migration step; the next run upgrades. On SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from duban.storage.db import make_engine
from duban.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.crash.conftest import Duban


def revisions() -> list[str]:
    engine = make_engine("sqlite://")
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def schema(url: str) -> tuple[str | None, dict[str, list[str]]]:
    """The version stamp and every table with its columns."""
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        tables = {t: sorted(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names()}
        return current_revision(engine), tables
    finally:
        engine.dispose()


def test_a_killed_upgrade_leaves_the_old_schema_at_every_step(duban_empty: Duban) -> None:
    steps = revisions()
    assert len(steps) >= 7 and steps[0] == "0001"
    empty = schema(duban_empty.db_url)
    assert empty == (None, {})
    # each run is the rerun of the one killed before it: it gets past that step and dies one step later
    for step in steps:
        duban_empty.crash(f"migrate.{step}", "db", "upgrade")
        assert schema(duban_empty.db_url) == empty, f"killed after {step}"
    duban_empty.crash("setup.before_commit", "db", "upgrade")  # migrated, agencies synced, not committed
    assert schema(duban_empty.db_url) == empty
    ran = duban_empty.ok("db", "upgrade")
    assert steps[-1] in ran.out
    assert schema(duban_empty.db_url)[0] == steps[-1]
    duban_empty.audit_valid()


def test_a_killed_upgrade_from_an_older_schema_keeps_that_schema(duban_empty: Duban) -> None:
    engine = make_engine(duban_empty.db_url)
    try:
        upgrade(engine, "0004")
        head = head_revision(engine)
    finally:
        engine.dispose()
    before = schema(duban_empty.db_url)
    assert before[0] == "0004"
    for step in ("0005", "0007"):
        duban_empty.crash(f"migrate.{step}", "db", "upgrade")
        assert schema(duban_empty.db_url) == before
    duban_empty.ok("db", "upgrade")
    assert schema(duban_empty.db_url)[0] == head


def test_a_killed_init_is_rerun(duban_empty: Duban) -> None:
    duban_empty.crash("migrate.0003", "init", "--coordinator", "coord")
    assert schema(duban_empty.db_url) == (None, {})
    ran = duban_empty.ok("init", "--coordinator", "coord")
    assert "协调人" in ran.out
    duban_empty.audit_valid()
