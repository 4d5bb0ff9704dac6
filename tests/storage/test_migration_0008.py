"""Migration 0008: the 督办单 table and the outbox kinds remind / report, up, down and up again on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from duban.storage.db import make_engine
from duban.storage.migrate import alembic_config, current_revision, upgrade

INSERT = (
    "INSERT INTO outbox_message (idempotency_key, kind, receiver, level, subject, body, state, attempts, created_at) "
    "VALUES (:key, :kind, 'coordinator', 'red', '催办', '…', 'pending', 0, :at)"
)


def test_0008_upgrades_downgrades_and_upgrades_again(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    try:
        upgrade(engine)
        assert "supervision_notice" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(
                text(INSERT), {"key": "remind|x|2026-03-02|agency-minzheng", "kind": "remind", "at": at}
            )
            conn.execute(text(INSERT), {"key": "digest|x|2026-03-02|red", "kind": "digest", "at": at})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the CHECK still refuses unknown kinds
            conn.execute(text(INSERT), {"key": "k", "kind": "nonsense", "at": at})
        command.downgrade(alembic_config(engine), "0007")
        assert current_revision(engine) == "0007"
        assert "supervision_notice" not in inspect(engine).get_table_names()
        with (
            engine.connect() as conn
        ):  # the kinds 0007 does not know went with the downgrade; the rest stayed
            kinds = [r[0] for r in conn.execute(text("SELECT kind FROM outbox_message"))]
        assert kinds == ["digest"]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(INSERT), {"key": "r2", "kind": "remind", "at": at})
        upgrade(engine)
        assert "supervision_notice" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
