"""The national-scale demo generator, on one small province (the full build is a benchmark)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from duban.cli.main import cli
from duban.plugin_host import PluginHost
from duban.services.cascade import rollup
from duban.services.identity import SYSTEM
from duban.services.national_demo import build_national
from duban.services.scheduling import generate_milestones
from duban.services.status import overdue
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone, Policy, Report, Responsibility, Task, TaskLink

TODAY = dt.date(2026, 3, 16)


def test_one_province_cascaded_with_history(tmp_path: Path, host: PluginHost) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'n.db'}")
    ticks: list[int] = []
    summary = build_national(
        engine, host=host, today=TODAY, years=2, provinces=["640000"], login="me", progress=ticks.append
    )
    assert summary.provinces == 1 and summary.jurisdictions == 1 + 5 + 22
    assert sum(ticks) == summary.responsibilities + summary.milestones + summary.reports
    with session_factory(engine)() as session:
        policy = session.scalars(select(Policy).where(Policy.jurisdiction_code == "640000")).one()
        assert policy.doc_number.startswith("宁民发") and policy.implements_id is not None
        assert session.scalar(select(func.count()).select_from(TaskLink).where(TaskLink.confirmed)) == 23
        assert (
            session.scalar(
                select(func.count()).select_from(Responsibility).join(Task).where(Task.policy_id == policy.id)
            )
            == summary.responsibilities
        )
        assert session.scalar(select(func.count()).select_from(Milestone)) == summary.milestones
        assert session.scalar(select(func.count()).select_from(Report)) == summary.reports
        assert 0.05 < summary.late / summary.reports < 0.4 and summary.returned > 0
        names = {i["name"] for i in inspect(engine).get_indexes("milestone")}
        assert "ix_milestone_open_due" in names  # rebuilt after the bulk load
        assert overdue(session, as_of=TODAY, limit=10)
        # the keys are the ones the scheduler gives: generating again creates nothing
        again = generate_milestones(
            session, actor=SYSTEM, until=dt.date(2026, 12, 31), today=TODAY, policy_id=policy.id
        )
        assert again.created == 0 and again.existing == summary.milestones
        task = session.scalars(select(Task).where(Task.policy_id == policy.id, Task.number == "五")).one()
        rows = rollup(session, task.id, TODAY)
        assert len(rows) == 28 and rows[0].light in ("red", "yellow")
    engine.dispose()


def test_cli_national_needs_a_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--scale", "national", "--no-open"])
    assert result.exit_code == 9 and "--db" in result.stderr
