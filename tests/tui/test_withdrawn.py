"""The task detail shows a withdrawn milestone as 已撤回 and offers it for no report."""

from __future__ import annotations

import io

from rich.console import Console

from duban.services.milestones import withdraw_milestone
from duban.tui.screens.tasks import TaskDetailScreen
from tests.tui.helpers import settle, sync
from tests.tui.world import COORD

SIZE = (150, 45)


@sync
async def test_a_withdrawn_milestone_is_shown_as_such(make_app, world, sessions) -> None:
    with sessions() as s:
        withdraw_milestone(s, actor=COORD, milestone_id=world.mz_open_milestone, reason="与季度节点重复")
        s.commit()
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_task(world.mz_task)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TaskDetailScreen)
        data = screen.detail().data
        assert data is not None
        resp = next(r for r in data.responsibilities if r.id == world.mz_resp)
        (shown,) = [m for m in resp.milestones if m.id == world.mz_open_milestone]
        assert shown.withdrawn and shown.withdrawn_reason == "与季度节点重复"
        assert world.mz_open_milestone not in {m.id for m in resp.open_milestones}  # offered for no report
        console = Console(width=150, record=True, file=io.StringIO())
        console.print(screen.detail().query_one("#detail-body").content)
        assert "已撤回" in console.export_text()
