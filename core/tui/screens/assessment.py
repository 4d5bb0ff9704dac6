"""考核: the assessment scores of a period, sortable, each broken into its terms.

Calls ``duban.services.assessment.assess`` (the same service as ``duban assess``; a department user's result
holds only their own agency); says "考核功能尚未安装" while that module is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from duban.tui.base import DubanScreen, mark_sorted
from duban.tui.text import cell_text, clip, day, percent
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.assessment_results import AssessmentResult, DepartmentResult

MISSING = "考核功能尚未安装"
SORTS = ("score", "name", "on_time_rate")


def _sort_key(sort: str, row: DepartmentResult) -> Any:
    if sort == "name":
        return row.agency_name
    if sort == "on_time_rate":
        return row.on_time_rate if row.on_time_rate is not None else -1.0
    return row.score if row.score is not None else -1.0


def _key(row: DepartmentResult) -> str:
    return f"{row.agency}|{row.jurisdiction}"


def periods(today: dt.date) -> list[tuple[str, str]]:
    """Periods to choose from: this year so far, its quarters and halves, and last year."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = [(f"{year} 年（截至今天）", str(year))]
    out += [(f"{year} 年第 {q} 季度", f"{year}-Q{q}") for q in range(quarter, 0, -1)]
    out += [
        (f"{year} 年上半年", f"{year}-H1"),
        (f"{year - 1} 年", str(year - 1)),
        (f"{year - 1} 年下半年", f"{year - 1}-H2"),
    ]
    return out


def load_scores(session: Any, *, ctx: Any, period: str) -> AssessmentResult | None:
    """The result of assess() for the acting user, or None when 考核 is not installed."""
    try:
        from duban.services.assessment import assess
    except ImportError:
        return None
    from duban.config import Settings, shipped_defaults

    settings = ctx.settings if ctx.settings is not None else Settings(shipped_defaults())
    config = settings.get("scoring", {}) or {"scheme": "default"}
    as_of = min(ctx.today, _period_end(period))
    return assess(
        session,
        actor=ctx.actor,
        host=ctx.host,
        period=period,
        config=config,
        as_of=as_of,
        evidence=False,
        tz=ctx.timezone,
    )


def _period_end(period: str) -> dt.date:
    year = int(period[:4])
    if "-Q" in period:
        q = int(period[-1])
        return dt.date(year, q * 3, 31 if q in (1, 4) else 30)
    if period.endswith("-H1"):
        return dt.date(year, 6, 30)
    return dt.date(year, 12, 31)


class AssessmentScreen(DubanScreen):
    AUTO_FOCUS = "#scores"
    HAS_FILTER = True
    BINDINGS = [Binding("s", "sort", "排序", id="assessment.sort")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: tuple[DepartmentResult, ...] = ()
        self.sort, self.descending = "score", True
        self.text = ""
        self.period: str | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        options = periods(self.ctx.today)
        self.period = options[0][1]
        with Horizontal(id="bar"):
            yield Select(options, id="period", allow_blank=False, value=self.period)
            yield Input(placeholder="/ 筛选：部门名称，回车确定", id="filter")
        yield Static("加载中...", id="assessment-note")
        table: DataTable[Cell] = DataTable(id="scores", cursor_type="row", zebra_stripes=True)
        for label, key in (
            ("名次", "rank"),
            ("部门", "name"),
            ("辖区", "jurisdiction"),
            ("总分", "score"),
            ("等次", "grade"),
            ("按时率", "on_time_rate"),
            ("到期节点", "due"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Label("得分构成（选中部门的各项加减分）", classes="section")
        terms: DataTable[Cell] = DataTable(id="terms", cursor_type="row", zebra_stripes=True)
        terms.add_columns("项目", "得分", "次数", "任务", "计算")
        yield terms
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        ctx, period = self.ctx, self.period or str(self.ctx.today.year)
        self.load("scores", lambda s: load_scores(s, ctx=ctx, period=period))

    def show_scores(self, result: AssessmentResult | None) -> None:
        note = self.query_one("#assessment-note", Static)
        if result is None:
            note.update(MISSING)
            return
        self.rows = result.departments
        note.update(
            cell_text(
                f"{result.period}（{day(result.start)} 至 {day(result.end)}，截至 {day(result.as_of)}）"
                f" 方案：{result.scheme_title}；共 {len(self.rows)} 个部门（点击表头或按 s 排序）"
            )
        )
        self._fill()

    def failed_scores(self, text: str) -> None:
        self.query_one("#assessment-note", Static).update(cell_text(f"考核计算失败：{text}"))

    def _fill(self) -> None:
        rows = sorted(self.rows, key=lambda r: _sort_key(self.sort, r), reverse=self.descending)
        needle = self.text.strip()
        rows = [r for r in rows if not needle or needle in r.agency_name or needle in r.agency]
        mark_sorted(self.query_one("#scores", DataTable), self.sort, self.descending)
        fill(
            self.query_one("#scores", DataTable),
            [
                (
                    r.rank if r.rank is not None else "—",
                    cell_text(r.agency_name),
                    cell_text(r.jurisdiction_name or "-"),
                    f"{r.score:.1f}" if r.score is not None else "不适用",
                    cell_text(r.grade or "-"),
                    percent(r.on_time_rate) if r.on_time_rate is not None else "不适用",
                    r.due,
                )
                for r in rows
            ],
            [_key(r) for r in rows],
        )
        if rows:
            self._show_terms(_key(rows[0]))
        else:
            self.query_one("#terms", DataTable).clear()

    def _show_terms(self, key: str) -> None:
        row = next((r for r in self.rows if _key(r) == key), None)
        terms = row.terms if row else ()
        fill(
            self.query_one("#terms", DataTable),
            [
                (
                    cell_text(t.label or t.code),
                    f"{t.points:+.1f}",
                    t.count,
                    clip(t.task or "-", 24),
                    clip(t.formula or "", 60),
                )
                for t in terms
            ],
            range(len(terms)),
        )

    @on(DataTable.RowHighlighted, "#scores")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._show_terms(event.row_key.value)

    @on(DataTable.HeaderSelected, "#scores")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORTS:
            self.descending = not self.descending if key == self.sort else key != "name"
            self.sort = key
            self._fill()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = self.sort != "name"
        self._fill()

    @on(Select.Changed, "#period")
    def _period(self, event: Select.Changed) -> None:
        if event.value != Select.NULL and event.value != self.period:
            self.period = str(event.value)
            self.refresh_data()

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text = event.value
        self._fill()
        self.query_one("#scores", DataTable).focus()
