"""任务: a filterable, sortable, paged table of tasks with a detail pane; and the detail as a screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, LoadingIndicator, Static

from duban.domain.vocabulary import Role
from duban.tui.actions import ACTION_BINDINGS, TaskActionsScreen
from duban.tui.base import mark_sorted
from duban.tui.text import cell_text, clip, day, join_names, light
from duban.tui.widgets import Cell, TaskDetail, fill

if TYPE_CHECKING:
    from duban.services.dashboard_results import TaskDetail as TaskDetailData
    from duban.services.dashboard_results import TaskPage
    from duban.services.paging import Cursor
    from duban.services.status import TaskIndex

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
#: the keys that act on the task in the detail pane: disabled while the detail is not the highlighted row's
TASK_ACTIONS = frozenset({"ack", "report", "extend", "review", "decide"})


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
        self.after: Cursor | None = None  #: keyset: the page after this row …
        self.before: Cursor | None = None  #: … or the page before this one (neither: the first page)
        self.page: TaskPage | None = None
        self.index: TaskIndex | None = None  #: the task lights, kept while no write happens
        self.total = 0
        self.task_id: int | None = None  #: the highlighted row's task (the detail must show it)
        self._busy: dict[str, bool] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="bar"):
            yield Input(placeholder="/ 筛选：任务文字、编号、政策或部门名称，回车确定", id="filter")
            yield LoadingIndicator(id="loading")
            yield Static("加载中...", id="page-info")
        table: DataTable[Cell] = DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        for label in ("灯", "政策", "编号", "摘要", Role.LEAD.label, Role.SUPPORT.label, "下次到期"):
            table.add_column(label, key=label)
        yield table
        yield TaskDetail(id="detail")
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        from duban.services.dashboard import task_index_for, task_page

        ctx, cached = self.ctx, self.index
        text, sort, desc, after, before = self.text, self.sort, self.descending, self.after, self.before

        def run(s: Session) -> tuple[TaskIndex, TaskPage]:
            scope = ctx.scope(s)
            index = task_index_for(
                s, as_of=ctx.today, warning_days=ctx.warning_days, scope=scope, cached=cached
            )
            page = task_page(
                s,
                as_of=ctx.today,
                warning_days=ctx.warning_days,
                scope=scope,
                text=text,
                sort=sort,
                descending=desc,
                limit=PAGE,
                after=after,
                before=before,
                index=index,
            )
            return index, page

        self.load("tasks", run)

    def loading_tasks(self, busy: bool) -> None:
        """While a page loads: a loading indicator beside the page line, which says so (the table keeps its
        focus and cursor, so the keys keep working and a newer load replaces this one)."""
        self._busy["tasks"] = busy
        self._show_busy()
        if busy:
            self.query_one("#page-info", Static).update("加载中...")

    def loading_detail(self, busy: bool) -> None:
        """While the detail loads it is dimmed (it still shows the previous task) and its keys are off."""
        self._busy["detail"] = busy
        self.detail().set_class(busy, "-stale")
        self._show_busy()
        self.refresh_bindings()

    def _show_busy(self) -> None:
        self.query_one("#loading", LoadingIndicator).display = any(self._busy.values())

    def show_tasks(self, loaded: tuple[TaskIndex, TaskPage]) -> None:
        self.index, page = loaded
        self.page = page
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
        first, last = (page.offset + 1, page.offset + len(rows)) if rows else (0, 0)
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
            self.refresh_bindings()

    def detail_is_current(self) -> bool:
        """Whether the detail pane shows the highlighted row's task (only then may its actions run)."""
        data = self.detail().data
        return data is not None and self.task_id is not None and data.id == self.task_id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TASK_ACTIONS and not self.detail_is_current():
            return None  # shown, but disabled until the detail catches up
        return True

    def select_task(self, task_id: int, *, force: bool = False) -> None:
        if task_id == self.task_id and not force:
            return
        self.task_id = task_id
        self.refresh_bindings()
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
        if data.id != self.task_id:  # a late answer for a row no longer highlighted
            return
        detail = self.detail()
        if detail.data is None or detail.data.id != data.id:
            detail.scroll_home(animate=False, immediate=True)  # another task: its title first
        detail.show(data)
        self.refresh_bindings()

    def failed_detail(self, text: str) -> None:
        self.detail().show_message(text)
        self.refresh_bindings()

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
        self.first_page()

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text = event.value
        self.task_id = None
        self.query_one("#tasks", DataTable).focus()  # before the loading cover makes it unfocusable
        self.first_page()

    def action_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.descending = self.sort == "light"
        self.first_page()

    def action_order(self) -> None:
        self.descending = not self.descending
        self.first_page()

    def first_page(self) -> None:
        self.after = self.before = None
        self.refresh_data()

    def action_page(self, step: int) -> None:
        """Keyset paging: the page after the last row shown, or before the first."""
        page = self.page
        if page is None or not page.rows:
            return
        if step > 0 and page.offset + len(page.rows) < page.total:
            self.after, self.before = page.last, None
        elif step < 0 and page.offset > 0:
            self.after, self.before = None, page.first
        else:
            return
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
