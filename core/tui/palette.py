"""The command palette (ctrl+p): tasks, departments and policies found by any part of their name, and a jump
to a task by "政策 编号" (民发〔2019〕86号 3). Textual's own words in it are replaced by Chinese ones."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from duban.tui.text import clip

if TYPE_CHECKING:
    from duban.services.dashboard_results import SearchHit
    from duban.tui.app import DubanApp

SCREENS = (
    ("inbox", "待办"),
    ("overview", "总览"),
    ("tasks", "任务"),
    ("department", "部门"),
    ("assessment", "考核"),
    ("policies", "政策"),
    ("notifications", "通知"),
)


class DubanCommands(Provider):
    """Searches the database (in a thread) for what the user types; a department user finds only their work."""

    @property
    def duban(self) -> DubanApp:
        return self.app  # type: ignore[return-value]  # Textual types every widget's app as the base App

    async def discover(self) -> Hits:
        for mode, name in SCREENS:
            yield DiscoveryHit(f"打开 {name}", partial(self.duban.switch_mode, mode), help=f"切换到{name}屏")

    async def search(self, query: str) -> Hits:
        from duban.services.dashboard import find_task_ref, search

        matcher = self.matcher(query)
        for mode, name in SCREENS:
            label = f"打开 {name}"
            if query.strip() and query.strip() in label:
                yield Hit(
                    1.0,
                    matcher.highlight(label),
                    partial(self.duban.switch_mode, mode),
                    help=f"切换到{name}屏",
                )
        ctx = self.duban.ctx

        def find(session: Any) -> list[SearchHit]:
            scope = ctx.scope(session)
            jumps = find_task_ref(session, text=query, scope=scope)
            return jumps + [h for h in search(session, text=query, scope=scope, limit=15) if h not in jumps]

        hits = await asyncio.to_thread(ctx.read, find)
        for hit in hits:
            label = clip(hit_label(hit), 70)
            score = max(matcher.match(label), 0.5)
            yield Hit(
                score,
                matcher.highlight(label),
                partial(self._open, hit.kind, hit.id),
                text=label,
                help={"task": "任务详情", "department": "部门视图", "policy": "政策及其任务"}[hit.kind],
            )

    def _open(self, kind: str, ident: Any) -> None:
        if kind == "task":
            self.duban.open_task(int(ident))
        elif kind == "department":
            self.duban.open_department(str(ident))
        else:
            self.duban.open_policy(int(ident))


def hit_label(hit: SearchHit) -> str:
    """部门 民政 / 政策 民发〔2019〕86号 标题 / 任务 民发〔2019〕86号 二.三 正文."""
    if hit.kind == "department":
        return f"部门 {hit.name}"
    if hit.kind == "policy":
        return f"政策 {hit.policy or ''} {hit.name}".strip()
    return f"任务 {hit.policy} {hit.number} {hit.name}"


PLACEHOLDER = "查找任务、部门、政策；或输入「文号 编号」跳到任务，如 民发〔2019〕86号 3"
NO_MATCHES = "没有找到"


class DubanPalette(CommandPalette):
    """Textual's command palette with Chinese words (its placeholder and "No matches found")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", PLACEHOLDER)
        super().__init__(**kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(NO_MATCHES, style="not bold")), disabled=True, id=self._NO_MATCHES
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)
