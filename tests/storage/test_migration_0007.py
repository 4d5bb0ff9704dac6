"""Migration 0007: login roles, row-level security and the append-only journal; down and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from duban.storage.db import make_engine
from duban.storage.migrate import alembic_config, current_revision, upgrade


def _security(engine) -> tuple[set[str], set[str], set[str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return set(), set(), set()
        policies = set(conn.execute(text("SELECT tablename || '.' || policyname FROM pg_policies")).scalars())
        triggers = set(
            conn.execute(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'audit_event%'")
            ).scalars()
        )
        secured = set(
            conn.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = current_schema()::regnamespace"
                )
            ).scalars()
        )
    return policies, triggers, secured


def test_0007_upgrades_downgrades_and_upgrades_again(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        columns = {c["name"]: c for c in inspect(engine).get_columns("app_user")}
        assert "db_role" in columns
        actor = next(c for c in inspect(engine).get_columns("audit_event") if c["name"] == "actor")
        assert actor["type"].length == 200
        policies, triggers, secured = _security(engine)
        if engine.dialect.name == "postgresql":
            # supervision_notice: migration 0008 (the downgrade below runs it back too)
            assert secured == {
                "responsibility",
                "milestone",
                "report",
                "extension",
                "finding",
                "supervision_notice",
            }
            assert {"report.duban_department_insert", "responsibility.duban_read_all"} <= policies
            assert triggers == {"audit_event_append_only", "audit_event_actor"}
        command.downgrade(alembic_config(engine), "0006")
        assert current_revision(engine) == "0006"
        assert "db_role" not in {c["name"] for c in inspect(engine).get_columns("app_user")}
        assert _security(engine) == (set(), set(), set())
        upgrade(engine)
        assert _security(engine) == (policies, triggers, secured)
    finally:
        engine.dispose()
