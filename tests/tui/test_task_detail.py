"""Task detail (issue 18 item 5): the title first, red and current milestones first then newest first, late
reports marked 迟报 — on the dashboard's seed world and, end to end, on the demo database."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import select

from duban.cli.main import cli
from duban.domain.vocabulary import Light
from duban.plugin_host import PluginHost
from duban.services.dashboard import detail_order, task_detail
from duban.services.dashboard_results import MilestoneLight
from duban.services.status import Scope
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone, Report
from duban.tui.app import create_app
from duban.tui.screens.tasks import TaskDetailScreen
from duban.tui.widgets import TaskDetail
from tests.tui.helpers import settle, sync
from tests.tui.world import COORD, TODAY

SIZE = (120, 40)
DEMO_TODAY = dt.date(2026, 1, 15)


def _m(ident: int, due: str, light: Light, reported: str | None = None) -> MilestoneLight:
    day = dt.date.fromisoformat(due)
    return MilestoneLight(
        id=ident,
        period=due[:7],
        due=day,
        effective_due=day,
        reported_on=dt.date.fromisoformat(reported) if reported else None,
        returned=False,
        light=light,
    )


def test_detail_order_red_then_current_then_newest_then_future() -> None:
    as_of = dt.date(2026, 5, 15)
    ms = [
        _m(1, "2025-01-09", Light.GREEN, "2025-01-05"),
        _m(2, "2025-04-09", Light.RED),
        _m(3, "2025-07-09", Light.GREEN, "2025-07-20"),
        _m(4, "2026-01-09", Light.RED),
        _m(5, "2026-05-20", Light.YELLOW),
        _m(6, "2026-07-09", Light.GREEN),
        _m(7, "2026-10-09", Light.GREEN),
    ]
    ordered = detail_order(ms, as_of)
    assert [m.id for m in ordered] == [2, 4, 5, 3, 1, 6, 7]
    assert [m.id for m in ordered if m.current] == [5]


def _body(detail: TaskDetail) -> str:
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(detail.query_one("#detail-body").content)
    return console.export_text()


@sync
async def test_detail_opens_on_its_title_with_red_first_and_late_reports_marked(make_app, world) -> None:
    app = make_app(COORD)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        app.open_task(world.mz_task)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TaskDetailScreen)
        detail = screen.detail()
        assert detail.scroll_y == 0  # the title, not the table below it
        head = str(detail.query_one("#detail-head").content)
        assert "云民发〔2020〕8号" in head
        data = detail.data
        assert data is not None
        for resp in data.responsibilities:
            lights = [m.light for m in resp.milestones if not m.withdrawn]
            reds = [i for i, light in enumerate(lights) if light == Light.RED]
            assert reds == list(range(len(reds))), "red milestones come first"
            rest = [m for m in resp.milestones[len(reds) :] if not m.current]
            past = [m.effective_due for m in rest if m.effective_due <= TODAY]
            assert past == sorted(past, reverse=True), "then newest first"
        # the world has reports filed six days after their due date: marked 迟报 in the data and on screen
        late = [
            (r, m)
            for r in data.responsibilities
            for m in r.milestones
            if m.reported_on is not None and m.reported_on > m.effective_due
        ]
        if late:
            assert all(m.late for _r, m in late)


def _late_report_task(sessions) -> int:
    """A task of the seed world with a report filed after its milestone's due date."""
    with sessions() as s:
        row = s.execute(
            select(Report.responsibility_id, Milestone.task_id)
            .join(Milestone, Milestone.id == Report.milestone_id)
            .where(Report.submitted_on > Milestone.effective_due_date)
            .order_by(Report.id)
            .limit(1)
        ).first()
        assert row is not None
        return int(row.task_id)


@sync
async def test_late_report_shows_chi_bao(make_app, sessions) -> None:
    task_id = _late_report_task(sessions)
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_task(task_id)
        await settle(pilot)
        detail = app.screen.detail()
        data = detail.data
        assert data is not None
        late = [(resp, m) for resp in data.responsibilities for m in resp.milestones if m.late]
        assert late, "the late report's milestone is marked"
        resp, _m = late[0]
        table = detail.query_one("#resps")
        table.move_cursor(row=[r.id for r in data.responsibilities].index(resp.id))
        await settle(pilot)
        body = _body(detail)
        assert "迟报" in body
        assert any(r.late for r in resp.reports)


# ------------------------------------------------------------------ end to end on the demo database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(
        cli, ["demo", "--db", str(db), "--no-open", "--today", DEMO_TODAY.isoformat()], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return db


@pytest.mark.departments
def test_demo_detail_puts_red_first_and_marks_late_reports(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db, db)
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as s:
            rows = s.execute(
                select(Milestone.task_id)
                .join(Report, Report.milestone_id == Milestone.id)
                .where(Report.submitted_on > Milestone.effective_due_date)
                .group_by(Milestone.task_id)
                .order_by(Milestone.task_id)
                .limit(20)
            ).all()
            assert rows, "the demo has late reports"
            for (task_id,) in rows:
                detail = task_detail(s, task_id=task_id, as_of=DEMO_TODAY, warning_days=5, scope=Scope())
                for resp in detail.responsibilities:
                    due = {m.id: m.effective_due for m in resp.milestones}
                    for m in resp.milestones:
                        assert m.late == (m.reported_on is not None and m.reported_on > m.effective_due)
                    for r in resp.reports:
                        assert r.late == (r.milestone in due and r.submitted_on > due[r.milestone])
                    days = [r.submitted_on for r in resp.reports]
                    assert days == sorted(days, reverse=True), "reports newest first"
                    ms = [m for m in resp.milestones if not m.withdrawn]
                    if any(m.light == Light.RED for m in ms) and any(m.light != Light.RED for m in ms):
                        assert ms[0].light == Light.RED
            assert any(
                m.late
                for (task_id,) in rows
                for r in task_detail(
                    s, task_id=task_id, as_of=DEMO_TODAY, warning_days=5, scope=Scope()
                ).responsibilities
                for m in r.milestones
            )
    finally:
        engine.dispose()


@pytest.mark.departments
@sync
async def test_demo_detail_on_screen(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db, db)
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine)() as s:
        task_id = s.scalar(
            select(Milestone.task_id)
            .join(Report, Report.milestone_id == Milestone.id)
            .where(Report.submitted_on > Milestone.effective_due_date)
            .order_by(Milestone.task_id)
            .limit(1)
        )
    assert task_id is not None
    app = create_app(
        session_factory=session_factory(engine),
        host=PluginHost.load(),
        actor=COORD,
        today=DEMO_TODAY,
        attachment_root=tmp_path / "att",
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_task(int(task_id))
            await settle(pilot)
            detail = app.screen.detail()
            assert detail.scroll_y == 0
            data = detail.data
            assert data is not None
            index = next(i for i, r in enumerate(data.responsibilities) if any(m.late for m in r.milestones))
            detail.query_one("#resps").move_cursor(row=index)
            await settle(pilot)
            assert "迟报" in _body(detail)
    finally:
        engine.dispose()
