"""Migration 0004 on a database with findings: they are first seen on their report's day (or the day they were
made), and the migration goes down and up again."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from duban.storage.db import make_engine, session_factory
from duban.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from duban.storage.models import Agency, Finding, Policy, Report, Responsibility, Task

UTC = dt.UTC


def table(name: str, *columns: str, json: tuple[str, ...] = ()) -> sa.TableClause:
    """The table as revision 0002 has it (only the columns written here), not as the models are now."""
    kinds = {"imported_at": sa.DateTime(timezone=True), "submitted_at": sa.DateTime(timezone=True)}
    kinds |= {"created_at": sa.DateTime(timezone=True), "submitted_on": sa.Date()}
    return sa.table(name, *(sa.column(c, sa.JSON() if c in json else kinds.get(c)) for c in columns))


def test_existing_findings_get_their_days(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        old = {
            "agency": table("agency", "key", "name", "names", "aliases", json=("names", "aliases")),
            "policy": table("policy", "id", "title", "issuers", "status", "imported_at", json=("issuers",)),
            "task": table(
                "task",
                "id",
                "policy_id",
                "number",
                "text",
                "position",
                "schedule_hints",
                json=("schedule_hints",),
            ),
            "responsibility": table(
                "responsibility", "id", "task_id", "agency_key", "name_as_written", "role", "state", "version"
            ),
            "report": table(
                "report",
                "id",
                "responsibility_id",
                "text",
                "indicators",
                "attachments",
                "submitted_by",
                "submitted_at",
                "submitted_on",
                "review_state",
                "version",
                "is_current",
                json=("indicators", "attachments"),
            ),
        }
        finding = table(
            "finding", "responsibility_id", "report_id", "plugin", "code", "severity", "message", "created_at"
        )
        with engine.begin() as conn:
            conn.execute(
                old["agency"].insert(), {"key": "minzheng", "name": "民政", "names": {}, "aliases": []}
            )
            conn.execute(
                old["policy"].insert(),
                {
                    "id": 1,
                    "title": "实施意见",
                    "issuers": [],
                    "status": "in_force",
                    "imported_at": dt.datetime.now(UTC),
                },
            )
            conn.execute(
                old["task"].insert(),
                {
                    "id": 1,
                    "policy_id": 1,
                    "number": "一",
                    "text": "摸底排查",
                    "position": 1,
                    "schedule_hints": [],
                },
            )
            conn.execute(
                old["responsibility"].insert(),
                {
                    "id": 1,
                    "task_id": 1,
                    "agency_key": "minzheng",
                    "name_as_written": "省民政厅",
                    "role": "lead",
                    "state": "assigned",
                    "version": 1,
                },
            )
            conn.execute(
                old["report"].insert(),
                {
                    "id": 1,
                    "responsibility_id": 1,
                    "text": "已更新",
                    "indicators": {},
                    "attachments": [],
                    "submitted_by": "mz",
                    "submitted_at": dt.datetime(2026, 2, 2, 20, tzinfo=UTC),  # 2026-02-03 in Beijing
                    "submitted_on": dt.date(2026, 2, 3),
                    "review_state": "submitted",
                    "version": 1,
                    "is_current": True,
                },
            )
            columns = (
                "responsibility_id",
                "report_id",
                "plugin",
                "code",
                "severity",
                "message",
                "created_at",
            )
            conn.execute(
                finding.insert(),
                [
                    dict(zip(columns, (1, 1, "minzheng", "ledger.not_in_system", "warning", "未录入",
                                       dt.datetime(2026, 2, 2, 20, tzinfo=UTC)), strict=True)),
                    dict(zip(columns, (1, None, "fuergongwei", "support.silent", "warning", "未报",
                                       dt.datetime(2026, 3, 5, 4, tzinfo=UTC)), strict=True)),
                ],
            )  # fmt: skip
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with session_factory(engine)() as session:
            seen = {
                f.code: (f.first_seen, f.last_seen, f.resolved_on) for f in session.scalars(select(Finding))
            }
            assert session.get(Agency, "minzheng") is not None
            assert session.get(Report, 1) is not None and session.get(Policy, 1) is not None
            assert session.get(Task, 1) is not None and session.get(Responsibility, 1) is not None
        assert seen == {
            "ledger.not_in_system": (dt.date(2026, 2, 3), dt.date(2026, 2, 3), None),  # the report's day
            "support.silent": (dt.date(2026, 3, 5), dt.date(2026, 3, 5), None),
        }
        command.downgrade(alembic_config(engine), "0002")
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()
