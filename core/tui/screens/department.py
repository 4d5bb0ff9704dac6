"""部门: one agency's work — what it leads, what it supports, what it owes next, its findings.

A department user lands here and sees only their agency in their jurisdiction.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TabPane

from duban.domain.vocabulary import Role
from duban.tui.base import DubanScreen
from duban.tui.text import cell_text, clip, day, light, percent
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.check_results import CheckRunResult
    from duban.services.dashboard_results import FindingRow, OwedMilestone, ResponsibilityPage
    from duban.services.names import NameBook
    from duban.services.status_results import StatusSummary

LIMIT = 200
LEAD_TAB = f"{Role.LEAD.label}/{Role.JOINT.label}"  # the tab of responsibilities that colour a task


class DepartmentScreen(DubanScreen):
    AUTO_FOCUS = "#lead"
    HAS_FILTER = True

    def __init__(self) -> None:
        super().__init__()
        self.agency: str | None = None
        self.text = ""
        self.names: dict[str, str] = {}
        self._agencies_loaded = False

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="bar"):
            yield Select(
                [], id="agency", prompt="选择部门", allow_blank=True, disabled=self.ctx.is_department
            )
            yield Input(placeholder="/ 筛选：任务文字、编号或政策，回车确定", id="filter")
        yield Static("选择一个部门。", id="dept-summary")
        with TabbedContent(id="dept-tabs"):
            with TabPane(LEAD_TAB, id="tab-lead"):
                yield self._resp_table("lead")
            with TabPane(Role.SUPPORT.label, id="tab-support"):
                yield self._resp_table("support")
            with TabPane("待报节点", id="tab-owed"):
                owed: DataTable[Cell] = DataTable(id="owed", cursor_type="row", zebra_stripes=True)
                owed.add_columns("期间", "到期", "剩余天数", "政策", "编号", "角色", "任务摘要")
                yield owed
            with TabPane("发现", id="tab-findings"):
                findings: DataTable[Cell] = DataTable(id="findings", cursor_type="row", zebra_stripes=True)
                findings.add_columns("日期", "级别", "编号", "代码", "内容")
                yield findings
        yield from self.compose_footer()

    @staticmethod
    def _resp_table(role: str) -> DataTable[Cell]:
        table: DataTable[Cell] = DataTable(id=role, cursor_type="row", zebra_stripes=True)
        table.add_columns("灯", "政策", "编号", "摘要", "角色", "状态", "逾期", "下次到期")
        return table

    # ------------------------------------------------------------------ loading

    def set_agency(self, agency: str) -> None:
        if self.ctx.is_department and agency != self.ctx.actor.agency_key:
            self.notify("部门用户只能查看本部门的工作", severity="warning")
            return
        self.agency = agency
        select = self.query_one("#agency", Select)
        if self._agencies_loaded:
            with self.prevent(Select.Changed):
                select.value = agency
        self.refresh_data()

    def refresh_data(self) -> None:
        from duban.services.dashboard import department_responsibilities, findings_for, owed_next
        from duban.services.names import name_book
        from duban.services.status import summary

        ctx = self.ctx
        if ctx.is_department:
            self.agency = ctx.actor.agency_key
        if not self._agencies_loaded:
            jurisdiction = ctx.actor.jurisdiction_code
            self.load("agencies", lambda s: name_book(s, jurisdiction=jurisdiction))
        if self.agency is None:
            return
        agency, text = self.agency, self.text

        def scope(s: Any) -> Any:
            return ctx.scope(s, agency=agency)

        self.load(
            "summary", lambda s: summary(s, as_of=ctx.today, warning_days=ctx.warning_days, scope=scope(s))
        )

        def responsibilities(s: Any, roles: tuple[str, ...]) -> ResponsibilityPage:
            return department_responsibilities(
                s,
                as_of=ctx.today,
                warning_days=ctx.warning_days,
                scope=scope(s),
                roles=roles,
                text=text,
                limit=LIMIT,
            )

        for role, roles in (("lead", ("lead", "joint")), ("support", ("support",))):
            self.load(role, partial(responsibilities, roles=roles))
        self.load("owed", lambda s: owed_next(s, as_of=ctx.today, scope=scope(s), limit=LIMIT))
        self._findings = lambda s: findings_for(s, scope=scope(s), limit=LIMIT)
        self.run_checks(ctx.today, scope)  # the findings are loaded once the checks have stored theirs

    def show_checks(self, result: CheckRunResult) -> None:
        super().show_checks(result)
        self.load("findings", self._findings)

    def failed_checks(self, _text: str) -> None:
        self.load("findings", self._findings)  # the stored findings, even when the checks could not run

    def show_agencies(self, book: NameBook) -> None:
        self._agencies_loaded = True
        self.book = book
        jurisdiction = self.ctx.actor.jurisdiction_code if self.ctx.is_department else None
        self.names = {key: book.agency(key, jurisdiction) for key in book.short}
        select = self.query_one("#agency", Select)
        with self.prevent(Select.Changed):
            select.set_options([(cell_text(name), key) for key, name in sorted(self.names.items())])
            if self.agency:
                select.value = self.agency

    def show_summary(self, data: StatusSummary) -> None:
        dept = data.departments[0] if data.departments else None
        line = Text()
        name = self.names.get(self.agency or "", self.agency or "")
        line.append(cell_text(name), style="bold")
        line.append("  ")
        for key, n in data.responsibilities.items():
            line.append_text(light(key, long=True))
            line.append(f" {n}  ")
        if dept is not None:
            line.append(f"| 逾期 {dept.overdue} | 按时率 {percent(dept.on_time_rate)}")
        self.query_one("#dept-summary", Static).update(line)

    def _show_resps(self, table_id: str, page: ResponsibilityPage) -> None:
        rows = page.rows
        fill(
            self.query_one(f"#{table_id}", DataTable),
            [
                (
                    light(r.light),
                    clip(r.policy, 18),
                    cell_text(r.number),
                    clip(r.text, 34),
                    r.role.label,
                    r.state.label,
                    r.overdue,
                    day(r.next_due),
                )
                for r in rows
            ],
            [f"{r.task}-{r.responsibility}" for r in rows],
        )
        label = "牵头/共同" if table_id == "lead" else "配合"
        self.query_one("#dept-tabs", TabbedContent).get_tab(f"tab-{table_id}").label = f"{label} {page.total}"

    def show_lead(self, page: ResponsibilityPage) -> None:
        self._show_resps("lead", page)

    def show_support(self, page: ResponsibilityPage) -> None:
        self._show_resps("support", page)

    def show_owed(self, rows: list[OwedMilestone]) -> None:
        fill(
            self.query_one("#owed", DataTable),
            [
                (
                    cell_text(r.period),
                    day(r.effective_due),
                    f"{r.days_left}" + ("(退回)" if r.returned else ""),
                    clip(r.policy, 18),
                    cell_text(r.number),
                    r.role.label,
                    clip(r.text, 34),
                )
                for r in rows
            ],
            [f"{r.task}-{r.milestone}" for r in rows],
        )

    def show_findings(self, rows: list[FindingRow]) -> None:
        fill(
            self.query_one("#findings", DataTable),
            [
                (
                    day(r.seen_on),
                    r.severity.label,
                    cell_text(r.number),
                    cell_text(r.code),
                    clip(r.message, 50),
                )
                for r in rows
            ],
            [f"{r.task}-{r.id}" for r in rows],
        )

    # ------------------------------------------------------------------ events

    @on(Select.Changed, "#agency")
    def _agency_changed(self, event: Select.Changed) -> None:
        if event.value != Select.NULL and event.value != self.agency:
            self.set_agency(str(event.value))

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text = event.value
        self.refresh_data()
        self.query_one("#lead", DataTable).focus()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.duban.open_task(int(event.row_key.value.split("-")[0]))
