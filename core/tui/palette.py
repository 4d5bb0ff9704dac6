"""The command palette (ctrl+p): tasks, departments and policies found by any part of their name."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

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
        from duban.services.dashboard import search

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
            return search(session, text=query, scope=ctx.scope(session), limit=15)

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
    """部门 民政（minzheng） / 政策 民发〔2019〕86号 标题 / 任务 民发〔2019〕86号 二.三 正文."""
    if hit.kind == "department":
        return f"部门 {hit.name}（{hit.id}）"
    if hit.kind == "policy":
        return f"政策 {hit.policy or ''} {hit.name}".strip()
    return f"任务 {hit.policy} {hit.number} {hit.name}"
