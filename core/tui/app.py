"""The duban dashboard: a Textual app over the services (it never writes SQL).

Build it with :func:`create_app`; ``duban dashboard`` does so from the CLI's settings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from textual.app import App
from textual.binding import Binding

from duban.plugin_host import PluginHost
from duban.services.identity import Actor
from duban.tui.context import DashboardContext
from duban.tui.palette import DubanCommands
from duban.tui.screens.assessment import AssessmentScreen
from duban.tui.screens.department import DepartmentScreen
from duban.tui.screens.inbox import InboxScreen
from duban.tui.screens.notifications import NotificationsScreen
from duban.tui.screens.overview import OverviewScreen
from duban.tui.screens.policies import PoliciesScreen
from duban.tui.screens.tasks import TaskDetailScreen, TasksScreen
from duban.tui.widgets import KeysScreen

#: key → binding id, for users who remap keys (Textual keymap: {"nav.tasks": "f2", …})
NAV = (
    ("1", "inbox", "待办"),
    ("2", "overview", "总览"),
    ("3", "tasks", "任务"),
    ("4", "department", "部门"),
    ("5", "assessment", "考核"),
    ("6", "policies", "政策"),
    ("7", "notifications", "通知"),
)


class DubanApp(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "督办"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {DubanCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    MODES = {
        "inbox": InboxScreen,
        "overview": OverviewScreen,
        "tasks": TasksScreen,
        "department": DepartmentScreen,
        "assessment": AssessmentScreen,
        "policies": PoliciesScreen,
        "notifications": NotificationsScreen,
    }
    BINDINGS = [
        *[Binding(key, f"switch_mode('{mode}')", name, id=f"nav.{mode}") for key, mode, name in NAV],
        Binding("question_mark", "keys", "按键", id="app.keys"),
        Binding("ctrl+r", "refresh", "刷新", id="app.refresh"),
        Binding("q", "quit", "退出", id="app.quit"),
    ]

    def __init__(
        self, ctx: DashboardContext, *, keymap: dict[str, str] | None = None, start: str | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self._keymap = dict(keymap or {})
        self._start = start

    @property
    def initial_mode(self) -> str:
        """A coordinator lands on 待办 (what waits on their decision), a department user on their own work,
        a viewer on 总览; ``start`` names another screen (MODES key)."""
        if self._start in self.MODES:
            return self._start
        if self.ctx.is_department:
            return "department"
        return "inbox" if self.ctx.actor.is_coordinator else "overview"

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self.sub_title = f"{self.ctx.actor.label()} | {self.ctx.today.isoformat()}"
        self.switch_mode(self.initial_mode)

    # ------------------------------------------------------------------ navigation

    def open_task(self, task_id: int) -> None:
        self.push_screen(TaskDetailScreen(task_id))

    async def _open_in(self, mode: str, method: str, value: Any) -> None:
        await self.switch_mode(mode)
        getattr(self.screen, method)(value)

    def open_department(self, agency: str) -> None:
        if self.ctx.is_department and agency != self.ctx.actor.agency_key:
            self.notify("部门用户只能查看本部门的工作", severity="warning")
            return
        self.run_worker(self._open_in("department", "set_agency", agency), group="navigate")

    def open_policy(self, policy_id: int) -> None:
        self.run_worker(self._open_in("policies", "select_policy", policy_id), group="navigate")

    # ------------------------------------------------------------------ app keys

    def action_keys(self) -> None:
        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            b = active.binding
            ident = b.id or b.action
            if ident in seen or not b.description:
                continue
            seen.add(ident)
            rows.append((self.get_key_display(b), b.description, b.id or "-"))
        rows += [("/", "筛选当前表格", "table.filter"), ("ctrl+p", "命令面板：查找任务、部门、政策", "-")]
        self.push_screen(KeysScreen(rows))

    def action_refresh(self) -> None:
        refresh = getattr(self.screen, "refresh_data", None)
        if refresh is not None:
            refresh()
            detail = getattr(self.screen, "reload_detail", None)
            if detail is not None:
                detail()


def create_app(
    *,
    engine_url: str | None = None,
    session_factory: sessionmaker[Session] | None = None,
    host: PluginHost | None = None,
    actor: Actor | None = None,
    today: dt.date | None = None,
    warning_days: int = 5,
    timezone: str = "Asia/Shanghai",
    attachment_root: Path | None = None,
    settings: Any = None,
    keymap: dict[str, str] | None = None,
    start: str | None = None,
) -> DubanApp:
    """The dashboard app on a database (``engine_url`` or ``session_factory``) for ``actor`` on ``today``.

    Without ``actor`` the acting user is resolved like the CLI does (OS login; first run = coordinator).
    """
    from duban.services.clock import local_today
    from duban.services.identity import resolve_actor
    from duban.storage import db

    if session_factory is None:
        if engine_url is None:
            raise ValueError("create_app needs engine_url or session_factory")
        session_factory = db.session_factory(db.make_engine(engine_url))
    host = host or PluginHost.load()
    if actor is None:
        with session_factory() as session:
            actor = resolve_actor(session, login_map=settings.get("users.map", {}) if settings else None)
    ctx = DashboardContext(
        sessions=session_factory,
        host=host,
        actor=actor,
        today=today or local_today(timezone),
        warning_days=warning_days,
        timezone=timezone,
        attachment_root=attachment_root,
        settings=settings,
    )
    ctx.prepare_calendar()
    return DubanApp(ctx, keymap=keymap, start=start)
