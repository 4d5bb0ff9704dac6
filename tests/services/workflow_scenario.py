"""A small supervision scenario built from rows (no parser involved), shared by workflow tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.services.clock import local_noon_utc
from duban.services.identity import SYSTEM, Actor, add_user
from duban.storage.models import Milestone, Policy, Responsibility, Task

COORD = Actor("coord", "coordinator")
MZ = Actor("mz", "department", "minzheng", "530000")
FL = Actor("fl", "department", "fulian", "530000")
VIEWER = Actor("viewer", "viewer")


@dataclass
class Scenario:
    policy: Policy
    t1: Task  # minzheng leads, fulian supports
    t2: Task  # gongan and sifa jointly
    r_mz: Responsibility
    r_fl: Responsibility
    r_ga: Responsibility
    r_sf: Responsibility
    m1: Milestone  # minzheng, due 2026-01-30
    m2: Milestone  # minzheng, due 2026-03-31
    m3: Milestone  # fulian, due 2026-01-30
    m4: Milestone  # minzheng, due 2026-02-24 (just after 春节 2026)
    m5: Milestone  # gongan, due 2026-06-30


def at(day: str) -> dict[str, object]:
    """Keyword arguments that make a service act on a given local day."""
    d = dt.date.fromisoformat(day)
    return {"at": local_noon_utc(d), "today": d}


def build(session: Session) -> Scenario:
    for actor in (COORD, MZ, FL, VIEWER):
        add_user(
            session,
            actor=SYSTEM,
            name=actor.name,
            role=actor.role,
            agency=actor.agency_key,
            jurisdiction=actor.jurisdiction_code,
        )
    policy = Policy(
        doc_number="云民发〔2020〕8号",
        title="关于加强农村留守妇女关爱服务工作的实施意见",
        issuers=["minzheng", "fulian"],
        jurisdiction_code="530000",
        level="province",
        issued=dt.date(2020, 7, 22),
    )
    t1 = Task(number="三", text="充分发挥基层劳动就业和社会保障服务平台作用。", position=1)
    t2 = Task(number="四", text="加大对侵害农村留守妇女合法权益违法犯罪行为的打击力度。", position=2)
    r_mz = Responsibility(
        agency_key="minzheng", name_as_written="省民政厅", role="lead", jurisdiction_code="530000"
    )
    r_fl = Responsibility(
        agency_key="fulian", name_as_written="省妇联", role="support", jurisdiction_code="530000"
    )
    r_ga = Responsibility(
        agency_key="gongan", name_as_written="省公安厅", role="joint", jurisdiction_code="530000"
    )
    r_sf = Responsibility(
        agency_key="sifa", name_as_written="省司法厅", role="joint", jurisdiction_code="530000"
    )
    t1.responsibilities += [r_mz, r_fl]
    t2.responsibilities += [r_ga, r_sf]
    policy.tasks += [t1, t2]
    session.add(policy)
    session.flush()

    def milestone(task: Task, resp: Responsibility, period: str, due: str) -> Milestone:
        d = dt.date.fromisoformat(due)
        m = Milestone(
            key=milestone_key(task.id, resp.id, period),
            task_id=task.id,
            responsibility_id=resp.id,
            period=period,
            due_date=d,
            effective_due_date=d,
        )
        session.add(m)
        return m

    scenario = Scenario(
        policy,
        t1,
        t2,
        r_mz,
        r_fl,
        r_ga,
        r_sf,
        m1=milestone(t1, r_mz, "2026-01", "2026-01-30"),
        m2=milestone(t1, r_mz, "2026-Q1", "2026-03-31"),
        m3=milestone(t1, r_fl, "2026-01", "2026-01-30"),
        m4=milestone(t1, r_mz, "2026-02", "2026-02-24"),
        m5=milestone(t2, r_ga, "2026-H1", "2026-06-30"),
    )
    session.commit()
    return scenario
