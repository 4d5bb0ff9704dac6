"""Pilot tests: every screen opens, every action runs through the services, a department user stays in
their own work. Each test gets its own copy of the seed world (tests/tui/world.py)."""

from __future__ import annotations

import datetime as dt
import io
import sys

from rich.console import Console
from sqlalchemy import select
from textual.widgets import Checkbox, DataTable, Input, Select, TextArea

from duban.services.status import Scope, overdue_page, summary
from duban.storage.models import (
    AuditEvent,
    Extension,
    NotificationAttempt,
    OutboxMessage,
    Report,
    Responsibility,
)
from duban.tui.confirm import ConfirmScreen
from duban.tui.keys import KeysScreen
from duban.tui.palette import DubanCommands
from duban.tui.screens.assessment import AssessmentScreen
from duban.tui.screens.department import DepartmentScreen
from duban.tui.screens.inbox import InboxScreen
from duban.tui.screens.notifications import NotificationsScreen
from duban.tui.screens.overview import OverviewScreen
from duban.tui.screens.policies import PoliciesScreen
from duban.tui.screens.tasks import TaskDetailScreen, TasksScreen
from duban.tui.widgets import DecisionForm, ExtensionForm, ReportForm, ReviewForm
from tests.tui.helpers import open_task_and_press, rows, screen_text, settle, shows, sync
from tests.tui.world import COORD, FL, MZ, TODAY

SIZE = (150, 45)


@sync
async def test_overview_counts_ranked_departments_and_grouped_overdue(make_app, sessions) -> None:
    with sessions() as s:
        expected = summary(s, as_of=TODAY, scope=Scope())
    app = make_app(COORD, start="overview")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        text = screen_text(app)
        assert f"红 {expected.tasks.red}" in text and f"已办结 {expected.tasks.done}" in text
        depts = rows(app.screen.query_one("#departments", DataTable))
        assert {r[1] for r in depts} >= {"云南省民政厅", "云南省妇联", "云南省公安厅"}  # names at their level
        assert all(
            r[4] in ("红", "黄", "绿", "结") for r in depts
        )  # a light is a character, not colour alone
        severities = [int(r[2]) for r in depts]
        assert severities == sorted(severities, reverse=True)  # worst first (docs/dashboard.md, 总览)
        assert "2025Q2末 至 2026-05-15" in text  # the chart of the highlighted department spans the periods
        overdue = rows(app.screen.query_one("#overdue", DataTable))
        days = [int(r[0].split(" ")[0]) for r in overdue]
        assert overdue and days == sorted(days, reverse=True)
        with sessions() as s:  # the panel says how many there are, not only the rows it shows
            all_overdue = overdue_page(s, as_of=TODAY, scope=Scope(), limit=1).total
        assert sum(int(r[4]) for r in overdue) <= all_overdue
        assert f"逾期 {all_overdue} 项，合并为" in screen_text(app)
        # choose a policy: the counts follow
        select = app.screen.query_one("#policy", Select)
        yunnan = next(v for label, v in select._options if "云民发" in str(label))
        select.value = yunnan
        await settle(pilot)
        with sessions() as s:
            only = summary(s, as_of=TODAY, scope=Scope(policy_id=int(yunnan)))
        assert f"红 {only.tasks.red}" in screen_text(app)
        # enter on a department opens its view
        app.screen.query_one("#departments", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentScreen) and app.screen.agency is not None


@sync
async def test_every_screen_opens_with_its_content(make_app, world) -> None:
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)  # the coordinator lands on 待办
        expected = {
            "3": TasksScreen,
            "4": DepartmentScreen,
            "5": AssessmentScreen,
            "6": PoliciesScreen,
            "7": NotificationsScreen,
            "2": OverviewScreen,
            "1": InboxScreen,
        }
        for key, cls in expected.items():
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, cls), key
            text = screen_text(app)
            if cls is TasksScreen:
                assert "共 74 条" in text and app.screen.query_one("#tasks", DataTable).row_count == 74
            elif cls is PoliciesScreen:
                assert app.screen.query_one("#policies", DataTable).row_count == 5
                linked = rows(app.screen.query_one("#ptasks", DataTable))
                assert linked and all(
                    r[2] == "尚未关联" for r in linked
                )  # the national policy implements nothing
            elif cls is NotificationsScreen:
                assert "共 0 条，其中失败 0 条" in text
            elif cls is AssessmentScreen:
                assert app.screen.query_one("#scores", DataTable).row_count > 5
                assert app.screen.query_one("#terms", DataTable).row_count > 0


@sync
async def test_policies_show_which_parent_tasks_are_implemented(make_app, world) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(pilot)
        app.screen.select_policy(world.yunnan_policy)
        await settle(pilot)
        linked = rows(app.screen.query_one("#ptasks", DataTable))
        assert linked[0][2] == "民发〔2019〕86号 一" and linked[1][2] == "尚未关联"
        app.screen.query_one("#ptasks", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        assert "落实上级任务：民发〔2019〕86号 一" in screen_text(app)


@sync
async def test_tasks_filter_sort_and_detail(make_app, world) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash")
        assert app.screen.focused is app.screen.query_one("#filter", Input)
        await pilot.press(*"巾帼", "enter")
        await settle(pilot)
        table = app.screen.query_one("#tasks", DataTable)
        assert 0 < table.row_count < 10 and "共" in screen_text(app)
        await pilot.press("escape")
        app.screen.query_one("#filter", Input).value = ""
        await pilot.press("slash", "enter")
        await settle(pilot)
        assert table.row_count == 74
        await pilot.press("s")  # light → next due
        await settle(pilot)
        assert "排序：下次到期升序" in screen_text(app)
        dues = [r[6] for r in rows(table) if r[6] != "-"]
        assert dues == sorted(dues)
        await pilot.press("o")
        await settle(pilot)
        assert "排序：下次到期降序" in screen_text(app)
        # the detail pane follows the cursor: full text, responsibilities, milestones, reports, audit
        app.screen.select_task(world.mz_task)
        await settle(pilot)
        console = Console(width=150, record=True, file=io.StringIO())
        console.print(app.screen.detail().query_one("#detail-body").content)
        body = console.export_text()
        assert "督办节点" in body and "2025-Q4" in body and "审计记录" in body and "退回报送" in body
        detail = app.screen.detail().data
        assert detail is not None and detail.id == world.mz_task
        resp = next(r for r in detail.responsibilities if r.id == world.mz_resp)
        assert [r.review for r in resp.reports] == ["submitted", "returned"]  # newest first
        assert resp.extensions[0].state == "pending"


@sync
async def test_department_user_lands_on_own_work_and_sees_nothing_else(make_app, world, sessions) -> None:
    app = make_app(MZ)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DepartmentScreen) and screen.agency == "minzheng"
        assert screen.query_one("#agency", Select).disabled
        lead = screen.query_one("#lead", DataTable)
        assert lead.row_count > 0
        with sessions() as s:
            task_ids = {int(k.value.split("-")[0]) for k in lead.rows}
            agencies = {
                r.agency_key
                for r in s.scalars(
                    select(Responsibility).where(
                        Responsibility.task_id.in_(task_ids),
                        Responsibility.agency_key == "minzheng",
                        Responsibility.jurisdiction_code == "530000",
                    )
                )
            }
        assert agencies == {"minzheng"}
        assert "云南省民政厅" in screen_text(app)  # the department by name, not key and code
        app.open_department("fulian")
        await settle(pilot)
        assert screen.agency == "minzheng"
        # the task table holds only tasks where minzheng (Yunnan) has a part
        await pilot.press("3")
        await settle(pilot)
        tasks = app.screen.query_one("#tasks", DataTable)
        assert 0 < tasks.row_count < 30 and all("云民发" in r[1] for r in rows(tasks))
        # another agency's task: not shown, and its detail is refused
        app.open_task(world.fl_task)
        await settle(pilot)
        assert "不属于本部门" in screen_text(app)
        await pilot.press("a")  # nothing selected: nothing happens
        await settle(pilot)
        await pilot.press("escape")
        # the command palette finds nothing outside their work
        provider = DubanCommands(app.screen)
        hits = [h async for h in provider.search("妇联")]
        assert not [h for h in hits if "部门 妇联" in str(h.text)]
        # a coordinator's action: its key is neither shown nor run (the service would refuse it anyway)
        app.open_task(world.mz_task)
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and not isinstance(app.screen, ReviewForm)
    with sessions() as s:
        assert s.get(Report, world.pending_report).review_state == "submitted"


@sync
async def test_acknowledge(make_app, world, sessions) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "a")
        assert "已签收" in rows(app.screen.query_one("#resps", DataTable))[0][4]
        await pilot.press("a")  # twice: the service refuses, the message says why
        await settle(pilot)
        assert await shows(pilot, "无需签收")
    with sessions() as s:
        assert s.get(Responsibility, world.mz_resp).state == "acknowledged"
        assert (
            s.scalar(
                select(AuditEvent.actor)
                .where(AuditEvent.action == "responsibility.acknowledge")
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )
            == "mz"
        )


@sync
async def test_report_form_shows_check_errors_then_submits(make_app, world, sessions) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "r")
        form = app.screen
        assert isinstance(form, ReportForm)
        milestone = form.query_one("#milestone", Select)
        assert milestone.value != world.mz_open_milestone  # the returned 2025-Q4 report comes first
        milestone.value = world.mz_open_milestone
        specs = [s.key for s in form.specs]
        total, low = specs.index("minzheng.ledger_total"), specs.index("minzheng.ledger_low_income")
        await pilot.click("#text")
        await pilot.press(*"完成摸底排查")  # typing Chinese into the form
        assert form.query_one("#text", TextArea).text == "完成摸底排查"
        form.query_one(f"#ind-{total}", Input).value = "十二"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReportForm) and await shows(pilot, "不是整数")
        form.query_one(f"#ind-{total}", Input).value = "12"
        form.query_one(f"#ind-{low}", Input).value = "30"  # a part larger than its whole: the plugin refuses
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReportForm) and await shows(pilot, "报送未通过检查")
        form.query_one(f"#ind-{low}", Input).value = "3"
        form.query_one("#final", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        assert await shows(pilot, "已报送")
        reports = app.screen.detail().data.responsibilities[0].reports
        assert reports[0].text == "完成摸底排查" and reports[0].indicators["minzheng.ledger_total"] == 12

    with sessions() as s:
        rep = s.scalars(select(Report).where(Report.milestone_id == world.mz_open_milestone)).one()
        assert rep.submitted_by == "mz" and rep.submitted_on == TODAY


@sync
async def test_extension_request_then_approve_and_refuse(make_app, world, sessions) -> None:
    app = make_app(MZ, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "e")
        form = app.screen
        assert isinstance(form, ExtensionForm)
        form.query_one("#new_date", Input).value = "2026-05-40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await shows(pilot, "YYYY-MM-DD")
        form.query_one("#new_date", Input).value = "2026-06-05"
        form.query_one("#reason", Input).value = "汛期道路中断"
        form.query_one("#progress", Input).value = "已完成三个县"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and await shows(pilot, "已申请延期")
    with sessions() as s:
        new = s.scalars(
            select(Extension).where(Extension.state == "pending").order_by(Extension.id.desc())
        ).first()
        assert new is not None and new.id != world.pending_extension and new.requested_by == "mz"

    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_task(world.mz_task)
        await settle(pilot)
        for button in ("approve", "refuse"):
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, DecisionForm)
            await pilot.click(f"#{button}")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)  # a decision asks first
            await pilot.press("y")
            await settle(pilot)
            assert isinstance(app.screen, TaskDetailScreen)
    with sessions() as s:
        states = [e.state for e in s.scalars(select(Extension).order_by(Extension.id))]
        assert states == ["approved", "refused"]


@sync
async def test_review_return_needs_a_reason_then_accept(make_app, world, sessions) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "v")
        form = app.screen
        assert isinstance(form, ReviewForm)
        await pilot.click("#return")
        await settle(pilot)
        assert await shows(pilot, "必须说明理由")
        form.query_one("#reason", Input).value = "请补充分县人数"
        await pilot.click("#return")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and await shows(pilot, "已退回")
        await pilot.press("v")
        await settle(pilot)
        assert await shows(pilot, "没有待复核的报送")
        await pilot.press("escape")
    with sessions() as s:
        rep = s.get(Report, world.pending_report)
        assert (
            rep.review_state == "returned"
            and rep.review_reason == "请补充分县人数"
            and rep.reviewed_by == "coord"
        )


@sync
async def test_remind_now_runs_in_a_thread_and_notifications_list_failures_first(make_app, sessions) -> None:
    with sessions() as s:
        ok = OutboxMessage(
            idempotency_key="k1",
            kind="digest",
            receiver="dept:minzheng",
            level="yellow",
            subject="【督办】民政 预警",
            body="…",
            state="sent",
            attempts=1,
        )
        bad = OutboxMessage(
            idempotency_key="k2",
            kind="digest",
            receiver="dept:fulian",
            level="red",
            subject="【督办】妇联 逾期",
            body="…",
            state="failed",
            attempts=2,
        )
        s.add_all([ok, bad])
        s.flush()
        s.add(
            NotificationAttempt(
                message_id=bad.id,
                url_redacted="mailto://127.0.0.1:2525",
                ok=False,
                permanent=True,
                detail="连接被拒绝",
            )
        )
        s.commit()
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        await settle(pilot)
        outbox = rows(app.screen.query_one("#outbox", DataTable))
        assert [r[1] for r in outbox] == ["发送失败", "已发送"]  # failures first
        assert "妇联" in outbox[0][4] and "民政" in outbox[1][4]
        text = screen_text(app)
        assert "失败 1 条" in text and "连接被拒绝" in text
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # 提醒全部 asks first
        await pilot.press("y")
        await settle(pilot, rounds=8)
        assert await shows(pilot, "提醒已运行")


@sync
async def test_assessment_is_sortable_and_guarded(make_app, monkeypatch) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        table = app.screen.query_one("#scores", DataTable)
        scores = [float(r[3]) for r in rows(table)]
        assert scores == sorted(scores, reverse=True)
        await pilot.press("s")  # by name
        await settle(pilot)
        await pilot.press("s")  # by on-time rate
        await settle(pilot)
        rates = [int(r[5].rstrip("%")) for r in rows(table)]
        assert rates == sorted(rates, reverse=True)
        assert rows(app.screen.query_one("#terms", DataTable))
    monkeypatch.setitem(sys.modules, "duban.services.assessment", None)  # not installed
    app = make_app(COORD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        assert "考核功能尚未安装" in screen_text(app)


@sync
async def test_department_user_sees_only_their_own_score(make_app) -> None:
    app = make_app(FL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(pilot)
        names = [r[1] for r in rows(app.screen.query_one("#scores", DataTable))]
        assert names == ["妇联"]


@sync
async def test_palette_finds_tasks_departments_and_policies(make_app, world) -> None:
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = DubanCommands(app.screen)
        labels = [str(h.text) for h in [h async for h in provider.search("妇联")]]
        assert any(label.startswith("部门 妇联") for label in labels)
        labels = [str(h.text) for h in [h async for h in provider.search("云民发")]]
        assert any(label.startswith("政策 云民发〔2020〕8号") for label in labels)
        hits = [h async for h in provider.search("巾帼")]
        task_hit = next(h for h in hits if str(h.text).startswith("任务"))
        task_hit.command()
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen) and "巾帼" in screen_text(app)
        await pilot.press("escape")
        dept = next(h for h in [h async for h in provider.search("公安")] if str(h.text).startswith("部门"))
        dept.command()
        await settle(pilot)
        assert isinstance(app.screen, DepartmentScreen) and app.screen.agency == "gongan"


@sync
async def test_keys_are_listed_and_remappable(make_app) -> None:
    app = make_app(COORD, keymap={"nav.tasks": "f2"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, KeysScreen)
        ids = {r[3] for r in rows(app.screen.query_one("#keys-table", DataTable))}
        assert {
            "task.report",
            "task.ack",
            "task.review",
            "task.decide",
            "task.extend",
            "nav.tasks",
            "table.next_page",
            "tasks.sort",
        } <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, TasksScreen)


def test_today_is_a_working_day_fixture() -> None:
    assert TODAY.weekday() < 5 and TODAY == dt.date(2026, 5, 15)


@sync
async def test_a_viewer_gets_no_report_form(make_app, world) -> None:
    """A viewer may not report: the key is neither shown nor run (it used to open a form that was refused)."""
    from tests.tui.world import VIEWER

    app = make_app(VIEWER, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await open_task_and_press(pilot, app, world.mz_task, "r")
        assert not isinstance(app.screen, ReportForm)
        assert "task.report" not in {b.binding.id for b in app.screen.active_bindings.values()}
