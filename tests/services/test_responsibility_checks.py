"""Responsibility checks that run and are stored: idempotent, resolved and reopened, never a forecast, a
broken plugin named and skipped, the run remembered, the scope respected."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.hookspecs import FindingSpec, ResponsibilityContext, hookimpl
from duban.plugin_host import PluginHost
from duban.services.reports import submit_report
from duban.services.responsibility_checks import run_responsibility_checks
from duban.services.status import Scope
from duban.services.templates import bind_template
from duban.storage.models import AuditEvent, CheckRun, Finding, Milestone
from tests.services.workflow_scenario import COORD, MZ, Scenario, at, build

FAR = dt.date(2099, 1, 1)  #: "today" for runs whose as_of is given explicitly


def run(session: Session, host: PluginHost, day: str, scope: Scope | None = None, **kw):  # noqa: ANN201
    result = run_responsibility_checks(
        session, host=host, as_of=dt.date.fromisoformat(day), scope=scope, today=kw.pop("today", FAR), **kw
    )
    session.commit()
    return result


def open_findings(session: Session) -> dict[tuple[int, str, str], Finding]:
    return {
        (f.responsibility_id, f.plugin, f.code): f
        for f in session.scalars(
            select(Finding).where(Finding.report_id.is_(None), Finding.resolved_on.is_(None))
        )
    }


@pytest.fixture
def world(session: Session, host: PluginHost) -> Scenario:
    s = build(session)
    # 妇联 (配合) owes a second period; 民政's task carries the 台账 template
    d = dt.date(2026, 3, 31)
    session.add(
        Milestone(
            key=milestone_key(s.t1.id, s.r_fl.id, "2026-Q1"),
            task_id=s.t1.id,
            responsibility_id=s.r_fl.id,
            period="2026-Q1",
            due_date=d,
            effective_due_date=d,
        )
    )
    bind_template(session, actor=COORD, host=host, task_id=s.t1.id, template="minzheng.ledger")
    session.commit()
    return s


def test_findings_are_stored_once_with_their_plugin(
    session: Session, host: PluginHost, world: Scenario
) -> None:
    first = run(session, host, "2026-04-10")
    assert not first.cached and first.faults == ()
    found = open_findings(session)
    assert (world.r_mz.id, "minzheng", "ledger.stale") in found
    assert (world.r_fl.id, "fuergongwei", "support.silent") in found
    assert first.created == len(found) == first.open
    stale = found[(world.r_mz.id, "minzheng", "ledger.stale")]
    assert (stale.first_seen, stale.last_seen, stale.severity) == (dt.date(2026, 4, 10),) * 2 + ("warning",)
    assert "一直未报告更新" in stale.message

    again = run(session, host, "2026-04-10")  # nothing changed: the run is remembered
    assert again.cached and again.open == first.open
    later = run(session, host, "2026-04-20")
    assert not later.cached and later.created == 0
    assert session.scalar(select(func.count()).select_from(Finding)) == len(found)  # no duplicates
    session.refresh(stale)
    assert (stale.first_seen, stale.last_seen) == (dt.date(2026, 4, 10), dt.date(2026, 4, 20))
    assert session.scalar(select(func.count()).select_from(CheckRun)) == 2  # one per day and scope
    assert session.scalar(select(func.count()).where(AuditEvent.action == "checks.run")) == 1


def test_a_finding_is_resolved_then_reopened_and_the_past_is_left_alone(
    session: Session, host: PluginHost, world: Scenario
) -> None:
    run(session, host, "2026-04-10")
    submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=world.r_mz.id,
        milestone_id=world.m2.id,
        text="已完成摸底排查并更新台账",
        indicators={
            "minzheng.ledger_total": "120",
            "minzheng.ledger_updated_on": "2026-04-11",
            "minzheng.ledger_in_system": "是",
        },
        **at("2026-04-12"),
    )
    session.commit()
    key = (world.r_mz.id, "minzheng", "ledger.stale")
    assert run(session, host, "2026-04-15").resolved == 1
    stale = session.scalars(select(Finding).where(Finding.code == "ledger.stale")).one()
    assert stale.resolved_on == dt.date(2026, 4, 15)

    past = run(session, host, "2026-04-05")  # looking back does not reopen what a later day resolved
    assert past.reopened == 0 and past.resolved == 0
    session.refresh(stale)
    assert stale.resolved_on == dt.date(2026, 4, 15) and stale.first_seen == dt.date(2026, 4, 5)

    assert run(session, host, "2026-11-01").reopened == 1  # more than six months after 2026-04-11
    session.refresh(stale)
    assert stale.resolved_on is None and "2026-04-11" in stale.message
    assert key in open_findings(session)


def test_checks_never_look_past_today(session: Session, host: PluginHost, world: Scenario) -> None:
    result = run(session, host, "2027-06-30", today=dt.date(2026, 4, 10))
    assert result.as_of == dt.date(2026, 4, 10)
    assert {f.last_seen for f in open_findings(session).values()} == {dt.date(2026, 4, 10)}


def test_only_the_scope_is_checked(session: Session, host: PluginHost, world: Scenario) -> None:
    result = run(session, host, "2026-04-10", Scope(agency="fulian"))
    assert result.responsibilities == 1 and result.scope == "agency=fulian"
    assert {k[0] for k in open_findings(session)} == {world.r_fl.id}
    assert not run(session, host, "2026-04-10").cached  # everything is more than the fulian part
    part = run(session, host, "2026-04-10", Scope(agency="minzheng"))  # … and covers any part
    assert part.cached and part.responsibilities == 1
    assert part.open == sum(1 for k in open_findings(session) if k[0] == world.r_mz.id)


class Broken:
    @hookimpl
    def duban_check_responsibility(self, responsibility: ResponsibilityContext) -> list[FindingSpec]:
        raise RuntimeError("台账接口超时")


class Flaky:
    """Finds something on every responsibility, until it breaks."""

    broken = False

    @hookimpl
    def duban_check_responsibility(self, responsibility: ResponsibilityContext) -> list[FindingSpec]:
        if self.broken:
            raise RuntimeError("服务不可用")
        return [FindingSpec("flaky.seen", "info", "见过")]


def test_a_raising_plugin_is_named_and_the_others_still_count(
    session: Session, host: PluginHost, world: Scenario
) -> None:
    host.register(Broken(), "broken")
    flaky = Flaky()
    host.register(flaky, "flaky")
    result = run(session, host, "2026-04-10")
    assert [(f.plugin, f.count) for f in result.faults] == [("broken", 4)]  # once, with the count
    assert "台账接口超时" in result.faults[0].error
    assert [f.plugin for f in host.faults] == ["broken"]
    found = open_findings(session)
    assert (world.r_mz.id, "minzheng", "ledger.stale") in found
    assert (world.r_fl.id, "fuergongwei", "support.silent") in found
    assert sum(1 for k in found if k[1] == "flaky") == 4

    flaky.broken = True  # a plugin that fails keeps its findings as they were (not resolved)
    later = run(session, host, "2026-04-20")
    assert set(later.failed_plugins) == {"broken", "flaky"} and later.resolved == 0
    assert sum(1 for k in open_findings(session) if k[1] == "flaky") == 4
