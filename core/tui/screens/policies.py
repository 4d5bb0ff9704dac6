"""政策: the documents, their tasks, and which parent-policy tasks each task implements (TaskLink)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from duban.tui.base import DubanScreen
from duban.tui.charts import progress_bar
from duban.tui.text import cell_text, clip, day
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.catalog import PolicyRow
    from duban.services.dashboard_results import PolicyProgress, PolicyTask
    from duban.services.names import NameBook


class PoliciesScreen(DubanScreen):
    AUTO_FOCUS = "#policies"
    HAS_FILTER = True

    def __init__(self) -> None:
        super().__init__()
        self.policies: list[PolicyRow] = []
        self.book: NameBook | None = None
        self.policy_id: int | None = None
        self.text = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="bar"):
            yield Input(placeholder="/ 筛选：文号或标题，回车确定", id="filter")
            yield Static("", id="page-info")
        yield Label("政策文件", classes="section")
        table: DataTable[Cell] = DataTable(id="policies", cursor_type="row", zebra_stripes=True)
        table.add_columns("编号", "文号", "标题", "辖区", "级别", "印发", "状态", "任务", "依据", "报送进度")
        yield table
        yield Label("任务及其落实的上级任务（回车查看任务）", classes="section", id="ptasks-title")
        tasks: DataTable[Cell] = DataTable(id="ptasks", cursor_type="row", zebra_stripes=True)
        tasks.add_columns("编号", "任务摘要", "落实上级任务")
        yield tasks
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        from duban.services.catalog import list_policies
        from duban.services.names import name_book

        self.load("policies", lambda s: (list_policies(s), name_book(s)))
        self._load_progress()
        self.reload_tasks()

    def reload_tasks(self) -> None:
        from duban.services.dashboard import policy_tasks

        if self.policy_id is None:
            return
        ctx, policy_id = self.ctx, self.policy_id
        self.load("ptasks", lambda s: policy_tasks(s, policy_id=policy_id, scope=ctx.scope(s)))

    def show_policies(self, loaded: tuple[list[PolicyRow], NameBook]) -> None:
        self.policies, self.book = loaded
        self._fill_policies()

    def _fill_policies(self) -> None:
        needle = self.text.strip()
        rows = [p for p in self.policies if not needle or needle in (p.doc_number or "") or needle in p.title]
        table = self.query_one("#policies", DataTable)
        fill(
            table,
            [
                (
                    p.id,
                    cell_text(p.doc_number or "（无文号）"),
                    clip(p.title, 40),
                    cell_text(self.book.jurisdiction(p.jurisdiction)) if self.book else "-",
                    p.level.label if p.level else "-",
                    day(p.issued),
                    p.status.label,
                    p.tasks,
                    cell_text(p.implements or "-"),
                    self._progress_cell(p.id),
                )
                for p in rows
            ],
            [p.id for p in rows],
        )
        self.query_one("#page-info", Static).update(f"共 {len(rows)} 份")
        if rows and self.policy_id is None:
            self.select_policy(rows[0].id)
        elif self.policy_id is not None:
            keys = [p.id for p in rows]
            if self.policy_id in keys:
                table.move_cursor(row=keys.index(self.policy_id))

    def _load_progress(self) -> None:
        """The per-policy progress bar (报送进度: milestones reported of those due), loaded after the list."""
        from duban.services.dashboard import policy_progress

        ctx = self.ctx
        self.load(
            "progress",
            lambda s: policy_progress(s, as_of=ctx.today, warning_days=ctx.warning_days, scope=ctx.scope(s)),
        )

    def show_progress(self, progress: dict[int, PolicyProgress]) -> None:
        self._progress = progress
        self._fill_policies()

    def _progress_cell(self, policy_id: int) -> Cell:
        p = getattr(self, "_progress", {}).get(policy_id)
        return progress_bar(p.reported, p.due) if p is not None and p.due else "-"

    def select_policy(self, policy_id: int) -> None:
        if policy_id == self.policy_id:
            return
        self.policy_id = policy_id
        keys = [p.id for p in self.policies]
        if policy_id in keys:
            self.query_one("#policies", DataTable).move_cursor(row=keys.index(policy_id))
        self.reload_tasks()

    def show_ptasks(self, rows: list[PolicyTask]) -> None:
        fill(
            self.query_one("#ptasks", DataTable),
            [
                (
                    cell_text(t.number),
                    clip(t.text, 50),
                    clip(
                        "；".join(
                            f"{x.policy} {x.number}" + ("" if x.confirmed else "（待确认）")
                            for x in t.implements
                        )
                        or "尚未关联",
                        36,
                    ),
                )
                for t in rows
            ],
            [t.id for t in rows],
        )
        policy = next((p for p in self.policies if p.id == self.policy_id), None)
        if policy is not None:
            self.query_one("#ptasks-title", Label).update(
                cell_text(f"{policy.doc_number or policy.title} 的任务（{len(rows)} 项，回车查看任务）")
            )

    @on(DataTable.RowHighlighted, "#policies")
    def _policy_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.select_policy(int(event.row_key.value))

    @on(DataTable.RowSelected, "#ptasks")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.duban.open_task(int(event.row_key.value))

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text = event.value
        self._fill_policies()
        self.query_one("#policies", DataTable).focus()
