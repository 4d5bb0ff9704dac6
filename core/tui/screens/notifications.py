"""通知: the outbox and its delivery log, failures first.

Reads ``duban.services.notifications.notification_log``; says "通知功能尚未安装" while that module is
missing. Coordinators and viewers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Label, Static

from duban.domain.vocabulary import OutboxState
from duban.tui.base import DubanScreen
from duban.tui.text import cell_text, clip, moment
from duban.tui.widgets import Cell, fill

if TYPE_CHECKING:
    from duban.services.names import NameBook
    from duban.services.notification_results import OutboxEntry

MISSING = "通知功能尚未安装"


#: how many outbox rows the screen shows (the newest); the note says how many there are in all
SHOWN = 500


def load_outbox(
    session: Any, *, failed_only: bool, limit: int = SHOWN
) -> tuple[list[OutboxEntry], int, NameBook] | None:
    """The newest outbox rows with their delivery attempts, failures first, the number of all matching
    rows and the names of their receivers; None while notifications are not installed."""
    try:
        from duban.services.notifications import notification_log_page
    except ImportError:
        return None
    from duban.services.names import name_book

    page = notification_log_page(session, failed=failed_only, limit=limit)
    rows = sorted(page.items, key=lambda r: r.state != OutboxState.FAILED)
    return rows, page.total, name_book(session)


def receiver_name(book: NameBook | None, receiver: str) -> str:
    """Who a message went to, as a person says it: 云南省民政厅, 云南省民政厅（分管领导）, 协调人, 标签 x."""
    if receiver == "coordinator":
        return "协调人"
    if receiver.startswith("tag:"):
        return f"标签 {receiver[4:]}"
    if book is None or "@" not in receiver:
        return receiver
    dept, _, role = receiver.partition("#")
    agency, _, jurisdiction = dept.partition("@")
    name = book.agency(agency, None if jurisdiction == "000000" else jurisdiction)
    return name + ("（分管领导）" if role == "leadership" else "")


class NotificationsScreen(DubanScreen):
    AUTO_FOCUS = "#outbox"
    HAS_FILTER = True
    BINDINGS = [
        Binding("f", "failed_only", "只看失败", id="notify.failed_only"),
        Binding("m", "remind", "立即提醒", id="notify.remind"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[OutboxEntry] = []
        self.loaded: list[OutboxEntry] = []
        self.total = 0
        self.book: NameBook | None = None
        self.failed_only = False
        self.text = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Input(placeholder="/ 筛选：收件方或主题，回车确定", id="filter")
        yield Static("加载中...", id="notify-note")
        table: DataTable[Cell] = DataTable(id="outbox", cursor_type="row", zebra_stripes=True)
        table.add_columns("编号", "状态", "收件", "级别", "主题", "尝试", "创建", "发送/下次")
        yield table
        yield Label("投递记录", classes="section")
        yield Static("", id="delivery")
        yield from self.compose_footer()

    def refresh_data(self) -> None:
        if self.ctx.is_department:
            self.query_one("#notify-note", Static).update("通知记录仅协调人可见")
            return
        failed_only = self.failed_only
        self.load("outbox", lambda s: load_outbox(s, failed_only=failed_only))

    def show_outbox(self, loaded: tuple[list[OutboxEntry], int, NameBook] | None) -> None:
        note = self.query_one("#notify-note", Static)
        if loaded is None:
            note.update(MISSING)
            return
        rows, total, self.book = loaded
        self.loaded, self.total = rows, total
        self._fill()

    def _fill(self) -> None:
        note = self.query_one("#notify-note", Static)
        needle = self.text.strip()
        rows = [
            r
            for r in self.loaded
            if not needle
            or needle in receiver_name(self.book, r.receiver)
            or needle in r.receiver
            or needle in r.subject
        ]
        total = self.total if not needle else len(rows)
        self.rows = rows
        failed = sum(1 for r in rows if r.state == OutboxState.FAILED)
        shown = f"共 {total} 条" if total <= len(rows) else f"共 {total} 条，显示最新的 {len(rows)} 条"
        note.update(
            f"{shown}，其中失败 {failed} 条（失败在前{'，只看失败' if self.failed_only else ''}；按 f 切换）"
        )

        def state(r: OutboxEntry) -> Text:
            return Text(r.state.label, style="bold red" if r.state == OutboxState.FAILED else "")

        fill(
            self.query_one("#outbox", DataTable),
            [
                (
                    r.id,
                    state(r),
                    clip(receiver_name(self.book, r.receiver), 18),
                    cell_text(r.level.label),
                    clip(r.subject, 40),
                    r.attempts,
                    moment(r.created_at),
                    moment(r.sent_at or r.next_attempt_at),
                )
                for r in rows
            ],
            list(range(len(rows))),
        )
        self._show_delivery(0)

    def _show_delivery(self, index: int) -> None:
        box = self.query_one("#delivery", Static)
        if not self.rows or index >= len(self.rows):
            box.update("")
            return
        log = self.rows[index].deliveries
        if not log:
            box.update("尚无投递记录")
            return
        text = Text()
        for a in log:
            text.append("成功 " if a.ok else "失败 ", style="green" if a.ok else "bold red")
            text.append(
                cell_text(f"{moment(a.at)} {a.url} {'（永久）' if a.permanent else ''}{a.detail or ''}")
                + "\n"
            )
        box.update(text)

    @on(DataTable.RowHighlighted, "#outbox")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_delivery(int(event.row_key.value))

    def action_remind(self) -> None:
        from duban.tui.actions import send_reminders_now

        send_reminders_now(self)

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.text = event.value
        self._fill()
        self.query_one("#outbox", DataTable).focus()

    def action_failed_only(self) -> None:
        self.failed_only = not self.failed_only
        self.refresh_data()
