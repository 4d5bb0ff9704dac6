"""A dashboard test database: the five seed policies, quarterly milestones, reports (on time, late,
returned), an extension request, findings and a TaskLink — built once per run and copied per test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.plugin_host import PluginHost
from duban.services.clock import local_noon_utc
from duban.services.extensions import request_extension
from duban.services.identity import SYSTEM, Actor, add_user
from duban.services.importing import import_policy
from duban.services.lifecycle import acknowledge, review_report
from duban.services.reports import submit_report
from duban.services.setup import prepare_database
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone, Policy, Report, Responsibility, Task, TaskLink

SEEDS = Path(__file__).parent.parent / "fixtures" / "seeds"
SEED_ORDER = (
    "001_007993ffda9a68ac.txt",
    "004_1692d70bd32bb6db.txt",
    "000_ec88c21d93956c79.txt",
    "002_09c426360c691ab7.txt",
    "003_206813141252fb57.txt",
)
TODAY = dt.date(2026, 5, 15)  # a Friday
FROZEN = dt.datetime(2026, 5, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing on TODAY
YUNNAN = "530000"
COORD = Actor("coord", "coordinator")
MZ = Actor("mz", "department", "minzheng", YUNNAN)
FL = Actor("fl", "department", "fulian", YUNNAN)
VIEWER = Actor("viewer", "viewer")
#: period → due date (every responsibility of a current, non-draft policy gets these)
PERIODS = (
    ("2025-Q4", "2026-01-09"),
    ("2026-Q1", "2026-04-09"),
    ("2026-05", "2026-05-20"),
    ("2026-Q2", "2026-07-09"),
)


@dataclass
class World:
    """Ids the tests act on (all in 云民发〔2020〕8号, jurisdiction 530000)."""

    yunnan_policy: int
    mz_task: int  # a task minzheng leads in Yunnan
    mz_resp: int  # minzheng's (lead) responsibility on it, assigned, nothing reported for 2026-05
    mz_open_milestone: int  # its 2026-05 milestone (due 2026-05-20, yellow on TODAY)
    fl_task: int  # a Yunnan task minzheng has no part in
    fl_resp: int
    pending_report: int  # a submitted report waiting for 复核 (on mz_resp, 2026-Q1)
    pending_extension: int  # requested by mz on mz_resp's 2026-Q2 milestone


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def build_world(path: Path, host: PluginHost) -> World:
    engine = make_engine(f"sqlite:///{path}")
    prepare_database(engine, host=host)
    with session_factory(engine)() as session:
        world = _build(session, host)
        session.commit()
    engine.dispose()
    return world


def _build(session: Session, host: PluginHost) -> World:
    for actor in (COORD, MZ, FL, VIEWER):
        add_user(
            session,
            actor=SYSTEM,
            name=actor.name,
            role=actor.role,
            agency=actor.agency_key,
            jurisdiction=actor.jurisdiction_code,
        )
    for name in SEED_ORDER:
        import_policy(session, actor=SYSTEM, host=host, path=SEEDS / name)
    session.flush()
    policies = {p.doc_number: p for p in session.scalars(select(Policy))}
    yunnan, national = policies["云民发〔2020〕8号"], policies["民发〔2019〕86号"]
    resps = list(
        session.scalars(
            select(Responsibility)
            .join(Task, Task.id == Responsibility.task_id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(Policy.status == "in_force")
            .order_by(Responsibility.id)
        )
    )
    milestones: dict[tuple[int, str], Milestone] = {}
    for i, r in enumerate(resps):
        for period, due in PERIODS:
            if period == "2026-05" and i % 3 and r.agency_key != "minzheng":
                continue  # only some responsibilities have a milestone in the warning window
            m = Milestone(
                key=milestone_key(r.task_id, r.id, period),
                task_id=r.task_id,
                responsibility_id=r.id,
                period=period,
                due_date=_day(due),
                effective_due_date=_day(due),
            )
            session.add(m)
            milestones[(r.id, period)] = m
    session.flush()
    # bulk history (rows, not services, as duban demo does): on time, late, or missing
    for i, r in enumerate(resps):
        for period, due in PERIODS[:2]:
            kind = (i + (period == "2026-Q1")) % 4
            if kind == 0:
                continue  # never reported: red
            day = _day(due) - dt.timedelta(days=3) if kind in (1, 2) else _day(due) + dt.timedelta(days=6)
            session.add(
                Report(
                    responsibility_id=r.id,
                    milestone_id=milestones[(r.id, period)].id,
                    text="已召开专题会议部署，明确责任人和时间表。",
                    submitted_by="seed",
                    submitted_at=local_noon_utc(day),
                    submitted_on=day,
                    review_state="accepted",
                )
            )
        if i % 9 == 5:
            r.state, r.closed_on = "closed", _day("2026-04-20")
    session.flush()

    yunnan_tasks = list(
        session.scalars(select(Task).where(Task.policy_id == yunnan.id).order_by(Task.position))
    )
    mz_resp = next(
        r
        for t in yunnan_tasks
        for r in t.responsibilities
        if r.agency_key == "minzheng" and r.role == "lead" and r.state != "closed"
    )
    fl_resp = next(
        r
        for t in yunnan_tasks
        for r in t.responsibilities
        if r.agency_key == "fulian"
        and not any(x.agency_key == "minzheng" for x in t.responsibilities)
        and r.state != "closed"
    )
    # mz_resp: clean slate for the tests, then a pending report for 2026-Q1 and an extension request for 2026-Q2
    for rep in session.scalars(select(Report).where(Report.responsibility_id == mz_resp.id)):
        session.delete(rep)
    mz_resp.state, mz_resp.closed_on = "assigned", None
    session.flush()
    at = {"at": local_noon_utc(_day("2026-04-02")), "today": _day("2026-04-02")}
    q4 = milestones[(mz_resp.id, "2025-Q4")]
    first = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=mz_resp.id,
        milestone_id=q4.id,
        text="完成农村留守妇女摸底排查，更新信息台账。",
        **at,
    )
    review_report(
        session,
        actor=COORD,
        report_id=first.report.id,
        accept=False,
        reason="缺少台账人数“分县”统计…",
        at=at["at"],
        today=at["today"],
    )
    pending = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=mz_resp.id,
        milestone_id=milestones[(mz_resp.id, "2026-Q1")].id,
        text="开展“巾帼家政”培训——组织留守妇女参加。",
        **at,
    )
    ext = request_extension(
        session,
        actor=MZ,
        milestone_id=milestones[(mz_resp.id, "2026-Q2")].id,
        new_date=_day("2026-08-31"),
        reason="汛期入户走访推迟",
        progress="已完成两个县",
        **at,
    )
    mz_resp.state = "assigned"  # so that 签收 can be tested
    acknowledge(session, actor=FL, responsibility_id=fl_resp.id, at=at["at"])
    # a parent-policy link for the 政策 screen
    parent = session.scalars(
        select(Task).where(Task.policy_id == national.id).order_by(Task.position)
    ).first()
    assert parent is not None
    session.add(
        TaskLink(child_task_id=yunnan_tasks[0].id, parent_task_id=parent.id, confidence=0.9, confirmed=True)
    )
    session.flush()
    return World(
        yunnan_policy=yunnan.id,
        mz_task=mz_resp.task_id,
        mz_resp=mz_resp.id,
        mz_open_milestone=milestones[(mz_resp.id, "2026-05")].id,
        fl_task=fl_resp.task_id,
        fl_resp=fl_resp.id,
        pending_report=pending.report.id,
        pending_extension=ext.id,
    )
