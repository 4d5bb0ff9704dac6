"""A withdrawn milestone (撤回) is kept and audited, and counts nowhere. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.scoring import Period
from duban.domain.vocabulary import Light
from duban.errors import PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.assessment import AssessScope, department_facts
from duban.services.dashboard import owed_next, task_detail
from duban.services.extensions import request_extension
from duban.services.identity import SYSTEM
from duban.services.milestones import withdraw_milestone
from duban.services.notifications import plan_messages
from duban.services.reports import submit_report
from duban.services.responsibilities import next_open_milestone
from duban.services.scheduling import generate_milestones, list_milestones
from duban.services.status import Scope, overdue, responsibility_rows, summary
from duban.services.status_results import DepartmentStatus
from duban.storage.models import AuditEvent, Milestone
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import COORD, MZ, at, build

D = dt.date.fromisoformat


def minzheng(rows: Sequence[DepartmentStatus]) -> DepartmentStatus:
    return next(d for d in rows if d.agency == "minzheng")


def test_a_withdrawn_milestone_counts_nowhere(session: Session, host: PluginHost) -> None:
    s = build(session)  # minzheng: m1 due 2026-01-30, m4 due 2026-02-24, m2 due 2026-03-31
    day = D("2026-02-10")
    assert [o.milestone for o in overdue(session, as_of=day, scope=Scope(agency="minzheng"))] == [s.m1.id]
    before = minzheng(summary(session, as_of=day).departments)
    assert before.overdue == 1 and before.light is Light.RED
    config = notify_config([{"url": "capture://mz", "tags": ["minzheng"]}])

    def reminded() -> str:
        """The reminder bodies planned on 2026-01-29 (the eve of m1), planned in a savepoint undone after."""
        savepoint = session.begin_nested()
        planned = plan_messages(session, config=config, as_of=D("2026-01-29"), now=at_local("2026-01-29", 9))
        savepoint.rollback()
        return "".join(p.body for p in planned.planned)

    assert f"--milestone {s.m1.id}" in reminded()

    result = withdraw_milestone(session, actor=COORD, milestone_id=s.m1.id, reason="该期不属于本轮督办范围")
    session.commit()
    assert result.to_json()["reason"] == "该期不属于本轮督办范围" and result.withdrawn_by == "coord"

    # status, overdue, the dashboard's next items: gone, for today and for the past alike
    assert overdue(session, as_of=day, scope=Scope(agency="minzheng")) == []
    after = minzheng(summary(session, as_of=day).departments)
    assert after.overdue == 0 and after.light is not Light.RED
    assert s.m1.id not in {o.milestone for o in overdue(session, as_of=D("2026-02-02"), scope=Scope())}
    assert s.m1.id not in {o.milestone for o in owed_next(session, as_of=day, scope=Scope())}
    row = next(r for r in responsibility_rows(session, as_of=day) if r.responsibility == s.r_mz.id)
    assert row.overdue == 0 and row.next_due == D("2026-02-24")

    # notify: no reminder for it any more
    assert f"--milestone {s.m1.id}" not in reminded()

    # 考核: the period's milestones of minzheng are m4 and m2 only
    (facts,) = [
        f
        for f in department_facts(session, AssessScope(Period.parse("2026-Q1"), D("2026-04-30")))
        if f.agency == "minzheng"
    ]
    assert facts.due == 2

    # kept, listed as withdrawn, shown on the task
    page = list_milestones(session, agency="minzheng")
    listed = {m.id: m for m in page.items}
    assert page.total == 3 and listed[s.m1.id].withdrawn is True
    assert listed[s.m1.id].withdrawn_reason == "该期不属于本轮督办范围"
    assert page.to_json()["items"][0]["withdrawn"] is (page.items[0].id == s.m1.id)
    detail = task_detail(session, task_id=s.t1.id, as_of=day, warning_days=5, scope=Scope())
    shown = {m.id: m for r in detail.responsibilities for m in r.milestones}
    assert shown[s.m1.id].withdrawn and not shown[s.m2.id].withdrawn
    assert s.m1.id not in {m.id for r in detail.responsibilities for m in r.open_milestones}

    # nothing more can be filed on it; "the next open milestone" skips it
    with pytest.raises(ValidationError, match="已由协调人撤回"):
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            **at("2026-02-10"),
        )
    with pytest.raises(ValidationError, match="已由协调人撤回"):
        request_extension(
            session,
            actor=MZ,
            milestone_id=s.m1.id,
            new_date=D("2026-03-31"),
            reason="理由",
            progress="进展",
            today=D("2026-01-20"),
        )
    nxt = next_open_milestone(session, s.r_mz, day)
    assert nxt is not None and nxt.id == s.m4.id


def test_withdrawal_is_audited_needs_a_reason_and_a_coordinator(session: Session) -> None:
    s = build(session)
    with pytest.raises(PermissionDenied):
        withdraw_milestone(session, actor=MZ, milestone_id=s.m2.id, reason="不需要")
    with pytest.raises(ValidationError, match="理由"):
        withdraw_milestone(session, actor=COORD, milestone_id=s.m2.id, reason="  ")
    withdraw_milestone(session, actor=COORD, milestone_id=s.m2.id, reason="重复节点")
    with pytest.raises(ValidationError, match="已于"):
        withdraw_milestone(session, actor=COORD, milestone_id=s.m2.id, reason="再撤一次")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "milestone.withdraw")).one()
    assert event.entity_id == str(s.m2.id) and event.task_id == s.t1.id
    assert event.after is not None and event.after["reason"] == "重复节点"
    assert session.get(Milestone, s.m2.id) is not None  # never deleted


def test_generating_again_does_not_bring_a_withdrawn_milestone_back(session: Session) -> None:
    s = build(session)
    s.policy.supervision_start = D("2026-01-01")
    generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=D("2026-01-05"))
    q3 = session.scalars(
        select(Milestone).where(Milestone.responsibility_id == s.r_ga.id, Milestone.period == "2026-Q3")
    ).one()
    withdraw_milestone(session, actor=COORD, milestone_id=q3.id, reason="任务调整")
    again = generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=D("2026-01-05"))
    assert again.created == 0
    session.refresh(q3)
    assert q3.withdrawn_at is not None
