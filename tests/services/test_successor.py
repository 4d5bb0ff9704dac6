"""Open work of a dissolved agency is shown against its successor without rewriting history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.domain.scoring import Period
from duban.domain.succession import ROLE_STRENGTH, strongest
from duban.domain.vocabulary import InboxKind
from duban.errors import PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.assessment import AssessScope, department_facts
from duban.services.identity import SYSTEM, Actor
from duban.services.inbox import inbox
from duban.services.notifications import plan_messages
from duban.services.reports import submit_report
from duban.services.scheduling import generate_milestones, set_schedule
from duban.services.status import Scope, overdue, responsibility_rows, summary
from duban.storage.models import Agency, Milestone, Responsibility, Task
from duban.storage.queries import merged_duties
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import at, build

NONGYE = Actor("ny", "department", "nongye", "530000")
FUPIN = Actor("fp", "department", "fupin", "530000")


def test_fupin_work_moves_to_nongye_from_2023(session: Session, host: PluginHost) -> None:
    s = build(session)
    fupin = session.get(Agency, "fupin")
    assert fupin is not None and fupin.successor_key == "nongye" and fupin.successor_since.year == 2023
    resp = Responsibility(
        agency_key="fupin", name_as_written="省扶贫办", role="support", jurisdiction_code="530000"
    )
    s.t1.responsibilities.append(resp)
    session.flush()
    for period, due in (("2020", "2020-12-31"), ("2024", "2024-12-31")):
        d = dt.date.fromisoformat(due)
        session.add(
            Milestone(
                key=milestone_key(s.t1.id, resp.id, period),
                task_id=s.t1.id,
                responsibility_id=resp.id,
                period=period,
                due_date=d,
                effective_due_date=d,
            )
        )
    session.commit()

    def agency_of(day: str) -> str:
        rows = responsibility_rows(session, as_of=dt.date.fromisoformat(day), scope=Scope())
        return next(r.agency for r in rows if r.responsibility == resp.id)

    assert agency_of("2021-06-01") == "fupin"
    assert agency_of("2024-06-01") == "nongye"
    depts = {d.agency for d in summary(session, as_of=dt.date(2025, 3, 1)).departments}
    assert "nongye" in depts and "fupin" not in depts
    late = [
        o
        for o in overdue(session, as_of=dt.date(2025, 3, 1), scope=Scope(agency="nongye"))
        if o.responsibility == resp.id
    ]
    assert [(o.agency, o.recorded_agency) for o in late] == [("nongye", "fupin"), ("nongye", "fupin")]

    with pytest.raises(PermissionDenied):
        submit_report(
            session, actor=FUPIN, host=host, responsibility_id=resp.id, text="扶贫办报送", **at("2024-03-01")
        )
    report = submit_report(
        session,
        actor=NONGYE,
        host=host,
        responsibility_id=resp.id,
        text="农业农村厅接续办理",
        **at("2024-03-01"),
    ).report
    session.commit()
    assert report.submitted_by == "ny"
    assert session.get(Responsibility, resp.id).agency_key == "fupin"  # history is not rewritten


# -- one duty per task and role after the succession --------------------------------------------------


@dataclass
class Heirs:
    t1: Responsibility  # nongye's own lead (wins over the inherited support)
    t1_merged: Responsibility  # fupin support → merged into t1
    t2: Responsibility  # fupin lead (carried by nongye: wins over nongye's own support)
    t2_merged: Responsibility  # nongye's own support → merged into t2
    t3: Responsibility  # nongye's own joint (a tie: its own duty wins)
    t3_merged: Responsibility  # fupin joint → merged into t3
    milestones: dict[tuple[int, str], Milestone]


PERIODS = (("2022-Q4", "2023-01-09"), ("2024-Q1", "2024-04-09"), ("2024-Q2", "2024-07-05"))


def heirs(session: Session) -> Heirs:
    s = build(session)
    t3 = Task(number="五", text="发展乡村产业，吸纳农村留守妇女就业。", position=3)
    s.policy.tasks.append(t3)

    def duty(task: Task, agency: str, name: str, role: str) -> Responsibility:
        resp = Responsibility(agency_key=agency, name_as_written=name, role=role, jurisdiction_code="530000")
        task.responsibilities.append(resp)
        return resp

    rows = [
        duty(s.t1, "nongye", "省农业农村厅", "lead"),
        duty(s.t1, "fupin", "省扶贫办", "support"),
        duty(s.t2, "fupin", "省扶贫办", "lead"),
        duty(s.t2, "nongye", "省农业农村厅", "support"),
        duty(t3, "nongye", "省农业农村厅", "joint"),
        duty(t3, "fupin", "省扶贫办", "joint"),
    ]
    session.flush()
    milestones = {}
    for resp in rows:
        for period, due in PERIODS:
            d = dt.date.fromisoformat(due)
            m = Milestone(
                key=milestone_key(resp.task_id, resp.id, period),
                task_id=resp.task_id,
                responsibility_id=resp.id,
                period=period,
                due_date=d,
                effective_due_date=d,
            )
            session.add(m)
            milestones[(resp.id, period)] = m
    session.commit()
    return Heirs(*rows, milestones=milestones)


def test_role_strength() -> None:
    assert strongest(["support", "lead", "joint"]) == "lead"
    assert strongest(["support", "joint"]) == "joint"
    assert ROLE_STRENGTH["lead"] > ROLE_STRENGTH["joint"] > ROLE_STRENGTH["support"]


def test_the_successor_holds_one_duty_per_task_and_the_stronger_role_wins(
    session: Session, host: PluginHost
) -> None:
    h = heirs(session)
    before, after = dt.date(2022, 12, 1), dt.date(2024, 8, 1)

    def nongye_rows(day: dt.date) -> dict[int, tuple[int, str]]:
        rows = responsibility_rows(session, as_of=day, scope=Scope(agency="nongye"))
        assert len({r.task for r in rows}) == len(rows), "one duty per task"
        return {r.task: (r.responsibility, r.role) for r in rows}

    # before the succession: two agencies, each with its own duties
    assert len(responsibility_rows(session, as_of=before, scope=Scope(agency="nongye"))) == 3
    assert len(responsibility_rows(session, as_of=before, scope=Scope(agency="fupin"))) == 3
    # after it: one duty per task, the stronger role; on a tie nongye's own
    assert nongye_rows(after) == {
        h.t1.task_id: (h.t1.id, "lead"),
        h.t2.task_id: (h.t2.id, "lead"),
        h.t3.task_id: (h.t3.id, "joint"),
    }
    merged = merged_duties(after)
    assert dict(session.execute(select(merged.c.responsibility_id, merged.c.into_id)).all()) == {
        h.t1_merged.id: h.t1.id,
        h.t2_merged.id: h.t2.id,
        h.t3_merged.id: h.t3.id,
    }

    # overdue and status count each task once per period (three periods unreported, three tasks)
    late = overdue(session, as_of=after, scope=Scope(agency="nongye"))
    assert len(late) == 9 and len({(o.task, o.period) for o in late}) == 9
    dept = next(d for d in summary(session, as_of=after).departments if d.agency == "nongye")
    assert dept.overdue == 9 and dept.red == 3

    # the department's inbox too: nothing waits on a merged duty
    queue = inbox(session, actor=NONGYE, as_of=after, limit=500)
    merged_ids = {h.t1_merged.id, h.t2_merged.id, h.t3_merged.id}
    assert queue.items and not {i.responsibility for i in queue.items} & merged_ids
    assert queue.counts[InboxKind.OVERDUE] == 9

    # 考核 weighs each task once: 2024 has two milestones per task
    (facts,) = [
        f
        for f in department_facts(session, AssessScope(Period.parse("2024"), dt.date(2024, 12, 31)))
        if f.agency == "nongye"
    ]
    assert sorted((t.responsibility_id, t.role, t.due) for t in facts.tasks) == sorted(
        [(h.t1.id, "lead", 2), (h.t2.id, "lead", 2), (h.t3.id, "joint", 2)]
    )

    # notify: one reminder per task and period
    config = notify_config([{"url": "capture://ny", "tags": ["nongye"]}])
    planned = plan_messages(session, config=config, as_of=dt.date(2024, 7, 4), now=at_local("2024-07-04", 9))
    body = "".join(p.body for p in planned.planned)
    for resp in (h.t1, h.t2, h.t3):
        assert f"--milestone {h.milestones[(resp.id, '2024-Q2')].id}" in body
    for resp in (h.t1_merged, h.t2_merged, h.t3_merged):
        assert f"--milestone {h.milestones[(resp.id, '2024-Q2')].id}" not in body

    # one report per period: the merged duty refuses it and names the one that carries it
    with pytest.raises(ValidationError, match=f"责任 #{h.t1.id}"):
        submit_report(
            session,
            actor=NONGYE,
            host=host,
            responsibility_id=h.t1_merged.id,
            text="重复报送",
            **at("2024-07-01"),
        )
    submit_report(
        session, actor=NONGYE, host=host, responsibility_id=h.t2.id, text="承接报送", **at("2024-07-01")
    )

    # history stays: the dissolved agency's rows are still there, as written
    session.expire_all()
    assert session.get(Responsibility, h.t1_merged.id).agency_key == "fupin"
    assert session.get(Responsibility, h.t2.id).agency_key == "fupin"


def test_merged_duties_get_no_new_milestones(session: Session) -> None:
    h = heirs(session)
    policy = session.get(Task, h.t1.task_id).policy  # type: ignore[union-attr]
    policy.supervision_start = dt.date(2024, 1, 1)
    for task_id in {h.t1.task_id, h.t2.task_id, h.t3.task_id}:
        set_schedule(session, actor=SYSTEM, task_id=task_id, rule="half-yearly")
    result = generate_milestones(
        session, actor=SYSTEM, until=dt.date(2024, 12, 31), today=dt.date(2024, 1, 5)
    )
    assert result.skipped_merged == 3 * 2  # three merged duties, two half-years
    made = {
        m.responsibility_id
        for m in session.scalars(select(Milestone).where(Milestone.period.in_(("2024-H1", "2024-H2"))))
    }
    assert {h.t1.id, h.t2.id, h.t3.id} <= made
    assert not made & {h.t1_merged.id, h.t2_merged.id, h.t3_merged.id}
