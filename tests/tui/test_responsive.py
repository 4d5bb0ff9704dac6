"""The 任务 list stays responsive (issue 18, item 4): every load runs in a worker that a newer load of the same
pane cancels — its SQL stopped in the engine, its result never shown —, the detail pane always shows the
highlighted row's task (its action keys disabled until it does), and pages are keyset pages equal to the
offset pages the list used to show."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from duban.domain.vocabulary import Light
from duban.plugin_host import PluginHost
from duban.services.dashboard import task_detail, task_page
from duban.services.dashboard_results import TaskPage, TaskRow
from duban.services.status import Scope, task_index, task_lights
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Policy, Responsibility, Task
from duban.tui.screens.tasks import PAGE, SORT_CYCLE, TasksScreen
from tests.tui.helpers import rows, screen_text, settle, sync
from tests.tui.world import COORD, TODAY

SIZE = (160, 45)
SPIN = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def _load_workers(screen: TasksScreen, key: str) -> list[Worker[None]]:
    return [w for w in screen.workers if w.group == f"load-{key}"]


async def _open_tasks(pilot) -> TasksScreen:  # noqa: ANN001 - a Pilot
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TasksScreen)
    return screen


async def _wait(pilot, condition, what: str, rounds: int = 400) -> None:  # noqa: ANN001
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.025)
    raise AssertionError(f"timed out waiting for {what}")


# ------------------------------------------------------------------------------------ cancellation


@sync
async def test_a_superseded_load_is_cancelled_and_its_sql_stopped(make_app) -> None:
    app = make_app(COORD, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_tasks(pilot)
        stopped: list[BaseException] = []

        def endless(session: Session) -> object:
            try:
                return session.execute(text(SPIN)).scalar()  # never ends on its own
            except BaseException as exc:
                stopped.append(exc)
                raise

        screen.load("tasks", endless)
        await pilot.pause(0.2)
        (spinning,) = _load_workers(screen, "tasks")
        assert spinning.state == WorkerState.RUNNING
        assert screen.query_one("#loading").display  # the loading indicator is up
        assert "加载中" in str(screen.query_one("#page-info", Static).content)
        screen.first_page()  # a newer load of the same pane
        await _wait(pilot, lambda: spinning.state == WorkerState.CANCELLED, "the old worker's cancellation")
        await _wait(pilot, lambda: bool(stopped), "the engine to stop the superseded statement")
        assert "interrupted" in str(stopped[0])
        await settle(pilot)
        assert not screen.query_one("#loading").display
        assert screen.query_one("#tasks", DataTable).row_count == 74
        assert "查询失败" not in screen_text(app) and "interrupted" not in screen_text(app)


@sync
async def test_a_superseded_result_never_reaches_the_screen(make_app) -> None:
    app = make_app(COORD, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_tasks(pilot)
        assert screen.index is not None
        gate = threading.Event()
        stale_row = TaskRow(
            id=999_999,
            policy_id=1,
            policy="过期结果",
            number="九九",
            text="不该出现的旧查询结果",
            lead=(),
            support=(),
            next_due=None,
            overdue=0,
            light=Light.RED,
        )
        stale = (screen.index, TaskPage(total=1, offset=0, limit=PAGE, rows=(stale_row,)))

        def slow(_session: Session) -> object:
            gate.wait(10)
            return stale

        screen.load("tasks", slow)
        await pilot.pause(0.1)
        (old,) = _load_workers(screen, "tasks")
        await pilot.press("o")  # the user changes the order meanwhile
        await settle(pilot)
        assert old.state == WorkerState.CANCELLED
        shown = rows(screen.query_one("#tasks", DataTable))
        gate.set()  # the old query finishes late
        await settle(pilot)
        assert rows(screen.query_one("#tasks", DataTable)) == shown
        assert "过期结果" not in screen_text(app) and len(shown) == 74
        assert "升序" in str(screen.query_one("#page-info", Static).content)


# ------------------------------------------------------------------------------------ detail in sync


@sync
async def test_detail_matches_the_highlighted_row_after_rapid_moves(make_app) -> None:
    app = make_app(COORD, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_tasks(pilot)
        table = screen.query_one("#tasks", DataTable)
        await pilot.press(*["down"] * 12, "up", *["down"] * 5)  # faster than the detail loads
        await settle(pilot)
        highlighted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        assert table.cursor_row == 16
        detail = screen.detail().data
        assert detail is not None and detail.id == highlighted == screen.task_id
        assert screen.detail_is_current() and screen.check_action("ack", ()) is True
        await pilot.press("end", "home", "pagedown")
        await settle(pilot)
        highlighted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        assert screen.detail().data is not None and screen.detail().data.id == highlighted


@sync
async def test_actions_are_disabled_while_the_detail_is_stale(make_app, sessions) -> None:
    app = make_app(COORD, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_tasks(pilot)
        table = screen.query_one("#tasks", DataTable)
        shown = screen.detail().data
        assert shown is not None and screen.check_action("ack", ()) is True
        other = int(table.coordinate_to_cell_key(table.cursor_coordinate.down()).row_key.value or 0)
        ctx, gate = app.ctx, threading.Event()

        def slow_detail(session: Session) -> object:  # the detail query of a slow (national) database
            gate.wait(10)
            return task_detail(
                session, task_id=other, as_of=ctx.today, warning_days=ctx.warning_days, scope=Scope()
            )

        screen.task_id = other  # the cursor moved on; its detail is still loading
        screen.load("detail", slow_detail)
        screen.refresh_bindings()
        await pilot.pause(0.05)
        assert screen.detail().data is shown  # still the previous task (dimmed) …
        assert screen.detail().has_class("-stale") and screen.query_one("#loading").display
        assert not screen.detail_is_current()
        assert screen.check_action("ack", ()) is None and screen.check_action("report", ()) is None
        assert screen.check_action("sort", ()) is True  # list keys still work
        with sessions() as s:
            events = s.scalar(select(func.count()).select_from(AuditEvent))
        await pilot.press("a", "r", "v")  # … so its keys do nothing
        await pilot.pause(0.1)
        assert app.screen is screen
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent)) == events
        gate.set()
        await settle(pilot)
        assert screen.detail().data is not None and screen.detail().data.id == other
        assert screen.check_action("ack", ()) is True


# ------------------------------------------------------------------------------------ keyset pages


def _offset_pages(
    session: Session, *, sort: str, descending: bool, limit: int, text: str = ""
) -> list[list[int]]:
    """The 任务 list's pages as it used to read them (ORDER BY … LIMIT … OFFSET, the lights recomputed for
    every page): the reference the keyset pages must equal."""
    tl = task_lights(session, TODAY, 5, Scope()).subquery("tl")
    lead_name = (
        select(func.min(Responsibility.name_as_written))
        .where(Responsibility.task_id == Task.id, Responsibility.role == "lead")
        .correlate(Task)
        .scalar_subquery()
    )
    stmt = select(Task.id).join(tl, tl.c.task_id == Task.id).join(Policy, Policy.id == Task.policy_id)
    if text:
        stmt = stmt.where(Task.text.like(f"%{text}%"))
    orders = {
        "light": (tl.c.rank,),
        "next_due": (tl.c.next_due,),
        "policy": (Policy.issued, Policy.id, Task.position),
        "number": (Task.section, Task.number),
        "lead": (lead_name,),
    }
    order_by = [k.desc() if descending else k.asc() for k in orders[sort]]
    if sort == "light":
        order_by.append(tl.c.next_due.asc())
    pages, offset = [], 0
    while True:
        ids = list(
            session.scalars(stmt.order_by(*order_by, Policy.id, Task.position).limit(limit).offset(offset))
        )
        if not ids:
            return pages
        pages.append(ids)
        offset += limit


def _keyset_pages(
    session: Session, *, sort: str, descending: bool, limit: int, text: str = ""
) -> list[list[int]]:
    index = task_index(session, as_of=TODAY, warning_days=5, scope=Scope())
    args = {"as_of": TODAY, "warning_days": 5, "scope": Scope(), "index": index}
    pages: list[list[int]] = []
    page, last = None, None
    while page is None or page.rows:
        last = page
        page = task_page(
            session,
            sort=sort,
            descending=descending,
            limit=limit,
            text=text,
            after=page and page.last,
            **args,
        )
        assert page.offset == sum(len(p) for p in pages)
        if page.rows:
            pages.append([r.id for r in page.rows])
    # and backwards: from the last page, each page "before" is the page shown before it
    back = []
    while last is not None and last.offset > 0:
        last = task_page(
            session, sort=sort, descending=descending, limit=limit, text=text, before=last.first, **args
        )
        back.append([r.id for r in last.rows])
    assert back[::-1] == pages[:-1]
    return pages


def _compare(factory, limit: int) -> int:  # noqa: ANN001 - a sessionmaker
    compared = 0
    with factory() as s:
        for sort in SORT_CYCLE:
            for descending in (False, True):
                keyset = _keyset_pages(s, sort=sort, descending=descending, limit=limit)
                assert keyset == _offset_pages(s, sort=sort, descending=descending, limit=limit), (
                    sort,
                    descending,
                )
                compared += sum(len(p) for p in keyset)
        for needle in ("妇女", "培训"):
            keyset = _keyset_pages(s, sort="light", descending=True, limit=limit, text=needle)
            old = _offset_pages(s, sort="light", descending=True, limit=limit, text=needle)
            # the filter also matches numbers, policies and parties: every old match is there, in the same order
            old_ids = [i for p in old for i in p]
            flat = [i for p in keyset for i in p]
            assert [i for i in flat if i in set(old_ids)] == old_ids and old_ids
    return compared


def test_keyset_pages_equal_offset_pages(sessions) -> None:
    assert _compare(sessions, limit=7) > 0


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from duban.cli.main import cli

    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "demo", "--db", str(db), "--no-open", "--today", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.departments
def test_keyset_pages_equal_offset_pages_on_the_demo_database(demo_db: Path) -> None:
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        assert _compare(session_factory(engine), limit=PAGE) > 0
        assert _compare(session_factory(engine), limit=13) > 0
    finally:
        engine.dispose()


@pytest.mark.departments
@sync
async def test_paging_sorting_and_filtering_the_demo_database_end_to_end(demo_db: Path) -> None:
    """From `duban demo` to the screen: ] and [ walk keyset pages equal to the old offset pages."""
    from duban.services.identity import Actor
    from duban.tui.app import create_app

    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        factory = session_factory(engine)
        with factory() as s:
            coordinator = s.scalar(text("SELECT name FROM app_user WHERE role = 'coordinator' LIMIT 1"))
        app = create_app(
            session_factory=factory,
            host=PluginHost.load(),
            actor=Actor(coordinator, "coordinator"),
            today=TODAY,
            start="tasks",
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_tasks(pilot)
            table = screen.query_one("#tasks", DataTable)
            await pilot.press("s", "s")  # light → next due → policy
            await settle(pilot)
            with factory() as s:
                expected = _offset_pages(s, sort="policy", descending=False, limit=PAGE)
            seen = []
            for number, page in enumerate(expected):
                assert [int(k.value or 0) for k in table.rows] == page, number
                info = str(screen.query_one("#page-info", Static).content)
                assert info.startswith(f"第 {number * PAGE + 1}-{number * PAGE + len(page)} 条")
                seen.append(page)
                await pilot.press("right_square_bracket")
                await settle(pilot)
            assert [int(k.value or 0) for k in table.rows] == expected[-1]  # no page after the last
            if len(expected) > 1:
                await pilot.press("left_square_bracket")
                await settle(pilot)
                assert [int(k.value or 0) for k in table.rows] == expected[-2]
            highlighted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
            assert screen.detail().data is not None and screen.detail().data.id == highlighted
    finally:
        engine.dispose()


def test_interrupt_stops_a_running_statement_on_both_engines(empty_db_url: str) -> None:
    """The engine-level stop that cancellation relies on: SQLite's progress handler, PostgreSQL's cancel."""
    from duban.tui.base import Interrupt

    engine = make_engine(empty_db_url)
    endless = "SELECT pg_sleep(120)" if engine.dialect.name == "postgresql" else SPIN
    interrupt, started, outcome = Interrupt(), threading.Event(), []

    def run() -> None:
        with Session(engine) as session:
            interrupt.attach(session)
            started.set()
            try:
                session.execute(text(endless))
                outcome.append("finished")
            except Exception as exc:
                outcome.append(exc)
            finally:
                interrupt.detach()

    try:
        worker = threading.Thread(target=run)
        worker.start()
        assert started.wait(10)
        worker.join(0.5)
        assert worker.is_alive()  # the statement runs …
        interrupt.cancel()
        worker.join(20)
        assert not worker.is_alive() and outcome  # … until it is cancelled
        assert isinstance(outcome[0], Exception)
        with Session(engine) as session:  # the connection goes back to the pool unhooked and usable
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
