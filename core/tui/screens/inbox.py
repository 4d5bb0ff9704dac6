"""待办: what waits on the user, oldest first — the coordinator's landing screen.

The rows are :func:`duban.services.inbox.inbox` (the same service as ``duban inbox``). A coordinator marks
reports awaiting 复核 and extension requests awaiting 审批 with space and decides the marked ones at once
(``p`` 通过/批准, ``b`` 退回/驳回, after one confirmation naming how many and the consequence); each decision is
the same service call as the forms', in its own unit of work, so a row another coordinator decided meanwhile
(compare-and-set) is reported for that row and the others still go through. A department user sees what is
due, overdue, returned and unsigned for them; enter opens a row's task everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from sqlalchemy.orm import Session
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from duban.domain.vocabulary import InboxKind
from duban.tui.base import DubanScreen, perform
from duban.tui.text import cell_text, clip, day
from duban.tui.widgets import Cell, FormScreen, fill

if TYPE_CHECKING:
    from duban.services.inbox import Inbox, InboxItem
    from duban.tui.context import DashboardContext

#: rows per page (the service cuts the page in SQL)
PAGE = 100
#: the kinds a coordinator decides from this screen
DECIDABLE = (InboxKind.REVIEW, InboxKind.EXTENSION)
MARK = "已选"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One row's decision: done, or the service's reason it was not (e.g. decided by someone else)."""

    what: str
    ok: bool
    text: str


class BatchDone(Message):
    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.outcomes = outcomes


def waited(item: InboxItem) -> str:
    """The wait as a person reads it: working days waited, overdue, or left."""
    if item.kind is InboxKind.DUE:
        return "今天到期" if item.days_left == 0 else f"还有 {item.days_left} 个工作日"
    if item.kind is InboxKind.OVERDUE:
        return f"逾期 {item.age} 个工作日"
    return "-" if item.age is None else f"{item.age} 个工作日"


def subject(item: InboxItem) -> str:
    """What the row is about: the request, the reason it came back, or the task."""
    if item.kind is InboxKind.EXTENSION:
        return f"{day(item.due)} 改为 {day(item.new_date)}：{item.reason or ''}"
    if item.kind is InboxKind.RETURNED:
        return f"退回理由：{item.reason or '-'}"
    if item.kind in (InboxKind.DUE, InboxKind.OVERDUE):
        return f"{day(item.due)} 到期：{item.task_text}"
    return item.task_text


def what(item: InboxItem) -> str:
    """The row's object, named for a message."""
    if item.kind is InboxKind.REVIEW:
        return f"报送 #{item.id}（{item.department or '未识别部门'}）"
    if item.kind is InboxKind.EXTENSION:
        return f"延期申请 #{item.id}（{item.department or '未识别部门'}）"
    return f"{item.kind.label} #{item.id}"


class ReasonForm(FormScreen):
    """The reason for a batch 退回/驳回 (required); dismissed with the reason, nothing written here."""

    TITLE_TEXT = "退回/驳回理由"
    HINT = "ctrl+s 下一步  esc 取消"

    def __init__(self, ctx: DashboardContext, count: int) -> None:
        super().__init__(ctx)
        self.count = count

    def fields(self) -> ComposeResult:
        yield Label(f"将退回或驳回已选的 {self.count} 项，理由会记入每一项")
        yield Label("理由（必填）")
        yield Input(id="reason")

    def buttons(self) -> ComposeResult:
        yield Button("下一步", id="submit", variant="primary")

    def _run(self, button: str) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_error("请填写理由：退回报送、驳回延期都要说明理由")
            return
        self.dismiss(reason)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._run("submit")


class InboxScreen(DubanScreen):
    """待办 (key 1)."""

    AUTO_FOCUS = "#inbox"
    DEFAULT_CSS = """
    InboxScreen #inbox-counts { height: auto; padding: 0 1; }
    InboxScreen #inbox { height: 1fr; }
    InboxScreen #inbox-result { height: auto; max-height: 8; padding: 0 1; }
    """
    BINDINGS = [
        Binding("space", "mark", "选中", id="inbox.mark", key_display="空格"),
        Binding("p", "decide(True)", "通过/批准", id="inbox.pass"),
        Binding("b", "decide(False)", "退回/驳回", id="inbox.back"),
        Binding("right_square_bracket", "page(1)", "下一页", id="table.next_page", show=False),
        Binding("left_square_bracket", "page(-1)", "上一页", id="table.prev_page", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[InboxItem] = []
        self.marked: set[tuple[InboxKind, int]] = set()
        self.row_offset = 0
        self.total = 0
        self.busy = False
        self._counts = ""
        self._resumes = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("加载中...", id="inbox-counts")
        table: DataTable[Cell] = DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
        table.add_columns("选", "类别", "等待", "政策", "任务", "部门", "期间", "内容")
        yield table
        yield Static("", id="inbox-result")
        yield from self.compose_footer()

    @on(events.ScreenResume)
    def _back(self) -> None:
        """Coming back (from a task opened here, or another screen): what was decided there has left."""
        self._resumes += 1
        if self._resumes > 1:
            self.refresh_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("mark", "decide"):
            return self.ctx.actor.is_coordinator  # only a coordinator decides: no keys for the others
        return True

    # ------------------------------------------------------------------ loading

    def refresh_data(self) -> None:
        from duban.services.inbox import DEFAULT_DAYS, inbox

        ctx, offset = self.ctx, self.row_offset
        days = int(ctx.settings.get("inbox.days", DEFAULT_DAYS)) if ctx.settings else DEFAULT_DAYS
        self.load(
            "inbox",
            lambda s: inbox(
                s, actor=ctx.actor, as_of=ctx.today, days=days, limit=PAGE, offset=offset, tz=ctx.timezone
            ),
        )

    def show_inbox(self, box: Inbox) -> None:
        self.items = list(box.items)
        self.total = box.total
        waiting = {(i.kind, i.id) for i in self.items if i.kind in DECIDABLE}
        self.marked &= waiting  # decided rows leave the queue, and their marks with them
        table = self.query_one("#inbox", DataTable)
        fill(table, [self._row(i) for i in self.items], range(len(self.items)))
        self._show_counts(box)

    def _row(self, item: InboxItem) -> tuple[Cell, ...]:
        mark = Text(MARK, style="bold reverse") if (item.kind, item.id) in self.marked else ""
        return (
            mark,
            item.kind.label,
            waited(item),
            clip(item.policy, 18),
            clip(item.task_number, 6),
            clip(item.department or item.jurisdiction_name or "未识别部门", 16),
            clip(item.period or "-", 8),
            clip(subject(item), 40),
        )

    def _show_counts(self, box: Inbox | None = None) -> None:
        counts_widget = self.query_one("#inbox-counts", Static)
        if box is not None:
            self._counts = "  ".join(f"{k.label} {n}" for k, n in box.counts.items())
        counts = self._counts
        if not counts:
            counts_widget.update("只读用户没有待办事项")
            return
        first, last = (self.row_offset + 1, self.row_offset + len(self.items)) if self.items else (0, 0)
        line = f"{counts}  第 {first}-{last} 项/共 {self.total} 项"
        if self.ctx.actor.is_coordinator:
            line += f"  已选 {len(self.marked)} 项"
        counts_widget.update(Text(cell_text(line)))

    def action_page(self, step: int) -> None:
        offset = self.row_offset + step * PAGE
        if 0 <= offset < max(self.total, 1):
            self.row_offset = offset
            self.refresh_data()

    # ------------------------------------------------------------------ rows

    def current(self) -> InboxItem | None:
        table = self.query_one("#inbox", DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    @on(DataTable.RowSelected, "#inbox")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self.current()
        if item is not None:
            self.duban.open_task(item.task)

    def action_mark(self) -> None:
        item = self.current()
        if item is None:
            return
        if item.kind not in DECIDABLE:
            self.notify("只有待复核的报送和待审批的延期申请可以选中批量处理", severity="warning")
            return
        key = (item.kind, item.id)
        self.marked ^= {key}
        table = self.query_one("#inbox", DataTable)
        row = table.cursor_row
        table.update_cell_at(Coordinate(row, 0), self._row(item)[0])
        if row + 1 < table.row_count:
            table.move_cursor(row=row + 1)
        self._show_counts()

    def targets(self) -> list[InboxItem]:
        """The marked rows; with none marked, the highlighted row when it can be decided."""
        chosen = [i for i in self.items if (i.kind, i.id) in self.marked]
        if chosen:
            return chosen
        item = self.current()
        return [item] if item is not None and item.kind in DECIDABLE else []

    # ------------------------------------------------------------------ deciding

    def action_decide(self, accept: bool) -> None:
        if self.busy:
            return
        targets = self.targets()
        if not targets:
            self.notify("请先用空格选择待复核的报送或待审批的延期申请", severity="warning")
            return
        if accept:
            self._confirm(targets, True, None)
            return

        def reasoned(reason: str | None) -> None:
            if reason:
                self._confirm(targets, False, reason)

        self.app.push_screen(ReasonForm(self.ctx, len(targets)), reasoned)

    def _confirm(self, targets: list[InboxItem], accept: bool, reason: str | None) -> None:
        from duban.tui.confirm import ConfirmScreen

        reports = sum(1 for i in targets if i.kind is InboxKind.REVIEW)
        extensions = len(targets) - reports
        parts = []
        if accept:
            if reports:
                parts.append(f"{reports} 份报送通过复核（定稿；申请办结的责任随之办结）")
            if extensions:
                parts.append(f"{extensions} 项延期申请获批（节点有效到期日改为申请的新日期）")
            question, yes = f"通过/批准已选的 {len(targets)} 项？", "通过/批准"
        else:
            if reports:
                parts.append(f"{reports} 份报送被退回（部门须重新报送）")
            if extensions:
                parts.append(f"{extensions} 项延期申请被驳回（仍按原到期日督办）")
            question, yes = f"退回/驳回已选的 {len(targets)} 项？", "退回/驳回"
        consequence = "；".join(parts) + "。每项单独处理，不能撤销" + (f"；理由：{reason}" if reason else "")

        def answered(yes_: bool | None) -> None:
            if yes_:
                self._run_batch(targets, accept, reason)

        self.app.push_screen(ConfirmScreen(question, yes, consequence), answered)

    def _decision(self, item: InboxItem, accept: bool, reason: str | None) -> Callable[[Session], str]:
        ctx = self.ctx

        def run(session: Session) -> str:
            if item.kind is InboxKind.REVIEW:
                from duban.services.lifecycle import review_report

                review_report(
                    session,
                    actor=ctx.actor,
                    report_id=item.id,
                    accept=accept,
                    reason=reason,
                    at=ctx.now(),
                    today=ctx.today,
                )
                return "已通过" if accept else "已退回"
            from duban.services.extensions import decide_extension

            decide_extension(
                session,
                actor=ctx.actor,
                extension_id=item.id,
                approve=accept,
                reason=reason,
                at=ctx.now(),
                today=ctx.today,
            )
            return "已批准" if accept else "已驳回"

        return run

    def _run_batch(self, targets: list[InboxItem], accept: bool, reason: str | None) -> None:
        self.busy = True
        ctx = self.ctx
        jobs = [(what(i), self._decision(i, accept, reason)) for i in targets]

        def work() -> None:
            outcomes = []
            for name, fn in jobs:  # one unit of work each: a conflict on one row leaves the others decided
                ok, text = perform(ctx, fn)
                outcomes.append(Outcome(name, ok, text))
            self.post_message(BatchDone(outcomes))

        self.query_one("#inbox-result", Static).update(f"正在处理 {len(jobs)} 项...")
        self.run_worker(work, thread=True, group="batch", exit_on_error=False, name="batch decide")

    def on_batch_done(self, message: BatchDone) -> None:
        message.stop()
        self.busy = False
        done = [o for o in message.outcomes if o.ok]
        failed = [o for o in message.outcomes if not o.ok]
        lines = [f"已处理 {len(message.outcomes)} 项：成功 {len(done)} 项，未完成 {len(failed)} 项"]
        lines += [f"{o.what}：{o.text}" for o in done]
        lines += [f"{o.what} 未完成：{o.text}" for o in failed]
        result = Text()
        for i, line in enumerate(lines):
            result.append(
                ("\n" if i else "") + cell_text(line), style="bold red" if "未完成：" in line else ""
            )
        self.query_one("#inbox-result", Static).update(result)
        self.notify(
            lines[0],
            title="完成" if not failed else "部分未完成",
            severity="information" if not failed else "warning",
            timeout=8,
        )
        self.marked.clear()
        self.refresh_data()
