"""The duban dashboard: a Textual app over the services (it never writes SQL).

Build it with :func:`create_app`; ``duban dashboard`` does so from the CLI's settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

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


COMMAND_PALETTE_KEY = "ctrl+p"


class DubanApp(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "督办"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {DubanCommands}
    COMMAND_PALETTE_BINDING = COMMAND_PALETTE_KEY
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
        # Textual adds its own ctrl+p binding, named "palette" in the footer, unless the app has one
        Binding(COMMAND_PALETTE_KEY, "command_palette", "查找", show=False, priority=True, id="app.palette"),
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
        from duban.tui.keys import KeysScreen, key_rows

        self.push_screen(KeysScreen(key_rows(self)))

    def action_command_palette(self) -> None:
        """ctrl+p: the command palette, in Chinese."""
        from textual.command import CommandPalette

        from duban.tui.palette import DubanPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App[None]
            self.push_screen(DubanPalette(id="--command-palette"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, in Chinese (themes and screenshots are left out)."""
        yield SystemCommand("按键", "列出当前屏幕的按键", self.action_keys)
        yield SystemCommand("退出", "退出督办", self.exit)

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
