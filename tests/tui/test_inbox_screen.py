"""待办 (key 1): the coordinator's landing screen over the inbox service, batch 复核/审批 with one confirmation,
per-row conflicts, the department user's own queue — on the seed world and end to end on ``duban demo``."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import shutil
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select
from textual.widgets import DataTable, Input

from duban.cli.main import cli
from duban.services.identity import Actor
from duban.services.lifecycle import review_report
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Extension, Report
from duban.tui.app import create_app
from duban.tui.confirm import ConfirmScreen
from duban.tui.screens.inbox import InboxScreen, ReasonForm
from duban.tui.screens.tasks import TaskDetailScreen
from tests.tui.helpers import rows, screen_text, settle, shows, sync
from tests.tui.world import COORD, FROZEN, MZ

SIZE = (150, 45)


def _row_of(app, kind: str, ident: int) -> int:  # noqa: ANN001 - DubanApp
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return next(i for i, item in enumerate(screen.items) if item.kind == kind and item.id == ident)


async def _mark(pilot, app, kind: str, ident: int) -> None:  # noqa: ANN001
    table = app.screen.query_one("#inbox", DataTable)
    table.move_cursor(row=_row_of(app, kind, ident))
    await pilot.press("space")
    await settle(pilot)


@sync
async def test_the_coordinator_lands_on_the_inbox_oldest_first_with_names(make_app, world) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one("#inbox", DataTable)
        shown = rows(table)
        kinds = [r[1] for r in shown]
        # decisions first (复核, then 审批), then returned reports not yet refiled, then unsigned duties
        assert kinds[:3] == ["待复核", "待审批延期", "被退回重报"] and set(kinds[3:]) == {"待签收"}
        review = shown[0]
        assert review[2].endswith("个工作日") and review[5] == "云南省民政厅"
        assert "退回理由" in shown[2][7]
        text = screen_text(app)
        assert "待复核 1" in text and "待审批延期 1" in text and "被退回重报 1" in text
        assert "minzheng" not in text and "530000" not in text  # names, never keys or codes
        # enter opens the row's task
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == world.mz_task


@sync
async def test_back_from_a_task_the_inbox_is_current(make_app, world, sessions) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#inbox", DataTable).move_cursor(
            row=_row_of(app, "review", world.pending_report)
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        with sessions() as s:  # decided while the task was open
            review_report(s, actor=COORD, report_id=world.pending_report, accept=True)
            s.commit()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert not [i for i in app.screen.items if i.kind == "review"]


@sync
async def test_batch_accept_with_one_confirmation_and_a_per_row_conflict(make_app, world, sessions) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _mark(pilot, app, "review", world.pending_report)
        await _mark(pilot, app, "extension", world.pending_extension)
        assert "已选 2 项" in screen_text(app)
        # another coordinator returns the report meanwhile (compare-and-set: it is no longer waiting)
        with sessions() as s:
            review_report(
                s,
                actor=Actor("coord2", "coordinator"),
                report_id=world.pending_report,
                accept=False,
                reason="重报",
            )
            s.commit()
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "通过/批准已选的 2 项" in screen_text(app) and "不能撤销" in app.screen.consequence
        await pilot.press("y")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, InboxScreen)
        result = str(app.screen.query_one("#inbox-result").content)
        assert "成功 1 项，未完成 1 项" in result
        assert f"延期申请 #{world.pending_extension}（云南省民政厅）：已批准" in result
        assert f"报送 #{world.pending_report}（云南省民政厅） 未完成：" in result and "已复核" in result
    with sessions() as s:
        assert s.get(Extension, world.pending_extension).state == "approved"
        report = s.get(Report, world.pending_report)
        assert (report.review_state, report.reviewed_by) == (
            "returned",
            "coord2",
        )  # the other's decision stands


@sync
async def test_cancelling_the_confirmation_changes_nothing(make_app, world, sessions) -> None:
    with sessions() as s:
        before = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _mark(pilot, app, "review", world.pending_report)
        await _mark(pilot, app, "extension", world.pending_extension)
        for key in ("n", "escape"):
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.focused is app.screen.query_one("#no")  # enter by habit says no
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, InboxScreen) and len(app.screen.marked) == 2
    with sessions() as s:
        assert s.get(Report, world.pending_report).review_state == "submitted"
        assert s.get(Extension, world.pending_extension).state == "pending"
        assert s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == before


@sync
async def test_batch_return_asks_a_reason_then_confirms(make_app, world, sessions) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _mark(pilot, app, "review", world.pending_report)
        await _mark(pilot, app, "extension", world.pending_extension)
        await pilot.press("b")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReasonForm) and form.focused is form.query_one("#reason", Input)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReasonForm) and await shows(pilot, "请填写理由")
        await pilot.press(*"请补充分县数据")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        said = app.screen.consequence
        assert (
            "退回/驳回已选的 2 项" in screen_text(app) and "部门须重新报送" in said and "仍按原到期日" in said
        )
        await pilot.press("y")
        await settle(pilot, rounds=8)
        assert "成功 2 项" in str(app.screen.query_one("#inbox-result").content)
    with sessions() as s:
        report = s.get(Report, world.pending_report)
        assert (report.review_state, report.review_reason) == ("returned", "请补充分县数据")
        ext = s.get(Extension, world.pending_extension)
        assert (ext.state, ext.decision_reason) == ("refused", "请补充分县数据")


@sync
async def test_only_decisions_can_be_marked_and_nothing_marked_means_the_highlighted_row(
    make_app, world, sessions
) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#inbox", DataTable)
        table.move_cursor(row=table.row_count - 1)  # a 待签收 row
        await pilot.press("space")
        await settle(pilot)
        assert not app.screen.marked and await shows(pilot, "只有待复核的报送和待审批的延期申请")
        table.move_cursor(row=_row_of(app, "extension", world.pending_extension))
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "已选的 1 项" in screen_text(app)
        assert "延期申请获批" in app.screen.consequence
        await pilot.press("y")
        await settle(pilot, rounds=8)
    with sessions() as s:
        assert s.get(Extension, world.pending_extension).state == "approved"
        assert s.get(Report, world.pending_report).review_state == "submitted"


@sync
async def test_a_department_user_sees_their_own_queue_without_decision_keys(make_app, world) -> None:
    app = make_app(MZ, start="inbox")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        shown = rows(app.screen.query_one("#inbox", DataTable))
        kinds = {r[1] for r in shown}
        assert kinds <= {"被退回重报", "逾期未报", "即将到期", "待签收"} and "被退回重报" in kinds
        assert {r[5] for r in shown} == {"云南省民政厅"}  # only their own work
        due = next(r for r in shown if r[1] == "即将到期")
        assert due[2] == "还有 3 个工作日"  # 2026-05-20 from Friday 2026-05-15
        text = screen_text(app)
        assert "通过/批准" not in text and "已选" not in text  # no keys they may not use
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)


@sync
async def test_number_keys_reach_every_screen_from_the_inbox(make_app) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert type(app.screen).__name__ == "OverviewScreen"
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)


# ------------------------------------------------------------------------------------- snapshots


async def _loaded(pilot) -> None:  # noqa: ANN001 - textual.pilot.Pilot
    await settle(pilot)
    await pilot.pause(0.5)  # DataTable recomputes column widths when idle
    for table in pilot.app.screen.query("DataTable"):
        table.refresh(layout=True)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_inbox_snapshot(snap_compare, make_app, size) -> None:
    with time_machine.travel(FROZEN, tick=False):
        assert snap_compare(make_app(COORD), terminal_size=size, run_before=_loaded)


# ------------------------------------------------------------------------- end to end on the demo

DEMO_TODAY = "2026-05-15"


def _cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("inbox-demo") / "demo.db"
    code, _out, err = _cli(db, "demo", "--db", str(db), "--no-open", "--today", DEMO_TODAY)
    assert code == 0, err
    return db


@pytest.mark.departments
def test_batch_review_end_to_end_on_the_demo(demo_db: Path, tmp_path: Path, tui_host) -> None:
    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db, db)
    code, out, _err = _cli(db, "inbox", "--kind", "review")
    assert code == 0 and "云南省" in out and "minzheng" not in out  # the CLI names departments too
    engine = make_engine(f"sqlite:///{db}")
    sessions = session_factory(engine)
    actor = Actor(getpass.getuser(), "coordinator")  # the demo makes the login user its coordinator
    app = create_app(
        session_factory=sessions,
        host=tui_host,
        actor=actor,
        today=dt.date.fromisoformat(DEMO_TODAY),
        attachment_root=tmp_path / "attachments",
    )

    async def drive() -> list[int]:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, InboxScreen)
            reviews = [i for i in screen.items if i.kind == "review"]
            assert len(reviews) >= 2
            chosen = [i.id for i in reviews[:2]]
            for report_id in chosen:
                await _mark(pilot, app, "review", report_id)
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen) and "2 份报送通过复核" in app.screen.consequence
            await pilot.press("y")
            await settle(pilot, rounds=10)
            assert "成功 2 项" in str(app.screen.query_one("#inbox-result").content)
            left = {i.id for i in app.screen.items if i.kind == "review"}
            assert not left & set(chosen)  # decided rows leave the queue
            return chosen

    try:
        chosen = asyncio.run(drive())
        with sessions() as s:
            for report_id in chosen:
                report = s.get(Report, report_id)
                assert (report.review_state, report.reviewed_by) == ("accepted", actor.name)
                assert s.scalar(
                    select(AuditEvent.seq).where(
                        AuditEvent.action == "report.accept", AuditEvent.entity_id == str(report_id)
                    )
                )
    finally:
        engine.dispose()
