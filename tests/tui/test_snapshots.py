"""Snapshots of the two key screens (总览, 任务) on the seed world, time frozen. Update with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs before committing them."""

from __future__ import annotations

import time_machine

from tests.tui.helpers import settle
from tests.tui.world import COORD, FROZEN

SIZE = (140, 42)


async def _loaded(pilot) -> None:  # noqa: ANN001 - textual.pilot.Pilot
    await settle(pilot)
    await pilot.pause(0.5)  # DataTable recomputes column widths when idle
    for table in pilot.app.screen.query("DataTable"):
        table.refresh(layout=True)
    await pilot.pause(0.2)


def test_overview_snapshot(snap_compare, make_app) -> None:
    with time_machine.travel(FROZEN, tick=False):
        assert snap_compare(make_app(COORD, start="overview"), terminal_size=SIZE, run_before=_loaded)


def test_tasks_snapshot(snap_compare, make_app) -> None:
    with time_machine.travel(FROZEN, tick=False):
        assert snap_compare(make_app(COORD, start="tasks"), terminal_size=SIZE, run_before=_loaded)
