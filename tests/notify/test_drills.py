"""``--as-of`` drills never send unless ``--send``, never touch catch-up, may ignore quiet hours; a dry
run writes nothing and never takes SQLite's write lock."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.services.notifications import last_run_day, run_notifications
from duban.storage.db import make_engine, session_factory, unit_of_work
from duban.storage.models import AuditEvent, OutboxMessage
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import build

ROUTES = [
    {"url": "capture://mz", "tags": ["minzheng"]},
    {"url": "capture://fl", "tags": ["fulian"]},
    {"url": "capture://coord", "tags": ["coordinator"]},
]


def _outbox(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_a_drill_without_send_writes_and_sends_nothing(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    report = run_notifications(
        factory, config=config, as_of=dt.date(2026, 2, 11), now=at_local("2026-02-02", 9), drill=True
    )
    assert report.drill and report.dry_run and len(report.planned) == 2
    assert report.sent == () and captured == [] and _outbox(factory) == 0
    with unit_of_work(factory) as s:
        assert last_run_day(s) is None


def test_a_sent_future_drill_never_disables_catch_up_or_the_real_runs_digests(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    # a drill for 02-11 (red), sent on 02-02 at night: held for the morning unless quiet hours are ignored
    held = run_notifications(
        factory,
        config=config,
        as_of=dt.date(2026, 2, 11),
        now=at_local("2026-02-02", 21),
        drill=True,
        send=True,
    )
    assert len(held.planned) == 2 and held.sent == () and held.held == 2
    drill = run_notifications(
        factory,
        config=config,
        as_of=dt.date(2026, 2, 11),
        now=at_local("2026-02-02", 21, 5),
        drill=True,
        send=True,
        ignore_quiet_hours=True,
    )
    assert {s.state for s in drill.sent} == {"sent"} and len(captured) >= 2
    assert all("|drill-" in p.key for p in drill.planned + held.planned)
    with unit_of_work(factory) as s:
        assert last_run_day(s) is None  # catch-up untouched
        assert "notify.drill" in set(s.scalars(select(AuditEvent.action)))
    # the real runs: 02-03 catches up from nothing, 02-11 still writes its digests (the drill's do not count)
    captured.clear()
    real = run_notifications(factory, config=config, now=at_local("2026-02-11", 9))
    assert sorted(p.receiver for p in real.planned if p.key.startswith("digest")) == [
        "fulian@530000",
        "minzheng@530000",
    ]
    assert all("|drill-" not in p.key for p in real.planned)
    with unit_of_work(factory) as s:
        assert last_run_day(s) == dt.date(2026, 2, 11)


def test_cli_drill_and_dry_run_never_take_the_write_lock(tmp_path: Path, host) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    path = tmp_path / "drill.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        "".join(f'[[notify.routes]]\nurl = "{r["url"]}"\ntags = ["{r["tags"][0]}"]\n' for r in ROUTES),
        encoding="utf-8",
    )
    # another writer holds SQLite's write lock for the whole time
    writer = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE jurisdiction SET name = name WHERE code = '530000'")
    try:
        for args in (
            ["notify", "--dry-run", "--now", "2026-02-02T09:00+08:00"],
            ["notify", "--as-of", "2026-02-11", "--now", "2026-02-02T09:00+08:00"],
        ):
            result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), *args])
            assert result.exit_code == 0, (args, result.output)
        assert "演练 2026-02-11：只显示，不写入、不发送" in result.stdout
        assert "云南省民政厅" in result.stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # --send without --as-of is refused
    result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), "notify", "--send"])
    assert result.exit_code == 9


@pytest.mark.parametrize("hour", [21])
def test_cli_drill_send_ignoring_quiet_hours(tmp_path: Path, host, hour: int, captured: list) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'drill2.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        "".join(f'[[notify.routes]]\nurl = "{r["url"]}"\ntags = ["{r["tags"][0]}"]\n' for r in ROUTES),
        encoding="utf-8",
    )
    now = f"2026-02-02T{hour}:00+08:00"
    base = ["--db", url, "--config", str(cfg), "notify", "--as-of", "2026-02-11", "--send", "--now", now]
    result = CliRunner().invoke(cli, [*base, "--ignore-quiet-hours"])
    assert result.exit_code == 0, result.output
    assert "写入并发送（不计为正式运行" in result.stdout and "已发送" in result.stdout
    assert sorted(c["to"] for c in captured) == ["coord", "fl", "mz"] or len(captured) >= 2
