"""导入预览 (duban import --review) driven by Pilot: correct, then write or discard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from textual.widgets import DataTable, SelectionList

from duban.plugin_host import PluginHost
from duban.services.importing import ImportResult
from duban.services.setup import prepare_database
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AgencyAlias, Policy, Responsibility, Task
from duban.tui.review import AgencyPicker, ConfirmScreen, ImportReviewScreen, ReviewApp, create_review_app
from tests.tui.helpers import rows, screen_text, settle, sync
from tests.tui.world import COORD

COUNTY = """某县人民政府办公室关于印发某县留守妇女关爱服务工作任务分工的通知

某政办发〔2024〕3号

一、建立信息台账，每季度更新一次。（县民政局牵头，县有关部门配合）
二、开展体育健身活动。（县教体局牵头，县妇联配合）
三、加强法律援助。（县司法局负责）

某县人民政府办公室
2024年3月1日
"""


@pytest.fixture
def engine(tmp_path: Path, tui_host: PluginHost):
    eng = make_engine(f"sqlite:///{tmp_path / 'review.db'}")
    prepare_database(eng, host=tui_host)
    yield eng
    eng.dispose()


def build(engine: Engine, host: PluginHost, tmp_path: Path) -> ReviewApp:
    path = tmp_path / "county.txt"
    path.write_text(COUNTY, encoding="utf-8")
    return create_review_app(
        session_factory=session_factory(engine),
        host=host,
        actor=COORD,
        path=path,
        options={"jurisdiction": "530000", "today": dt.date(2024, 3, 5)},
    )


def parties(app: ReviewApp) -> list[list[str]]:
    return rows(app.screen.query_one("#review-parties", DataTable))


async def pick(pilot, keys: list[str]) -> None:  # noqa: ANN001 - Pilot
    picker = pilot.app.screen
    assert isinstance(picker, AgencyPicker)
    for key in keys:
        picker.query_one("#agencies", SelectionList).select(key)
    await pilot.click("#ok")
    await settle(pilot)


async def go_to_task(pilot, number: str) -> None:  # noqa: ANN001 - Pilot
    """Highlight the task with ``number`` (rows are re-sorted, doubtful first, after each edit), then the parties."""
    table = pilot.app.screen.query_one("#review-tasks", DataTable)
    table.focus()
    table.move_cursor(row=[r[1] for r in rows(table)].index(number))
    await settle(pilot)
    await pilot.press("tab")


@sync
async def test_resolve_a_group_map_a_name_change_a_role_then_write(
    engine: Engine, tui_host: PluginHost, tmp_path: Path
) -> None:
    app = build(engine, tui_host, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportReviewScreen)
        assert [r[1] for r in rows(screen.query_one("#review-tasks", DataTable))] == ["一", "二", "三"]
        assert parties(app)[1][:2] == ["县有关部门", "配合"] and parties(app)[1][2] == "泛指的单位（待指定）"

        # task 一: the vague group 县有关部门 → 县卫生健康局 and 县妇联, both supporting
        await pilot.press("tab", "down")  # the parties table, second row
        await pilot.press("g")
        await settle(pilot)
        await pick(pilot, ["weijian", "fulian"])
        assert [(r[1], r[2], r[3]) for r in parties(app)] == [
            ("牵头", "部门", "minzheng"),
            ("配合", "部门", "weijian"),
            ("配合", "部门", "fulian"),
        ]

        # task 二: 县教体局 is 体育 (remembered as an alias); 县妇联 shares the task instead of supporting
        await go_to_task(pilot, "二")
        assert parties(app)[0][0] == "县教体局" and parties(app)[0][3] == "-"
        await pilot.press("g")
        await settle(pilot)
        await pick(pilot, ["tiyu"])
        assert parties(app)[0] == ["县教体局", "牵头", "部门", "tiyu"]
        await pilot.press("down", "r")  # 配合 → 共同负责
        assert parties(app)[1][:2] == ["县妇联", "共同负责"]

        with session_factory(engine)() as s:  # nothing written before 写入
            assert s.scalar(select(func.count()).select_from(Policy)) == 0

        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, rounds=8)
    result = app.return_value
    assert isinstance(result, ImportResult) and result.status == "created"

    with session_factory(engine)() as s:
        stored = {
            (t.number, r.name_as_written, r.agency_key, r.role.value)
            for t in s.scalars(select(Task).where(Task.policy_id == result.policy_id))
            for r in t.responsibilities
        }
        assert {(x[2], x[3]) for x in stored if x[0] == "一"} == {
            ("minzheng", "lead"),
            ("weijian", "support"),
            ("fulian", "support"),
        }
        assert ("二", "县教体局", "tiyu", "lead") in stored
        assert ("二", "县妇联", "fulian", "joint") in stored
        assert not any(x[1] == "县有关部门" for x in stored)
        assert {a.name: a.agency_key for a in s.scalars(select(AgencyAlias))} == {"县教体局": "tiyu"}


@sync
async def test_discard_asks_when_edited_and_writes_nothing(
    engine: Engine, tui_host: PluginHost, tmp_path: Path
) -> None:
    app = build(engine, tui_host, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "m")  # merge task 二 into 一
        assert [r[1] for r in rows(app.screen.query_one("#review-tasks", DataTable))] == ["一", "三"]
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # there are edits: asks first
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ImportReviewScreen)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_value is None
    with session_factory(engine)() as s:
        for model in (Policy, Task, Responsibility, AgencyAlias):
            assert s.scalar(select(func.count()).select_from(model)) == 0


@sync
async def test_discard_without_edits_leaves_at_once(
    engine: Engine, tui_host: PluginHost, tmp_path: Path
) -> None:
    app = build(engine, tui_host, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running
    assert app.return_value is None


@sync
async def test_doubtful_tasks_come_first_with_their_doubts(
    engine: Engine, tui_host: PluginHost, tmp_path: Path
) -> None:
    import dataclasses

    from duban.domain.vocabulary import ParseDoubt
    from duban.importing.model import Doubt

    app = build(engine, tui_host, tmp_path)
    # only task 三 doubtful: the parser's own doubts on 一 (a vague group) and 二 (an unknown name) removed
    tasks = [dataclasses.replace(t, doubts=()) for t in app.document.tasks]
    tasks[2] = dataclasses.replace(
        tasks[2], doubts=(Doubt(ParseDoubt.GUESSED_ROLE, "条款未写明角色，按牵头理解", "县司法局"),)
    )
    app.document = dataclasses.replace(app.document, tasks=tuple(tasks))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        table = rows(app.screen.query_one("#review-tasks", DataTable))
        assert [(r[0], r[1]) for r in table] == [("角色系推断", "三"), ("-", "一"), ("-", "二")]
        assert "1 项存疑" in screen_text(app) and "条款未写明角色，按牵头理解" in screen_text(app)
        await pilot.press("tab", "r")  # 牵头 → 配合: the guessed-role doubt is answered
        assert rows(app.screen.query_one("#review-tasks", DataTable))[0][:2] == ["-", "一"]
        assert "有未写入的改动" in screen_text(app)
