"""A hand-computed 考核 scenario for 2026-H1 (2026-01-01 … 2026-06-30, assessed as of 2026-06-30).

Built on tests/services/workflow_scenario.py (云南省, 云民发〔2020〕8号) plus a few milestones and two tasks
led by 财政. With the old scheme (``legacy``) and the shipped [scoring.legacy] numbers (base 100, on_time_weight 10, overdue 1 + 0.1/day,
returned 2, red 3, error 1, weights lead 1 / joint 1 / support 0.5, task cap 20):

民政 (lead of 三): m1 01-30 reported 02-09 (10 days late) + an error finding on it; m2 03-31 reported 03-20,
  returned 03-25 (still red on 06-30); m4 02-24 extended to 03-10 (approved 02-12), reported 03-05 (on time);
  m6 05-29 reported 05-20, accepted.
  on time 3/4 → 10 × (1 − 3/4) = 2.5
  三: overdue (1 × 1 + 10 × 0.1) × 1 = 2; returned 1 × 2 × 1 = 2; red 1 × 3 × 1 = 3; error 1 × 1 × 1 = 1 → 8
  score 100 − 2.5 − 8 = 89.5 → 良好
妇联 (support of 三): m3 01-30 never reported: 151 days late on 06-30 (1 + 28 + 31 + 30 + 31 + 30).
  on time 0/1 → 10; 三: overdue (1 + 15.1) × 0.5 = 8.05; red 3 × 0.5 = 1.5 → 9.55
  score 100 − 10 − 9.55 = 80.45 → 良好
公安 (joint of 四): m7 01-15 never reported: 166 days late (16 + 28 + 31 + 30 + 31 + 30); m5 06-30 not yet due.
  on time 0/1 → 10; 四: overdue 1 + 16.6 = 17.6, red 3 → 20.6, capped at 20 (0.6 given back)
  score 100 − 10 − 20 = 70 → 合格
司法 (joint of 四): m8 03-31 reported 03-31 → 100 → 优秀
财政 (lead of 五 and 六): m9 and m10 due 01-15, never reported → each task 20.6 capped at 20;
  on time 0/2 → 10; score 100 − 10 − 20 − 20 = 50 → 不合格

Ranking: 司法 100 优秀, 民政 89.5 良好, 妇联 80.45 良好, 公安 70 合格, 财政 50 不合格.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.plugin_host import PluginHost
from duban.services.clock import local_noon_utc
from duban.services.extensions import decide_extension, request_extension
from duban.services.identity import Actor
from duban.services.lifecycle import review_report
from duban.services.reports import submit_report
from duban.storage.models import Finding, Milestone, Responsibility, Task
from tests.services.workflow_scenario import COORD, FL, MZ, Scenario, at, build

GA = Actor("ga", "department", "gongan", "530000")
SF = Actor("sf", "department", "sifa", "530000")
CZ = Actor("cz", "department", "caizheng", "530000")

EXPECTED = {  # agency: (rank, score, grade)
    "sifa": (1, 100.0, "优秀"),
    "minzheng": (2, 89.5, "良好"),
    "fulian": (3, 80.45, "良好"),
    "gongan": (4, 70.0, "合格"),
    "caizheng": (5, 50.0, "不合格"),
}


@dataclass
class World:
    s: Scenario
    m6: Milestone
    m7: Milestone
    m8: Milestone
    m9: Milestone
    m10: Milestone
    r_cz3: Responsibility
    r_cz4: Responsibility
    returned_report: int
    late_report: int
    error_finding: int


def _milestone(session: Session, task: Task, resp: Responsibility, period: str, due: str) -> Milestone:
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
    session.flush()
    return m


def build_world(session: Session, host: PluginHost) -> World:
    s = build(session)
    t3 = Task(number="五", text="加大财政投入，将农村留守妇女关爱服务所需经费纳入预算。", position=3)
    t4 = Task(number="六", text="统筹使用彩票公益金支持关爱服务。", position=4)
    r_cz3 = Responsibility(
        agency_key="caizheng", name_as_written="省财政厅", role="lead", jurisdiction_code="530000"
    )
    r_cz4 = Responsibility(
        agency_key="caizheng", name_as_written="省财政厅", role="lead", jurisdiction_code="530000"
    )
    t3.responsibilities.append(r_cz3)
    t4.responsibilities.append(r_cz4)
    s.policy.tasks += [t3, t4]
    session.flush()
    m6 = _milestone(session, s.t1, s.r_mz, "2026-05", "2026-05-29")
    m7 = _milestone(session, s.t2, s.r_ga, "2026-01", "2026-01-15")
    m8 = _milestone(session, s.t2, s.r_sf, "2026-Q1", "2026-03-31")
    m9 = _milestone(session, t3, r_cz3, "2026-01", "2026-01-15")
    m10 = _milestone(session, t4, r_cz4, "2026-01", "2026-01-15")
    session.commit()

    def report(actor: Actor, resp: Responsibility, m: Milestone, day: str, text: str) -> int:
        rid = submit_report(
            session,
            actor=actor,
            host=host,
            responsibility_id=resp.id,
            milestone_id=m.id,
            text=text,
            **at(day),
        ).report.id
        session.commit()
        return rid

    late = report(MZ, s.r_mz, s.m1, "2026-02-09", "一月：已完成摸底排查，台账已更新")
    finding = Finding(
        responsibility_id=s.r_mz.id,
        report_id=late,
        milestone_id=s.m1.id,
        plugin="minzheng",
        code="indicator.part_exceeds_whole",
        severity="error",
        message="其中低收入人数大于台账人数",
        created_at=local_noon_utc(dt.date(2026, 2, 9)),
    )
    session.add(finding)
    session.commit()
    returned = report(MZ, s.r_mz, s.m2, "2026-03-20", "一季度：开展关爱服务活动")
    review_report(
        session, actor=COORD, report_id=returned, accept=False, reason="缺少台账人数", **at("2026-03-25")
    )
    session.commit()
    ext = request_extension(
        session,
        actor=MZ,
        milestone_id=s.m4.id,
        new_date=dt.date(2026, 3, 10),
        reason="春节假期",
        progress="正在汇总",
        **at("2026-02-10"),
    )
    session.commit()
    decide_extension(session, actor=COORD, extension_id=ext.id, approve=True, **at("2026-02-12"))
    session.commit()
    report(MZ, s.r_mz, s.m4, "2026-03-05", "二月：春节走访慰问")
    accepted = report(MZ, s.r_mz, m6, "2026-05-20", "五月：母亲节关爱活动")
    review_report(session, actor=COORD, report_id=accepted, accept=True, **at("2026-05-22"))
    session.commit()
    report(SF, s.r_sf, m8, "2026-03-31", "一季度：法律援助进村")
    assert FL  # 妇联 files nothing: m3 stays unreported
    return World(s, m6, m7, m8, m9, m10, r_cz3, r_cz4, returned, late, finding.id)
