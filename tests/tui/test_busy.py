"""A locked database (issue 18 item 8): retried briefly, then "数据库正忙，请稍后重试" with nothing lost — the form
keeps its text, no SQL or SQLAlchemy link is shown; the CLI exits with the documented code (10)."""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from textual.widgets import TextArea

from duban.cli.main import cli
from duban.errors import BusyError
from duban.storage import db
from duban.storage.busy import BUSY_MESSAGE, is_busy, retry_busy
from duban.storage.models import Report
from duban.tui.widgets import ReportForm
from tests.tui.helpers import open_task_and_press, screen_text, settle, shows, sync
from tests.tui.world import MZ

SIZE = (120, 40)


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding SQLite's write lock on ``path`` (a real second connection)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite waits 10 s for a lock; the tests wait 50 ms per attempt (the retries stay as they are)."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 50)


def _db_path(world_db) -> Path:
    engine, _ = world_db
    return Path(engine.url.database)


@sync
async def test_a_locked_database_keeps_the_form_and_says_busy(
    make_app, world, world_db, sessions, short_busy_timeout
) -> None:
    path = _db_path(world_db)
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Report))
    app = make_app(MZ)
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "r")
        form = app.screen
        assert isinstance(form, ReportForm)
        form.query_one("#text", TextArea).text = "数据库被占用时填写的进展"
        with write_lock(path):
            await pilot.press("ctrl+s")
            await settle(pilot, rounds=8)
            assert await shows(pilot, BUSY_MESSAGE, timeout=5)
            assert app.screen is form, "the form stays open"
            assert form.query_one("#text", TextArea).text == "数据库被占用时填写的进展"
            shown = screen_text(app)
            assert "OperationalError" not in shown and "sqlalche" not in shown and "INSERT" not in shown
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Report)) == before, "nothing written"
        # the lock is gone: the same form, as it was left, goes through
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=8)
        assert not isinstance(app.screen, ReportForm)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == before + 1


def test_retry_runs_the_unit_of_work_again_until_the_lock_is_gone(world_db, short_busy_timeout) -> None:
    path = _db_path(world_db)
    engine, _ = world_db
    lock = write_lock(path)
    lock.__enter__()
    attempts: list[int] = []

    def release(_delay: float) -> None:
        if len(attempts) == 2:
            lock.__exit__(None, None, None)

    def once() -> int:
        attempts.append(1)
        with db.unit_of_work(db.session_factory(engine)) as s:
            s.execute(Report.__table__.update().where(Report.id == 1).values(text="重试"))
            return 1

    try:
        with pytest.raises(Exception) as info:
            once()
        assert is_busy(info.value)
        attempts.clear()
        assert retry_busy(once, delays=(0.01, 0.01, 0.01), sleep=release) == 1
        assert len(attempts) == 3
    finally:
        try:
            lock.__exit__(None, None, None)
        except sqlite3.ProgrammingError:
            pass


def test_retries_spent_raise_busy_error(world_db, short_busy_timeout) -> None:
    path = _db_path(world_db)
    engine, _ = world_db
    calls = []

    def once() -> None:
        calls.append(1)
        with db.unit_of_work(db.session_factory(engine)) as s:
            s.execute(Report.__table__.update().values(text="x"))

    with write_lock(path), pytest.raises(BusyError) as info:
        retry_busy(once, delays=(0.01, 0.01), sleep=lambda _d: None)
    assert str(info.value) == BUSY_MESSAGE and len(calls) == 3


def test_cli_reports_a_locked_database_with_exit_code_10(
    world_db, world, tmp_path, short_busy_timeout
) -> None:
    path = _db_path(world_db)
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    with write_lock(path):
        result = CliRunner().invoke(
            cli,
            ["--db", str(path), "--config", str(config), "--as", "mz", "ack", str(world.mz_resp)],
            catch_exceptions=False,
        )
    assert result.exit_code == 10, result.stderr
    assert BUSY_MESSAGE in result.stderr
    assert "sqlalche" not in result.stderr and "UPDATE" not in result.stderr
