"""duban_check_responsibility: a check across a responsibility's milestones, called in isolation.

No service calls this hook yet (status and notify do not run responsibility checks); the test goes through
the plugin host, which is what such a service will call, and ``duban plugins``, which calls it once.
"""

from __future__ import annotations

import datetime as dt

from duban.hookspecs import MilestoneState, ResponsibilityContext
from duban.plugin_host import PluginHost
from tests.hooks.conftest import Site

SILENCE = """
from duban.plugin import FindingSpec, hookimpl

@hookimpl
def duban_check_responsibility(responsibility):
    missed = [m for m in responsibility.milestones if m.reported_on is None and m.due_date < responsibility.as_of]
    if responsibility.agency == "jiaoyu" and len(missed) >= 2:
        return [FindingSpec("jiaoyu.silent", "warning", f"已连续{len(missed)}个节点未报送，请督促。")]
    return []
"""


def responsibility(*reported: dt.date | None) -> ResponsibilityContext:
    dues = [dt.date(2026, 1, 31), dt.date(2026, 4, 30), dt.date(2026, 7, 31)]
    return ResponsibilityContext(
        agency="jiaoyu",
        role="lead",
        task_text="组织开展“护苗”家庭教育指导活动。",
        template=None,
        as_of=dt.date(2026, 8, 10),
        milestones=tuple(
            MilestoneState(f"2026-{i}", due, on)
            for i, (due, on) in enumerate(zip(dues, reported, strict=True))
        ),
    )


def test_hook_check_responsibility(site: Site) -> None:
    site.install("jiaoyu_silence", SILENCE)
    host = PluginHost.load()
    silent = responsibility(dt.date(2026, 1, 30), None, None)
    found = [(plugin, f.code) for plugin, f in host.check_responsibility(silent)]
    assert ("jiaoyu_silence", "jiaoyu.silent") in found
    assert all(
        plugin != "jiaoyu_silence"
        for plugin, _ in host.check_responsibility(
            responsibility(dt.date(2026, 1, 30), dt.date(2026, 4, 29), None)
        )
    )
    assert host.faults == []


def test_a_responsibility_check_that_raises_is_a_fault_of_its_plugin(site: Site) -> None:
    site.install(
        "broken",
        "from duban.plugin import hookimpl\n\n@hookimpl\ndef duban_check_responsibility(responsibility):\n    return 1 / 0\n",
    )
    site.install("jiaoyu_silence", SILENCE)
    host = PluginHost.load()
    found = host.check_responsibility(responsibility(None, None, None))
    assert ("jiaoyu_silence", "jiaoyu.silent") in [(p, f.code) for p, f in found]
    assert [(f.plugin, f.stage) for f in host.faults] == [("broken", "duban_check_responsibility")]
