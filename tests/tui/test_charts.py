"""Pictures on the dashboard: the ASCII progress bar, the per-policy bar on 政策 (Pilot on the seed world)."""

from __future__ import annotations

from textual.widgets import DataTable

from duban.services.dashboard import policy_progress
from duban.services.status import Scope
from duban.tui.charts import progress_bar
from duban.tui.screens.policies import PoliciesScreen
from tests.tui.helpers import rows, settle, sync
from tests.tui.world import COORD, TODAY


def test_progress_bar_is_ascii_and_full_only_when_done() -> None:
    assert progress_bar(71, 127).plain == "[#####.....] 55% 71/127"
    assert progress_bar(1910, 1944).plain == "[#########.] 98% 1910/1944"
    assert progress_bar(3, 3).plain == "[##########] 100% 3/3"
    assert progress_bar(0, 0).plain == "[..........] 0% 0/0"
    assert progress_bar(5, 8, cells=4).plain.isascii()


@sync
async def test_policies_show_a_progress_bar_per_policy(make_app, sessions) -> None:
    with sessions() as s:
        progress = policy_progress(s, as_of=TODAY, warning_days=5, scope=Scope())
        s.rollback()
    assert any(p.due and p.reported < p.due for p in progress.values())  # the world has unreported work
    app = make_app(COORD, start="policies")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PoliciesScreen)
        shown = {int(r[0]): r[-1] for r in rows(app.screen.query_one("#policies", DataTable))}
        for policy_id, cell in shown.items():
            p = progress.get(policy_id)
            if p is None or not p.due:
                assert cell == "-"
            else:
                assert cell == progress_bar(p.reported, p.due).plain
                assert cell.endswith(f"{p.reported}/{p.due}")
        assert any(cell != "-" for cell in shown.values())
