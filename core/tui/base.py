"""The screen base class: queries and actions run in thread workers that only post messages back
(harlequin style), with one place that turns errors into messages for the user."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from duban.errors import DubanError
from duban.storage.busy import BUSY_MESSAGE, is_busy, retry_busy

if TYPE_CHECKING:
    from duban.services.check_results import CheckRunResult
    from duban.tui.app import DubanApp
    from duban.tui.context import DashboardContext

log = logging.getLogger(__name__)


class Loaded(Message):
    """A query's result, posted by its worker."""

    def __init__(self, key: str, seq: int, data: Any) -> None:
        super().__init__()
        self.key, self.seq, self.data = key, seq, data


class Failed(Message):
    """A query or action failed; ``text`` is for the user."""

    def __init__(self, key: str, seq: int, text: str) -> None:
        super().__init__()
        self.key, self.seq, self.text = key, seq, text


class ActionDone(Message):
    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text, self.ok = text, ok


class QueryCancelled(Exception):
    """A superseded query stopped in the engine (never shown: its result would have been discarded)."""


class Interrupt:
    """Stops the SQL of one superseded load: a thread worker cannot be killed, so the statement must end.

    In the worker, :meth:`attach` hooks the session's connection; :meth:`cancel` (called on the event loop
    when a newer load of the same pane starts) stops the statement running on it — SQLite's
    ``connection.interrupt()``, PostgreSQL's server-side cancel (psycopg ``connection.cancel()``) — and no
    further statement starts (checked before each). :meth:`detach` unhooks the connection before it goes back
    to the pool. (No SQLite progress handler: calling into Python every few thousand VM steps makes the query
    wait for the GIL whenever the event loop is busy painting.)
    """

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._stop: Callable[[], Any] | None = None
        self._connection: Any = None

    def attach(self, session: Session) -> None:
        from sqlalchemy import event

        connection = session.connection()
        dbapi: Any = connection.connection.dbapi_connection
        with self._lock:
            self._connection = connection
            event.listen(connection, "before_cursor_execute", self._before_statement)
            # sqlite3.Connection.interrupt and psycopg's Connection.cancel may be called from any thread
            self._stop = getattr(dbapi, "interrupt", None) or getattr(dbapi, "cancel", None)
        self.check()

    def _before_statement(self, *_args: Any) -> None:
        self.check()  # no new statement once cancelled (a cancel between two statements stops the next)

    def detach(self) -> None:
        from sqlalchemy import event

        with self._lock:
            if self._connection is not None:
                event.remove(self._connection, "before_cursor_execute", self._before_statement)
            self._connection, self._stop = None, None

    def check(self) -> None:
        """Raise :class:`QueryCancelled` once cancelled (between statements)."""
        if self.cancelled.is_set():
            raise QueryCancelled

    def cancel(self) -> None:
        self.cancelled.set()
        with self._lock:
            stop = self._stop
            if stop is not None:
                try:
                    stop()
                except Exception:  # the statement may have ended meanwhile
                    log.debug("stopping a superseded query failed", exc_info=True)


_FLAG_NOTE = re.compile(r"（--[a-z][a-z-]*）")
_USE_FLAG = re.compile(r"用 --[a-z][a-z-]* ?")


def without_flags(text: str) -> str:
    """A service's message as the dashboard says it: the CLI's option names left out ("必须说明理由（--reason）"
    → "必须说明理由"; "请用 --template 指定" → "请指定"); a form has fields, not flags."""
    return _USE_FLAG.sub("", _FLAG_NOTE.sub("", text))


def error_text(exc: BaseException) -> str:
    """The user's message for an error: DubanError text as is; a locked or busy database as
    "数据库正忙，请稍后重试"; anything else named as internal by its kind only (the details, which may hold SQL,
    go to the log)."""
    if isinstance(exc, DubanError):
        return without_flags(str(exc))
    if is_busy(exc):
        log.warning("database busy: %s", type(exc).__name__)
        return BUSY_MESSAGE
    log.exception("dashboard worker failed", exc_info=exc)
    return f"内部错误（{type(exc).__name__}），详情已写入日志"


def mark_sorted(table: DataTable[Any], sort_column: str | None, descending: bool) -> None:
    """Put ▴/▾ on the header of the column (by key) the table is sorted by and take it off the others."""
    from rich.text import Text

    from duban.tui.text import SORT_DOWN, SORT_UP, sorted_label

    changed = False
    for key, column in table.columns.items():
        plain = column.label.plain.rstrip(SORT_UP + SORT_DOWN)
        label = sorted_label(plain, active=key.value == sort_column, descending=descending)
        if column.label.plain != label:
            column.label = Text(label)
            column.content_width = max(column.content_width, column.label.cell_len)
            changed = True
    if changed:
        # Textual has no public way to relabel a column: drop its cached header and re-measure
        table._clear_caches()
        table._require_update_dimensions = True
        table.refresh()


def perform(ctx: DashboardContext, fn: Callable[[Session], str]) -> tuple[bool, str]:
    """Run one action in its own unit of work (commit on success, rollback on error). Called in a thread.

    A locked or busy database rolls the unit of work back and runs it again briefly (:func:`retry_busy`)."""

    def once() -> str:
        with ctx.write() as session:
            return fn(session)

    try:
        return True, retry_busy(once)
    except Exception as exc:  # every failure becomes a message; DubanError text is shown as is
        return False, error_text(exc)


class DubanScreen(Screen[None]):
    """A dashboard screen. Subclasses define ``show_<key>(data)`` for each query they ``load``."""

    #: whether "/" focuses an Input with id "filter"
    HAS_FILTER = False
    #: the name shown in the header (【任务】); None: the name of the app's current mode (NAV)
    SCREEN_NAME: str | None = None
    BINDINGS = [
        Binding("slash", "filter", "筛选", id="table.filter", show=False),
        Binding("escape", "unfilter", "返回表格", id="table.leave_filter", show=False),
        Binding("j", "table('cursor_down')", "下一行", id="table.down", show=False),
        Binding("k", "table('cursor_up')", "上一行", id="table.up", show=False),
        Binding("g", "table('scroll_top')", "第一行", id="table.top", show=False),
        Binding("G", "table('scroll_bottom')", "最后一行", id="table.bottom", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seq: dict[str, int] = {}
        self._interrupts: dict[str, Interrupt] = {}
        self._shown_once = False

    @property
    def duban(self) -> DubanApp:
        return self.app  # type: ignore[return-value]  # Textual types every widget's app as the base App

    @property
    def ctx(self) -> DashboardContext:
        return self.duban.ctx

    def compose_chrome(self) -> ComposeResult:
        yield Header()

    def compose_footer(self) -> ComposeResult:
        yield Footer()

    # ------------------------------------------------------------------ queries

    def load(self, key: str, fn: Callable[[Session], Any], *, write: bool = False) -> None:
        """Run ``fn(session)`` in a thread worker; ``show_<key>`` receives the result (stale ones are dropped).

        One load per ``key`` at a time: a newer load cancels the older one's worker (an exclusive group per
        pane) and stops its SQL in the engine (:class:`Interrupt`), so superseded queries never pile up.
        While a load runs, ``loading_<key>(True)`` is called if the screen defines it (and ``(False)`` after).

        ``write``: commit what ``fn`` writes (the responsibility checks a refresh runs) instead of rolling back.
        """
        seq = self._seq.get(key, 0) + 1
        self._seq[key] = seq
        ctx = self.ctx
        previous = self._interrupts.get(key)
        if previous is not None:
            previous.cancel()
        interrupt = self._interrupts[key] = Interrupt()

        def guarded(session: Session) -> Any:
            interrupt.attach(session)
            try:
                return fn(session)
            finally:
                interrupt.detach()

        def work() -> None:
            try:
                data = retry_busy(lambda: ctx.read_write(guarded) if write else ctx.read(guarded))
                interrupt.check()
            except Exception as exc:  # shown to the user by on_failed (unless superseded)
                if interrupt.cancelled.is_set():
                    log.debug("superseded load %s stopped: %r", key, exc)
                    return
                self.post_message(Failed(key, seq, error_text(exc)))
                return
            self.post_message(Loaded(key, seq, data))

        self._loading(key, True)
        self.run_worker(
            work, thread=True, group=f"load-{key}", exclusive=True, exit_on_error=False, name=f"load {key}"
        )

    def _loading(self, key: str, busy: bool) -> None:
        handler = getattr(self, f"loading_{key}", None)
        if handler is not None:
            handler(busy)

    def on_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.seq != self._seq.get(message.key):
            return
        self._loading(message.key, False)
        getattr(self, f"show_{message.key}")(message.data)

    def on_failed(self, message: Failed) -> None:
        message.stop()
        if message.seq != self._seq.get(message.key):
            return
        self._loading(message.key, False)
        handler = getattr(self, f"failed_{message.key}", None)
        if handler is not None:
            handler(message.text)
        self.notify(message.text, title="查询失败", severity="error", timeout=8)

    # ------------------------------------------------------------------ actions

    def act(self, fn: Callable[[Session], str]) -> None:
        """Run a write in a thread worker: one session, commit on success, rollback + message on error."""
        ctx = self.ctx

        def work() -> None:
            ok, text = perform(ctx, fn)
            self.post_message(ActionDone(text, ok))

        self.run_worker(work, thread=True, group="action", exit_on_error=False, name="action")

    def on_action_done(self, message: ActionDone) -> None:
        message.stop()
        self.action_finished(message.text, message.ok)

    def action_finished(self, text: str, ok: bool) -> None:
        self.notify(
            text,
            title="完成" if ok else "未完成",
            severity="information" if ok else "error",
            timeout=6 if ok else 10,
        )
        if ok:
            self.refresh_data()

    def refresh_data(self) -> None:
        """Reload what the screen shows (after an action, on ctrl+r)."""

    def run_checks(self, as_of: dt.date, scope: Callable[[Session], Any]) -> None:
        """Run the plugins' responsibility checks for the day and scope shown (stored); ``show_checks``
        names a plugin that failed."""
        from duban.services.responsibility_checks import run_responsibility_checks

        ctx = self.ctx
        self.load(
            "checks",
            lambda s: run_responsibility_checks(
                s,
                host=ctx.host,
                as_of=as_of,
                scope=scope(s),
                actor=ctx.actor,
                today=ctx.today,
                tz=ctx.timezone,
            ),
            write=True,
        )

    def show_checks(self, result: CheckRunResult) -> None:
        if result.faults:
            names = "、".join(result.failed_plugins)
            self.notify(
                f"插件 {names} 的责任检查出错，已跳过；其余插件照常", title="插件出错", severity="warning"
            )

    def screen_name(self) -> str:
        if self.SCREEN_NAME is not None:
            return self.SCREEN_NAME
        from duban.tui.app import NAV

        mode = self.app.current_mode
        return next((name for _key, m, name in NAV if m == mode), "")

    def on_screen_resume(self) -> None:
        name = self.screen_name()
        self.title = f"{self.app.title}【{name}】" if name else None  # the active screen, in the header
        if not self._shown_once:
            self._shown_once = True
            self.refresh_data()

    # ------------------------------------------------------------------ keys a user may use

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide (and refuse) the keys of actions the acting user may not take: a department user has no
        复核/审批/提醒全部, a viewer takes no action at all."""
        from duban.tui.keys import allowed

        if action in {"filter", "unfilter"} and not self.HAS_FILTER:
            return False
        return True if allowed(self.ctx.actor.role, action) else False

    # ------------------------------------------------------------------ vim keys on lists

    def _table(self) -> DataTable[Any] | None:
        focused = self.focused
        if isinstance(focused, DataTable):
            return focused
        tables = [t for t in self.query(DataTable) if t.display and t.is_on_screen]
        return tables[0] if tables else None

    def action_table(self, method: str) -> None:
        """j/k/g/G: down, up, first and last row of the focused list (or the first list on screen)."""
        table = self._table()
        if table is None:
            return
        if not table.has_focus:
            table.focus()
        if method == "scroll_top":
            table.move_cursor(row=0)
        elif method == "scroll_bottom":
            table.move_cursor(row=max(table.row_count - 1, 0))
        else:
            getattr(table, f"action_{method}")()

    # ------------------------------------------------------------------ "/" filter

    def action_filter(self) -> None:
        if self.HAS_FILTER:
            self.query_one("#filter", Input).focus()

    def action_unfilter(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "filter":
            tables = list(self.query(DataTable))
            if tables:
                tables[0].focus()
