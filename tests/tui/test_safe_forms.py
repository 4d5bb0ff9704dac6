"""Safe forms: the focus starts on the first field, 提交/取消 stay visible at 80x24, every decision and 提醒全部
asks first naming its consequence (ctrl+s too), esc on a changed form asks before discarding."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import func, select
from textual.widgets import Button, Input, TextArea

from duban.storage.models import AuditEvent, Extension, OutboxMessage, Report
from duban.tui.confirm import DISCARD_QUESTION, ConfirmScreen
from duban.tui.screens.tasks import TaskDetailScreen
from duban.tui.widgets import DecisionForm, ExtensionForm, ReportForm, ReviewForm
from tests.tui.helpers import open_task_and_press, screen_text, settle, sync
from tests.tui.world import COORD, FROZEN, MZ

SIZE = (150, 45)


def _last_audit(sessions) -> int | None:  # noqa: ANN001 - sessionmaker
    with sessions() as s:
        return s.scalar(select(func.max(AuditEvent.seq)))


@pytest.mark.parametrize(
    ("actor", "key", "form", "first"),
    [
        (MZ, "r", ReportForm, "#milestone"),
        (MZ, "e", ExtensionForm, "#milestone"),
        (COORD, "v", ReviewForm, "#report"),
        (COORD, "d", DecisionForm, "#extension"),
    ],
    ids=["report", "extension", "review", "decision"],
)
@sync
async def test_a_form_opens_with_the_focus_on_its_first_field(
    make_app, world, actor, key, form, first
) -> None:
    app = make_app(actor, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, key)
        screen = app.screen
        assert isinstance(screen, form)
        assert screen.focused is screen.query_one(first)
        # Tab goes field to field, never to an invisible stop (the scrolling container)
        await pilot.press("tab")
        assert screen.focused is not None and screen.focused.id not in (None, "form-fields")


@sync
async def test_tab_order_of_the_report_form(make_app, world) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "r")
        form = app.screen
        assert isinstance(form, ReportForm)
        order = [form.focused.id]
        for _ in range(len(form.specs) + 4):
            await pilot.press("tab")
            order.append(form.focused.id)
        indicators = [f"ind-{i}" for i in range(len(form.specs))]
        assert order == ["milestone", "text", *indicators, "final", "submit", "cancel"]
        # shift+tab walks back the same way; typing goes into the field, nothing is lost
        for expected in reversed(order[:-1]):
            await pilot.press("shift+tab")
            assert form.focused.id == expected
        await pilot.press("tab")
        await pilot.press(*"已完成")
        assert form.query_one("#text", TextArea).text == "已完成"


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)], ids=["80x24", "100x30", "160x45"])
@sync
async def test_submit_and_cancel_stay_visible(make_app, world, size) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=size) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "r")
        form = app.screen
        assert isinstance(form, ReportForm)
        screen_region = form.region
        fields = form.query_one("#form-fields")
        for button_id in ("#submit", "#cancel"):
            button = form.query_one(button_id, Button)
            region = button.region
            assert region.height == 3 and region.width > 0, (button_id, region)
            assert screen_region.contains_region(region), (button_id, region, screen_region)
            assert form.query_one("#form").content_region.contains_region(region)  # not clipped by the form
            assert not region.overlaps(fields.region)  # below the fields, not under them
        assert "ctrl+s 提交" in screen_text(app)
        if size[1] < 45:  # the fields scroll instead of pushing the buttons off screen
            assert fields.max_scroll_y > 0
            form.query_one("#final").focus()  # the last field: scrolled into view, the buttons stay put
            await pilot.pause(0.1)
            assert fields.scroll_y > 0
            assert screen_region.contains_region(form.query_one("#submit", Button).region)


@sync
async def test_esc_on_a_changed_form_asks_first(make_app, world, sessions) -> None:
    before = _last_audit(sessions)
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        # unchanged: esc closes at once
        await open_task_and_press(pilot, app, world.mz_task, "r")
        assert isinstance(app.screen, ReportForm)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        # changed: esc asks; 否 keeps what was typed
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        await pilot.press("tab")
        await pilot.press(*"写了一半的报送")
        assert form.query_one("#text", TextArea).text == "写了一半的报送"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == DISCARD_QUESTION
        assert DISCARD_QUESTION in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and form.query_one("#text", TextArea).text == "写了一半的报送"
        # the 取消 button asks too; 是 discards
        await pilot.click("#cancel")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
    assert _last_audit(sessions) == before  # nothing written


@sync
async def test_ctrl_s_on_a_decision_asks_and_names_the_focused_decision(make_app, world, sessions) -> None:
    before = _last_audit(sessions)
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "d")
        form = app.screen
        assert isinstance(form, DecisionForm)
        await pilot.press("tab")
        assert form.focused is form.query_one("#reason", Input)
        await pilot.press(*"材料不全")
        await pilot.press("tab", "tab")  # 批准, then 驳回
        assert form.focused is form.query_one("#refuse", Button)
        await pilot.press("ctrl+s")  # means the focused 驳回, never 批准 — and asks
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.startswith("驳回延期申请") and app.screen.yes == "驳回"
        assert "原到期日" in app.screen.consequence
        await pilot.press("n")
        await settle(pilot)
        form.query_one("#reason", Input).focus()
        await pilot.press("ctrl+s")  # from a field: the first decision, named
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question.startswith("批准延期申请")
        assert "2026-07-09 改为 2026-08-31" in app.screen.consequence
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form
    with sessions() as s:
        assert s.get(Extension, world.pending_extension).state == "pending"
    assert _last_audit(sessions) == before


@sync
async def test_review_confirms_both_decisions_and_cancel_changes_nothing(make_app, world, sessions) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "v")
        form = app.screen
        assert isinstance(form, ReviewForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question.startswith("通过报送")
        assert "不能撤销" in app.screen.consequence
        await pilot.press("n")
        await settle(pilot)
        form.query_one("#reason", Input).value = "数据口径不一致"
        await pilot.click("#return")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question.startswith("退回报送")
        await pilot.click("#no")
        await settle(pilot)
        assert app.screen is form
    with sessions() as s:
        assert s.get(Report, world.pending_report).review_state == "submitted"


@sync
async def test_remind_all_asks_first(make_app, world, sessions) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "m")
        assert isinstance(app.screen, ConfirmScreen)
        assert "所有部门" in app.screen.question and "不能撤回" in app.screen.consequence
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing planned or sent


@sync
async def test_a_department_user_is_refused_without_a_confirmation(make_app, world, sessions) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "m")
        assert isinstance(app.screen, TaskDetailScreen)  # nothing to confirm for someone who may not send


@sync
async def test_the_import_review_editor_asks_before_discarding(tmp_path) -> None:
    from textual.app import App

    from duban.tui.review import TaskEditor

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(TaskEditor("三", "原文"))

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.screen
        assert editor.focused is editor.query_one("#number", Input)
        await pilot.press("escape")  # unchanged: closes
        await pilot.pause(0.05)
        assert not isinstance(app.screen, TaskEditor)
        app.push_screen(TaskEditor("三", "原文"))
        await pilot.pause(0.05)
        await pilot.press("4")
        await pilot.press("escape")
        await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == DISCARD_QUESTION


# ------------------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_report_form_snapshot(snap_compare, make_app, world, size) -> None:
    async def open_form(pilot) -> None:  # noqa: ANN001 - textual.pilot.Pilot
        await open_task_and_press(pilot, pilot.app, world.mz_task, "r")
        await pilot.pause(0.3)

    with time_machine.travel(FROZEN, tick=False):
        assert snap_compare(make_app(MZ, start="policies"), terminal_size=size, run_before=open_form)


@sync
async def test_the_agency_picker_keeps_its_buttons_at_80x24(tui_host) -> None:
    from textual.app import App
    from textual.widgets import SelectionList

    from duban.services.importing import registry_from
    from duban.tui.review import AgencyPicker

    registry = registry_from(tui_host)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(AgencyPicker("指定部门", registry, "province"))

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        picker = app.screen
        assert picker.focused is picker.query_one("#agencies", SelectionList)
        dialog = picker.query_one("#dialog").content_region  # inside the dialog, not clipped by it
        for button_id in ("#ok", "#cancel"):
            assert dialog.contains_region(picker.query_one(button_id, Button).region), button_id
        picker.query_one("#agencies", SelectionList).select(registry.keys()[0])
        await pilot.press("escape")  # something chosen: asks first
        await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == DISCARD_QUESTION
