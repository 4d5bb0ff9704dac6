"""任务: a filterable, sortable, paged table of tasks with a detail pane; and the detail as a screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from duban.domain.vocabulary import Role
from duban.tui.actions import ACTION_BINDINGS, TaskActionsScreen
from duban.tui.base import mark_sorted
from duban.tui.text import cell_text, clip, day, join_names, light
from duban.tui.widgets import Cell, TaskDetail, fill

if TYPE_CHECKING:
    from duban.services.dashboard_results import TaskDetail as TaskDetailData
    from duban.services.dashboard_results import TaskPage

PAGE = 100
#: sort key of duban.services.dashboard.task_page → what the user sees
SORT_NAMES = {
    "light": "灯色",
    "next_due": "下次到期",
    "policy": "政策",
    "number": "编号",
    "lead": Role.LEAD.label,
}
#: table column label → sort key of duban.services.dashboard.task_page
COLUMN_SORTS = {
    "灯": "light",
    "政策": "policy",
    "编号": "number",
    Role.LEAD.label: "lead",
    "下次到期": "next_due",
}
SORT_CYCLE = ("light", "next_due", "policy", "number", "lead")


class TasksScreen(TaskActionsScreen):
    AUTO_FOCUS = "#tasks"
    HAS_FILTER = True
    BINDINGS = [
        Binding("s", "sort", "排序", id="tasks.sort"),
        Binding("o", "order", "升/降序", id="tasks.order"),
        Binding("right_square_bracket", "page(1)", "下一页", id="table.next_page"),
        Binding("left_square_bracket", "page(-1)", "上一页", id="table.prev_page"),
        *ACTION_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.sort = "light"
        self.descending = True
        self.row_offset = 0
        self.total = 0
        self.task_id: int | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="bar"):
            yield Input(placeholder="/ 筛选：任务文字、编号、政策或部门名称，回车确定", id="filter")
            yield Static("加载中...", id="page-info")
        table: DataTable[Cell] = DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        for label in ("灯", "政策", "编号", "摘要", Role.LEAD.label, Role.SUPPORT.label, "下次到期"):
            table.add_column(label, key=label)
        yield table
        yield TaskDetail(id="detail")
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        from duban.services.dashboard import task_page

        ctx = self.ctx
        text, sort, desc, offset = self.text, self.sort, self.descending, self.row_offset
        self.load(
            "tasks",
            lambda s: task_page(
                s,
                as_of=ctx.today,
                warning_days=ctx.warning_days,
                scope=ctx.scope(s),
                text=text,
                sort=sort,
                descending=desc,
                limit=PAGE,
                offset=offset,
            ),
        )

    def show_tasks(self, page: TaskPage) -> None:
        self.total = page.total
        rows = page.rows
        table = self.query_one("#tasks", DataTable)
        fill(
            table,
            [
                (
                    light(r.light),
                    clip(r.policy, 18),
                    cell_text(r.number),
                    clip(r.text, 30),
                    join_names(r.lead, 20),
                    join_names(r.support, 16),
                    day(r.next_due),
                )
                for r in rows
            ],
            [r.id for r in rows],
        )
        column = next((label for label, key in COLUMN_SORTS.items() if key == self.sort), None)
        mark_sorted(table, column, self.descending)
        first, last = (self.row_offset + 1, self.row_offset + len(rows)) if rows else (0, 0)
        order = "降序" if self.descending else "升序"
        self.query_one("#page-info", Static).update(
            f"第 {first}-{last} 条，共 {self.total} 条 | 排序：{SORT_NAMES[self.sort]}{order}"
        )
        if rows:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
            self.select_task(int(key) if key else rows[0].id)

        else:
            self.task_id = None
            self.detail().show_message("没有符合条件的任务。")

    def select_task(self, task_id: int, *, force: bool = False) -> None:
        if task_id == self.task_id and not force:
            return
        self.task_id = task_id
        self.reload_detail()

    def reload_detail(self) -> None:
        from duban.services.dashboard import task_detail

        if self.task_id is None:
            return
        ctx, task_id = self.ctx, self.task_id
        self.load(
            "detail",
            lambda s: task_detail(
                s, task_id=task_id, as_of=ctx.today, warning_days=ctx.warning_days, scope=ctx.scope(s)
            ),
        )

    def show_detail(self, data: TaskDetailData) -> None:
        detail = self.detail()
        if detail.data is None or detail.data.id != data.id:
            detail.scroll_home(animate=False, immediate=True)  # another task: its title first
        detail.show(data)

    def failed_detail(self, text: str) -> None:
        self.detail().show_message(text)

    # ------------------------------------------------------------------ events and keys

    @on(DataTable.RowHighlighted, "#tasks")
    def _task_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.select_task(int(event.row_key.value))

    @on(DataTable.RowSelected, "#tasks")
    def _task_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one("#resps", DataTable).focus()

    @on(DataTable.HeaderSelected, "#tasks")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        sort = COLUMN_SORTS.get(str(event.column_key.value))
        if sort is None:
            return
        if sort == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = sort, sort == "light"
        self.row_offset = 0
        self.refresh_data()

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text, self.row_offset = event.value, 0
        self.task_id = None
        self.refresh_data()
        self.query_one("#tasks", DataTable).focus()

    def action_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.descending = self.sort == "light"
        self.row_offset = 0
        self.refresh_data()

    def action_order(self) -> None:
        self.descending = not self.descending
        self.row_offset = 0
        self.refresh_data()

    def action_page(self, step: int) -> None:
        offset = self.row_offset + step * PAGE
        if 0 <= offset < max(self.total, 1):
            self.row_offset = offset
            self.refresh_data()


class TaskDetailScreen(TaskActionsScreen):
    """One task's detail, opened from 总览, 部门, 政策 or the command palette; ``escape`` goes back."""

    SCREEN_NAME = "任务详情"

    BINDINGS = [Binding("escape", "app.pop_screen", "返回", id="detail.back"), *ACTION_BINDINGS]

    def __init__(self, task_id: int) -> None:
        super().__init__()
        self.task_id = task_id

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield TaskDetail(id="detail")
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        self.reload_detail()

    def reload_detail(self) -> None:
        from duban.services.dashboard import task_detail

        ctx, task_id = self.ctx, self.task_id
        self.load(
            "detail",
            lambda s: task_detail(
                s, task_id=task_id, as_of=ctx.today, warning_days=ctx.warning_days, scope=ctx.scope(s)
            ),
        )

    def show_detail(self, data: TaskDetailData) -> None:
        detail = self.detail()
        detail.show(data)
        self.query_one("#resps", DataTable).focus(scroll_visible=False)
        detail.scroll_home(animate=False, immediate=True)  # the title first, not the table below it

    def failed_detail(self, text: str) -> None:
        self.detail().show_message(text)
