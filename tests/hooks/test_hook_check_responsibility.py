"""duban_check_responsibility: a check across a responsibility's milestones, called in isolation.

Through the plugin host, and through the CLI: ``duban status`` (like overdue, notify, the dashboard and 考核)
runs every plugin's check for the day it shows and stores the findings; a plugin that raises is named on
stderr and the others' findings are stored.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from duban.hookspecs import MilestoneState, ResponsibilityContext
from duban.plugin_host import PluginHost
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone
from tests.hooks.conftest import JIAOYU, Site, make_world

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


BROKEN = """
from duban.plugin import hookimpl

@hookimpl
def duban_check_responsibility(responsibility):
    raise RuntimeError("接口超时")
"""


def test_status_runs_the_checks_stores_findings_and_names_a_broken_plugin(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_silence", SILENCE)
    site.install("broken", BROKEN)
    world = make_world(tmp_path)
    engine = make_engine(world.db)
    with session_factory(engine)() as session:
        first = session.get(Milestone, world.milestone)
        assert first is not None
        session.add(
            Milestone(
                key=f"{first.task_id}:{first.responsibility_id}:2026-Q3",
                task_id=first.task_id,
                responsibility_id=first.responsibility_id,
                period="2026-Q3",
                due_date=dt.date(2026, 7, 31),
                effective_due_date=dt.date(2026, 7, 31),
            )
        )
        session.commit()
    engine.dispose()

    code, out, err = world.run("status", "--as-of", "2026-08-10", "--json")
    assert code == 0
    checks = json.loads(out)["checks"]
    assert [f["plugin"] for f in checks["faults"]] == ["broken"] and checks["created"] == 1
    assert "插件 broken 的责任检查出错" in err and "接口超时" in err

    code, out, err = world.run("findings", "--as-of", "2026-08-10", "--json")
    found = json.loads(out)["items"]
    assert [(f["plugin"], f["code"], f["agency_name"]) for f in found] == [
        ("jiaoyu_silence", "jiaoyu.silent", "教育")
    ]
    assert "插件 broken" in err

    code, _out, err = world.run("notify", "--dry-run", "--as-of", "2026-08-10")
    # this world configures no notification route: the run warns about each unrouted receiver (exit 11); a dry
    # run writes nothing, so it runs no checks (they store findings) and says so
    assert code == 11 and "没有配置通知渠道" in err
    assert "试运行不运行各部门插件的责任检查" in err and "插件 broken" not in err
