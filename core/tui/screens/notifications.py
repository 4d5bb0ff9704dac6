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
    from duban.services.notification_results import OutboxEntry

MISSING = "通知功能尚未安装"


#: how many outbox rows the screen shows (the newest); the note says how many there are in all
SHOWN = 500


def load_outbox(
    session: Any, *, failed_only: bool, limit: int = SHOWN, tz: str = "Asia/Shanghai"
) -> tuple[list[OutboxEntry], int, list[str]] | None:
    """The newest outbox rows with their delivery attempts, failures first, the number of all matching
    rows, and the silences in force (one line each); None while notifications are not installed."""
    try:
        from duban.services.notifications import notification_log_page
        from duban.services.silences import describe, list_silences
    except ImportError:
        return None
    page = notification_log_page(session, failed=failed_only, limit=limit)
    silences = [f"{e.scope.label} {e.target_name}：{describe(e, tz)}" for e in list_silences(session)]
    rows = sorted(page.items, key=lambda r: r.state != OutboxState.FAILED)
    return rows, page.total, silences


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
        self.silences: list[str] = []
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
        failed_only, tz = self.failed_only, self.ctx.timezone
        self.load("outbox", lambda s: load_outbox(s, failed_only=failed_only, tz=tz))

    def show_outbox(self, loaded: tuple[list[OutboxEntry], int, list[str]] | None) -> None:
        note = self.query_one("#notify-note", Static)
        if loaded is None:
            note.update(MISSING)
            return
        self.loaded, self.total, self.silences = loaded
        self._fill()

    def _fill(self) -> None:
        note = self.query_one("#notify-note", Static)
        needle = self.text.strip()
        rows = [
            r
            for r in self.loaded
            if not needle or needle in (r.receiver_name or r.receiver) or needle in r.subject
        ]
        total, silences = (self.total if not needle else len(rows)), self.silences
        self.rows = rows
        failed = sum(1 for r in rows if r.state == OutboxState.FAILED)
        tz = self.ctx.timezone
        shown = f"共 {total} 条" if total <= len(rows) else f"共 {total} 条，显示最新的 {len(rows)} 条"
        note.update(
            f"{shown}，其中失败 {failed} 条（失败在前{'，只看失败' if self.failed_only else ''}；按 f 切换）"
            + "".join(f"\n静默中：{line}" for line in silences)
        )

        def state(r: OutboxEntry) -> Text:
            return Text(r.state.label, style="bold red" if r.state == OutboxState.FAILED else "")

        fill(
            self.query_one("#outbox", DataTable),
            [
                (
                    r.id,
                    state(r),
                    clip(r.receiver_name or r.receiver, 16),
                    cell_text(r.level.label),
                    clip(r.subject, 40),
                    r.attempts,
                    moment(r.created_at, tz),
                    moment(r.sent_at or r.next_attempt_at, tz),
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
                cell_text(
                    f"{moment(a.at, self.ctx.timezone)} {a.url} {'（永久）' if a.permanent else ''}{a.detail or ''}"
                )
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
