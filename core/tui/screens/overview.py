"""总览: who is worst and what is new — counts by light, the departments ranked by severity with their trend
against the previous quarter end and a chart of the highlighted one, and the overdue milestones grouped."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Select, Static

from duban.tui.base import DubanScreen
from duban.tui.charts import DepartmentChart
from duban.tui.text import cell_text, clip, day, light, percent
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.dashboard_results import (
        DepartmentRank,
        DepartmentRanking,
        JurisdictionChoice,
        OverdueGroups,
        PolicyChoice,
    )
    from duban.services.status_results import StatusSummary

TREND_QUARTERS = 4


#: below this width the department chart is hidden (the ranking needs the whole width)
CHART_MIN_WIDTH = 120


class OverviewScreen(DubanScreen):
    """The coordinator's overview (a department user's 总览 is of their own work only)."""

    AUTO_FOCUS = "#departments"
    DEFAULT_CSS = """
    OverviewScreen.narrow #trend-box {
        display: none;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.policy_id: int | None = None
        self.jurisdiction: str | None = None
        self.as_of: dt.date | None = None
        self._choices_loaded = False
        self._ranking: DepartmentRanking | None = None

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
                yield Label("部门：按严重度排名（回车查看部门）", classes="section")
                table: DataTable[Cell] = DataTable(id="departments", cursor_type="row", zebra_stripes=True)
                table.add_columns("名次", "部门", "严重度", "较上期", "灯", "红", "黄", "新逾期", "按时率")
                yield table
            with Vertical(id="trend-box"):
                yield Label("所选部门各季度末的变化", classes="section")
                yield DepartmentChart(id="chart")
        yield Label("逾期（同一政策、期间、到期日合并；回车查看任务）", classes="section", id="overdue-title")
        overdue: DataTable[Cell] = DataTable(id="overdue", cursor_type="row", zebra_stripes=True)
        overdue.add_columns("逾期天数", "政策", "期间", "有效到期", "项数", "部门", "任务")
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
        from duban.services.dashboard import department_ranking, overdue_groups

        ctx, as_of, scope = self.ctx, self.as_of or self.ctx.today, self._scope

        def rest(s: Any) -> tuple[DepartmentRanking, OverdueGroups]:
            return (
                department_ranking(
                    s, as_of=as_of, warning_days=ctx.warning_days, scope=scope(s), quarters=TREND_QUARTERS
                ),
                overdue_groups(s, as_of=as_of, scope=scope(s)),
            )

        self.load("rest", rest)

    def show_choices(self, data: tuple[list[PolicyChoice], list[JurisdictionChoice]]) -> None:
        self._choices_loaded = True
        policies, jurisdictions = data
        with self.prevent(Select.Changed):
            self.query_one("#policy", Select).set_options([(clip(p.label, 40), p.id) for p in policies])
            names = [j.name for j in jurisdictions]  # by name; a name used twice (鼓楼区) also shows its code
            self.query_one("#jurisdiction", Select).set_options(
                [
                    (j.name if names.count(j.name) == 1 else f"{j.name}（{j.code}）", j.code)
                    for j in jurisdictions
                ]
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
        self._load_rest()

    def show_rest(self, data: tuple[DepartmentRanking, OverdueGroups]) -> None:
        ranking, groups = data
        self._ranking = ranking
        depts = ranking.departments
        fill(
            self.query_one("#departments", DataTable),
            [
                (
                    d.rank,
                    clip(d.name, 24),
                    d.severity,
                    trend_cell(d),
                    light(d.light),
                    d.current.red,
                    d.current.yellow,
                    d.new_overdue,
                    percent(d.current.on_time_rate),
                )
                for d in depts
            ],
            [department_key(d) for d in depts],
        )
        self._show_chart()
        rows = groups.groups
        shown = f"显示前 {len(rows)} 组" if groups.total_groups > len(rows) else "全部"
        self.query_one("#overdue-title", Label).update(
            f"逾期 {groups.total_milestones} 项，合并为 {groups.total_groups} 组（{shown}；"
            "同一政策、期间、到期日合并；回车查看任务）"
        )
        fill(
            self.query_one("#overdue", DataTable),
            [
                (
                    f"{g.days_overdue} 天" if not g.returned else f"{g.days_overdue} 天(退回{g.returned})",
                    clip(g.policy, 18),
                    cell_text(g.period),
                    day(g.effective_due),
                    g.count,
                    clip(_departments(g.departments), 30),
                    clip((f"{g.tasks} 项：" if g.tasks > 1 else "") + f"{g.first_number} {g.first_text}", 36),
                )
                for g in rows
            ],
            [f"{g.first_task}-{i}" for i, g in enumerate(rows)],
        )

    def _show_chart(self) -> None:
        ranking = self._ranking
        if ranking is None:
            return
        table = self.query_one("#departments", DataTable)
        depts = ranking.departments
        chosen = depts[table.cursor_row] if depts and 0 <= table.cursor_row < len(depts) else None
        labels = [_period_label(d, d != ranking.as_of) for d in ranking.periods]
        if chosen is not None:
            labels = [_period_label(p.as_of, p.quarter_end) for p in chosen.history]
        self.query_one("#chart", DepartmentChart).show(chosen, labels)

    # ------------------------------------------------------------------ events

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < CHART_MIN_WIDTH, "narrow")

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

    @on(DataTable.RowHighlighted, "#departments")
    def _department_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_chart()

    @on(DataTable.RowSelected, "#departments")
    def _open_department(self, event: DataTable.RowSelected) -> None:
        agency = (event.row_key.value or "").split("|")[0]
        if agency and agency != "-":
            self.duban.open_department(agency)

    @on(DataTable.RowSelected, "#overdue")
    def _open_overdue(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.duban.open_task(int(event.row_key.value.split("-")[0]))


def department_key(d: DepartmentRank) -> str:
    """A department's row key: ``agency|jurisdiction`` (``-`` for an unrecognised agency)."""
    return f"{d.agency or '-'}|{d.jurisdiction or ''}"


TREND_STYLE = {"up": "bold red", "down": "bold green", "same": "dim", "new": "bold yellow"}


def trend_cell(d: DepartmentRank) -> Text:
    """The trend against the previous quarter end: ``^+12`` worse, ``v-3`` better, ``->0`` the same, 新 new
    (ASCII arrows: ↑↓→ are ambiguous width and would shift the columns after them in zh-CN terminals)."""
    if d.previous_severity is None:
        return Text(d.trend.ascii, style=TREND_STYLE[d.trend.value])
    return Text(f"{d.trend.ascii}{d.severity - d.previous_severity:+d}", style=TREND_STYLE[d.trend.value])


def _departments(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{len(names)} 个部门：{'、'.join(names)}"


def _period_label(d: dt.date, quarter_end: bool) -> str:
    """``2025Q4末`` for a quarter end, the date itself for the day asked about."""
    return f"{d.year}Q{(d.month - 1) // 3 + 1}末" if quarter_end else day(d)
