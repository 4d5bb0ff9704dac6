"""总览: counts by light, departments, the trend over quarter ends, the most overdue items."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Select, Static

from duban.tui.base import DubanScreen
from duban.tui.text import cell_text, clip, day, light, percent
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.dashboard_results import JurisdictionChoice, PolicyChoice, TrendPoint
    from duban.services.paging import Page
    from duban.services.status_results import OverdueMilestone, StatusSummary

TREND_QUARTERS = 4


class OverviewScreen(DubanScreen):
    AUTO_FOCUS = "#departments"
    """The coordinator's first screen (a department user's 总览 is of their own work only)."""

    def __init__(self) -> None:
        super().__init__()
        self.policy_id: int | None = None
        self.jurisdiction: str | None = None
        self.as_of: dt.date | None = None
        self._choices_loaded = False

    def compose(self) -> ComposeResult:
        from duban.services.dashboard import quarter_ends

        yield from self.compose_chrome()
        today = self.ctx.today
        periods = [(f"今天 {today.isoformat()}", today.isoformat())] + [
            (f"{d.year}年第{(d.month - 1) // 3 + 1}季度末 {d.isoformat()}", d.isoformat())
            for d in reversed(quarter_ends(today, 8))
        ]
        with Horizontal(id="filters"):
            yield Select([], id="policy", prompt="全部政策", allow_blank=True)
            yield Select(
                [], id="jurisdiction", prompt="全部辖区", allow_blank=True, disabled=self.ctx.is_department
            )
            yield Select(periods, id="period", allow_blank=False, value=today.isoformat())
        yield Static("加载中...", id="counts")
        with Horizontal(id="overview-tables"):
            with Vertical(id="departments-box"):
                yield Label("部门（回车查看部门）", classes="section")
                table: DataTable[Cell] = DataTable(id="departments", cursor_type="row", zebra_stripes=True)
                table.add_columns("部门", "灯", "红", "黄", "绿", "办结", "逾期", "按时率")
                yield table
            with Vertical(id="trend-box"):
                yield Label("趋势：各季度末的任务灯色", classes="section")
                trend: DataTable[Cell] = DataTable(id="trend", cursor_type="none", zebra_stripes=True)
                trend.add_columns("时点", "红", "黄", "绿", "已办结", "红灯")
                yield trend
        yield Label("逾期最久（回车查看任务）", classes="section", id="overdue-title")
        overdue: DataTable[Cell] = DataTable(id="overdue", cursor_type="row", zebra_stripes=True)
        overdue.add_columns("逾期天数", "政策", "编号", "部门", "期间", "有效到期", "任务摘要")
        yield overdue
        yield from self.compose_footer()

    # ------------------------------------------------------------------ loading

    def refresh_data(self) -> None:
        """Counts first; the most overdue and the trend (five more passes over the lights) after them, one
        at a time, so the first numbers appear as soon as the database has them."""
        from duban.services.dashboard import jurisdiction_choices, overview, policy_choices

        ctx = self.ctx
        if not self._choices_loaded:
            self.load("choices", lambda s: (policy_choices(s), jurisdiction_choices(s)))
        as_of = self.as_of or ctx.today
        scope = self._scope
        self.load(
            "overview", lambda s: overview(s, as_of=as_of, warning_days=ctx.warning_days, scope=scope(s))
        )
        self.run_checks(as_of, scope)

    def _scope(self, session: Any) -> Any:
        return self.ctx.scope(session, policy_id=self.policy_id, jurisdiction=self.jurisdiction)

    def _load_rest(self) -> None:
        from duban.services.dashboard import most_overdue, trend

        ctx, as_of, scope = self.ctx, self.as_of or self.ctx.today, self._scope

        def rest(s: Any) -> tuple[Page[OverdueMilestone], list[TrendPoint]]:
            return (
                most_overdue(s, as_of=as_of, scope=scope(s)),
                trend(s, as_of=as_of, warning_days=ctx.warning_days, scope=scope(s), quarters=TREND_QUARTERS),
            )

        self.load("rest", rest)

    def show_choices(self, data: tuple[list[PolicyChoice], list[JurisdictionChoice]]) -> None:
        self._choices_loaded = True
        policies, jurisdictions = data
        with self.prevent(Select.Changed):
            self.query_one("#policy", Select).set_options([(clip(p.label, 40), p.id) for p in policies])
            self.query_one("#jurisdiction", Select).set_options(
                [(f"{j.name} {j.code}", j.code) for j in jurisdictions]
            )

    def show_overview(self, data: StatusSummary) -> None:
        counts = Text()
        counts.append("任务  ", style="bold")
        for key, n in data.tasks.items():
            counts.append_text(light(key, long=True))
            counts.append(f" {n}   ")
        counts.append("\n责任  ", style="bold")
        for key, n in data.responsibilities.items():
            counts.append_text(light(key, long=True))
            counts.append(f" {n}   ")
        counts.append(f"\n截至 {day(data.as_of)}", style="dim")
        self.query_one("#counts", Static).update(counts)
        depts = data.departments
        fill(
            self.query_one("#departments", DataTable),
            [
                (
                    cell_text(d.name or d.agency or "未识别部门"),
                    light(d.light),
                    d.red,
                    d.yellow,
                    d.green,
                    d.done,
                    d.overdue,
                    percent(d.on_time_rate),
                )
                for d in depts
            ],
            [d.agency or "-" for d in depts],
        )
        self._load_rest()

    def show_rest(self, data: tuple[Page[OverdueMilestone], list[TrendPoint]]) -> None:
        page, trend = data
        rows = page.items
        self.show_trend(trend)
        shown = f"显示前 {len(rows)} 项；全部见 duban overdue" if page.total > len(rows) else "全部"
        self.query_one("#overdue-title", Label).update(
            f"逾期最久（共 {page.total} 项，{shown}；回车查看任务）"
        )
        fill(
            self.query_one("#overdue", DataTable),
            [
                (
                    r.days_overdue if not r.returned else f"{r.days_overdue}(退回)",
                    clip(r.policy, 18),
                    cell_text(r.number),
                    cell_text(r.agency_name or r.agency or "未识别部门"),
                    cell_text(r.period),
                    day(r.effective_due),
                    clip(r.text, 36),
                )
                for r in rows
            ],
            [f"{r.task}-{r.milestone}" for r in rows],
        )

    def show_trend(self, rows: list[TrendPoint]) -> None:
        top = max([r.tasks.red for r in rows] + [1])
        fill(
            self.query_one("#trend", DataTable),
            [
                (
                    cell_text(_trend_label(r)),
                    r.tasks.red,
                    r.tasks.yellow,
                    r.tasks.green,
                    r.tasks.done,
                    Text("#" * round(20 * r.tasks.red / top), style="red"),
                )
                for r in rows
            ],
            [day(r.as_of) for r in rows],
        )

    # ------------------------------------------------------------------ events

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        value = event.value
        blank = value == Select.NULL
        if event.select.id == "policy":
            self.policy_id = value if isinstance(value, int) else None  # a policy id, or blank
        elif event.select.id == "jurisdiction":
            self.jurisdiction = None if blank else str(value)
        elif event.select.id == "period" and not blank:
            self.as_of = dt.date.fromisoformat(str(value))
        self.refresh_data()

    @on(DataTable.RowSelected, "#departments")
    def _open_department(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key != "-":
            self.duban.open_department(key)

    @on(DataTable.RowSelected, "#overdue")
    def _open_overdue(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.duban.open_task(int(event.row_key.value.split("-")[0]))


def _trend_label(point: TrendPoint) -> str:
    """``2025Q4末`` for a quarter end, the date itself for the day asked about."""
    d = point.as_of
    return f"{d.year}Q{(d.month - 1) // 3 + 1}末" if point.quarter_end else day(d)
