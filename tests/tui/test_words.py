"""Help and words (issue 18 item 6): Chinese everywhere (Textual's own words replaced or hidden), grouped help,
j/k/g/G and "/" on every list, jump to a task by "政策 编号", sort arrows, the active screen in the header,
only the keys a user may use, 按时率 不适用."""

from __future__ import annotations

import re

from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from duban.tui.keys import KeysScreen
from duban.tui.palette import NO_MATCHES
from duban.tui.screens.assessment import AssessmentScreen
from duban.tui.screens.department import DepartmentScreen
from duban.tui.screens.notifications import NotificationsScreen
from duban.tui.screens.policies import PoliciesScreen
from duban.tui.screens.tasks import TaskDetailScreen, TasksScreen
from duban.tui.text import percent
from tests.tui.helpers import rows, screen_text, settle, shows, sync
from tests.tui.world import COORD, MZ, YUNNAN

SIZE = (140, 40)
#: English words a person must not read on a screen (Textual's defaults and the old English labels)
DENY = re.compile(
    r"\b(No matches|matches found|Cursor|Search for|palette|Select|Page up|Page down|Home|End|Top|Bottom|"
    r"Quit|Keys|Screenshot|Theme|Maximize|minzheng|fulian|gongan|OperationalError|traceback)\b",
    re.IGNORECASE,
)
#: the screens a coordinator reaches by number, with the list each one's j/k/g/G moves
SCREENS = (
    ("3", TasksScreen, "#tasks"),
    ("4", DepartmentScreen, "#lead"),
    ("5", AssessmentScreen, "#scores"),
    ("6", PoliciesScreen, "#policies"),
    ("7", NotificationsScreen, "#outbox"),
)
NAMES = {"1": "待办", "2": "总览", "3": "任务", "4": "部门", "5": "考核", "6": "政策", "7": "通知"}


def english(text: str) -> list[str]:
    return DENY.findall(text)


@sync
async def test_screens_and_help_are_in_chinese(make_app) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in NAMES:
            await pilot.press(key)
            await settle(pilot)
            shown = screen_text(app)
            assert english(shown) == [], (key, english(shown))
            assert f"【{NAMES[key]}】" in shown, "the active screen is marked in the header"
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, KeysScreen)
            help_rows = rows(app.screen.query_one("#keys-table", DataTable))
            text = "\n".join(" ".join(r) for r in help_rows)
            assert english(" ".join(r[2] for r in help_rows)) == [], text
            groups = [r[0] for r in help_rows if r[0]]
            assert groups[0] == "导航" and "列表" in groups, groups
            assert len(groups) == len(set(groups)), "each group once, its keys together"
            assert "下一行" in text and "命令面板" in text
            await pilot.press("escape")
            await settle(pilot)


@sync
async def test_command_palette_speaks_chinese_and_jumps_to_a_task_by_policy_and_number(make_app) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        assert "文号 编号" in screen_text(app)  # the placeholder
        await pilot.press(*"zzqqxx")
        assert await shows(pilot, NO_MATCHES, timeout=3)
        assert "No matches" not in screen_text(app)
        for _ in range(6):
            await pilot.press("backspace")
        app.screen.query_one(Input).value = "民发〔2019〕86号 3"
        await settle(pilot, rounds=6)
        assert await shows(pilot, "任务 民发〔2019〕86号 三", timeout=3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        data = app.screen.detail().data
        assert data is not None and data.policy == "民发〔2019〕86号" and data.number == "三"


@sync
async def test_vim_keys_and_slash_on_every_list(make_app) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, kind, table_id in SCREENS:
            await pilot.press(key)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, kind)
            table = screen.query_one(table_id, DataTable)
            if table.row_count < 2:
                continue  # nothing to move through (the notification log of the seed world may be empty)
            table.focus()
            table.move_cursor(row=0)
            await pilot.press("j")
            assert table.cursor_row == 1, kind.__name__
            await pilot.press("k")
            assert table.cursor_row == 0
            await pilot.press("G")
            assert table.cursor_row == table.row_count - 1
            await pilot.press("g")
            assert table.cursor_row == 0
        for key, kind, _table_id in SCREENS:
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("slash")
            focused = app.screen.focused
            assert isinstance(focused, Input) and focused.id == "filter", kind.__name__
            await pilot.press("escape")
            await settle(pilot)


@sync
async def test_filter_on_policies_and_sort_arrow_on_tasks(make_app) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        table = app.screen.query_one("#policies", DataTable)
        before = table.row_count
        await pilot.press("slash", *"云民发", "enter")
        await settle(pilot)
        assert 0 < table.row_count < before
        assert all("云民发" in r[1] for r in rows(table))
        assert "云南省" in screen_text(app) and YUNNAN not in screen_text(app), "jurisdictions by name"
        await pilot.press("3")
        await settle(pilot)
        tasks = app.screen.query_one("#tasks", DataTable)
        labels = [c.label.plain for c in tasks.columns.values()]
        assert "灯▾" in labels, labels  # sorted by light, worst first
        await pilot.press("s")  # → next due, ascending
        await settle(pilot)
        labels = [c.label.plain for c in tasks.columns.values()]
        assert "下次到期▴" in labels and "灯" in labels, labels
        await pilot.press("o")
        await settle(pilot)
        assert "下次到期▾" in [c.label.plain for c in tasks.columns.values()]


@sync
async def test_department_user_sees_only_keys_they_may_use(make_app, world) -> None:
    app = make_app(MZ)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_task(world.mz_task)
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        ids = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "task.report" in ids and "task.ack" in ids
        assert not {"task.review", "task.decide", "task.remind"} & ids
        shown = screen_text(app)
        assert "复核" not in shown.splitlines()[-1] and "延期审批" not in shown.splitlines()[-1]
        await pilot.press("v")  # 复核: not theirs, nothing opens
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        text = " ".join(" ".join(r) for r in rows(app.screen.query_one("#keys-table", DataTable)))
        assert "报送" in text and "复核" not in text and "延期审批" not in text and "立即提醒" not in text
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentScreen)
        assert "云南省民政厅" in screen_text(app)


def test_no_rate_without_due_milestones() -> None:
    assert percent(None) == "不适用" and percent(0.0) == "0%"


def test_dashboard_messages_name_no_cli_options() -> None:
    from duban.errors import ValidationError
    from duban.tui.base import error_text

    assert error_text(ValidationError("退回报送必须说明理由（--reason）")) == "退回报送必须说明理由"
    text = error_text(
        ValidationError("此任务为本部门绑定了多个模板：甲、乙；请用 --template 指定按哪个模板报送")
    )
    assert "--" not in text and text.endswith("请指定按哪个模板报送")
    assert (
        error_text(ValidationError("延期申请必须写明理由（--reason）和目前进展（--progress）"))
        == "延期申请必须写明理由和目前进展"
    )


@sync
async def test_returning_a_report_without_reason_names_no_option(make_app, world) -> None:
    from tests.tui.helpers import open_task_and_press

    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "v")
        await pilot.click("#return")
        await settle(pilot)
        assert await shows(pilot, "必须说明理由", timeout=3)
        assert "--reason" not in str(app.screen.query_one("#error").content)
