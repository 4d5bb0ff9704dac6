"""总览 on the demo database (``duban demo`` through the CLI, as a coordinator would build it): departments
ranked by severity with trend arrows and Chinese names at their level, the highlighted department's chart,
overdue rows grouped; snapshots at 80x24 and 160x45."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from textual.widgets import DataTable, Label, Select, Sparkline

from duban.cli.main import cli
from duban.plugin_host import PluginHost
from duban.services.dashboard import department_ranking, overdue_groups
from duban.services.identity import Actor
from duban.services.status import Scope
from duban.storage.db import make_engine, session_factory
from duban.tui.app import DubanApp, create_app
from duban.tui.screens.department import DepartmentScreen
from duban.tui.screens.overview import OverviewScreen
from tests.tui.helpers import rows, screen_text, settle, sync

pytestmark = pytest.mark.departments  # the demo is built from the 13 department plugins

TODAY = dt.date(2026, 5, 15)
FROZEN = dt.datetime(2026, 5, 15, 2, 0, tzinfo=dt.UTC)
COORD = Actor("coord", "coordinator")
AGENCY_KEYS = re.compile(r"\b(minzheng|fulian|gongan|sifa|caizheng|renshe|nongye|weijian|canlian)\b")


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("overview") / "demo.db"
    result = CliRunner().invoke(
        cli, ["demo", "--db", str(db), "--no-open", "--today", TODAY.isoformat()], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[Callable[..., DubanApp]]:
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    engine = make_engine(f"sqlite:///{target}")
    host = PluginHost.load()

    def build(actor: Actor = COORD) -> DubanApp:
        return create_app(
            session_factory=session_factory(engine), host=host, actor=actor, today=TODAY, start="overview"
        )  # type: ignore[arg-type]

    build.sessions = session_factory(engine)  # type: ignore[attr-defined]
    yield build
    engine.dispose()


@sync
async def test_overview_ranks_departments_and_groups_overdue_rows_on_the_demo(demo) -> None:
    with demo.sessions() as s:
        ranking = department_ranking(s, as_of=TODAY, warning_days=5, scope=Scope())
        groups = overdue_groups(s, as_of=TODAY, scope=Scope())
        s.rollback()
    app = demo()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        depts = rows(app.screen.query_one("#departments", DataTable))
        # worst first, as the service ranks them; names in Chinese at their level, never keys
        assert [r[1] for r in depts] == [d.name for d in ranking.departments]
        severities = [int(r[2]) for r in depts]
        assert severities == sorted(severities, reverse=True) and severities[0] > severities[-1]
        assert {"民政部", "云南省民政厅", "吉林省民政厅"} <= {r[1] for r in depts}
        assert not AGENCY_KEYS.search(screen_text(app))
        jurisdictions = [str(label) for label, _ in app.screen.query_one("#jurisdiction", Select)._options]
        assert {"云南省", "吉林省"} <= set(jurisdictions)
        assert not any(ch.isdigit() for label in jurisdictions for ch in label)  # names, never 530000
        # the trend against the previous quarter end: an ASCII arrow and the change (^ worse, v better)
        for row, d in zip(depts, ranking.departments, strict=True):
            assert d.previous_severity is not None
            assert row[3] == f"{d.trend.ascii}{d.severity - d.previous_severity:+d}"
        arrows = {r[3][0] for r in depts}
        assert "^" in arrows and "v" in arrows  # the demo has departments getting worse and better
        # overdue rows grouped: one row per policy, period and due date, with its count
        overdue = rows(app.screen.query_one("#overdue", DataTable))
        assert len(overdue) == len(groups.groups) < groups.total_milestones
        keys = [(r[0], r[1], r[2], r[3]) for r in overdue]
        assert len(set(keys)) == len(keys)  # no two rows read the same
        assert max(int(r[4]) for r in overdue) > 1
        title = str(app.screen.query_one("#overdue-title", Label).content)
        assert f"逾期 {groups.total_milestones} 项，合并为 {groups.total_groups} 组" in title
        # the chart follows the highlighted department
        table = app.screen.query_one("#departments", DataTable)
        table.focus()
        first, second = ranking.departments[0], ranking.departments[1]
        assert first.name in str(app.screen.query_one("#chart-title", Label).content)
        assert list(app.screen.query_one("#spark-red", Sparkline).data or []) == [
            float(p.red) for p in first.history
        ]
        await pilot.press("down")
        await settle(pilot)
        assert second.name in str(app.screen.query_one("#chart-title", Label).content)
        assert list(app.screen.query_one("#spark-rate", Sparkline).data or []) == [
            100.0 * (p.on_time_rate or 0.0) for p in second.history
        ]
        assert str(app.screen.query_one("#numbers-red", Label).content) == " ".join(
            str(p.red) for p in second.history
        )
        # enter opens the department
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentScreen) and app.screen.agency == second.agency


@sync
async def test_narrow_overview_hides_the_chart_and_keeps_the_ranking(demo) -> None:
    app = demo()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#trend-box").display
        text = screen_text(app)
        assert "严重度" in text and "较上期" in text
    app = demo()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#trend-box").display


async def _loaded(pilot) -> None:  # noqa: ANN001 - textual.pilot.Pilot
    await settle(pilot)
    await pilot.pause(0.5)  # DataTable recomputes column widths when idle
    for table in pilot.app.screen.query("DataTable"):
        table.refresh(layout=True)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_overview_snapshot(snap_compare, demo, size) -> None:
    with time_machine.travel(FROZEN, tick=False):
        assert snap_compare(demo(), terminal_size=size, run_before=_loaded)


@sync
async def test_a_department_user_sees_only_their_own_department_ranked(demo) -> None:
    app = demo(Actor("mz", "department", "minzheng", "530000"))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        depts = rows(app.screen.query_one("#departments", DataTable))
        assert [r[1] for r in depts] == ["云南省民政厅"]
        overdue = rows(app.screen.query_one("#overdue", DataTable))
        assert overdue and all(r[5] == "云南省民政厅" for r in overdue)
