"""A month of daily runs around 春节 2026: exactly the expected messages, in order, none twice.

Calendar (holidays library, zh_CN): 春节 holidays 02-15 (Sun) .. 02-23 (Mon); 调休 make-up working days
Sat 02-14 and Sat 02-28. Working days from 02-01: 02-02..06, 09..13, 14 (Sat), 24..27, 28 (Sat), 03-02..06.
Rules: remind 5 and 1 working days before; overdue yellow on k = 1, 4 (k = working days after the due
date); red from k = 5 (escalate on k = 5), repeated every 3 working days: k = 5, 8, 11, 14, …
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.domain.schedule import milestone_key
from duban.plugin_host import PluginHost
from duban.services.extensions import decide_extension, request_extension
from duban.services.lifecycle import review_report
from duban.services.notifications import run_notifications
from duban.services.reports import submit_report
from duban.storage.db import unit_of_work
from duban.storage.models import Milestone, OutboxMessage, Report
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import COORD, FL, MZ, at, build

MZ_R, FL_R, GA_R = "minzheng@530000", "fulian@530000", "gongan@530000"
MZ_LEAD, COORDINATOR = "minzheng@530000#leadership", "coordinator"

ROUTES = [
    {"name": "民政厅", "url": "capture://mz", "tags": ["minzheng", "jur-530000"]},
    {"name": "民政厅分管领导", "url": "capture://mz-lead", "tags": ["minzheng", "jur-530000", "leadership"]},
    {"name": "妇联", "url": "capture://fl", "tags": ["fulian"]},
    {"name": "公安厅", "url": "capture://ga", "tags": ["gongan", "jur-530000"]},
    {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]},
]

# Scenario (tests/services/workflow_scenario.py) plus m6: gongan, due Fri 02-13.
#   m1 minzheng due Fri 01-30, reported 02-09       m3 fulian due Fri 01-30, reported 02-04 with --final
#   m4 minzheng due Tue 02-24, extended on 02-13 to Fri 03-06      m2 minzheng 03-31, m5 gongan 06-30: too far
#
# Derivation, day by day (only working days can fire):
# 02-02 Mon  m1 k=1 yellow → minzheng digest; m3 k=1 yellow → fulian digest (receivers in key order: fulian first)
# 02-03      k=2 nothing
# 02-04      fulian reports m3 with 办结 request → completion notice "requested" to coordinator (level done);
#            m1 k=3 nothing
# 02-05      m1 k=4 yellow → minzheng
# 02-06 Fri  coordinator accepts fulian's report → closed → completion notice "closed";
#            m6 (due 02-13) is 5 working days away (09, 10, 11, 12, 13) → gongan blue;
#            m1 k=5 red + escalate → minzheng digest (red), leadership (red), coordinator escalation (red)
#            order in a run: department digests (by receiver), leadership, coordinator escalation, completions
# 02-09      minzheng reports m1: nothing open that fires (m4 is 11 working days away)
# 02-10      m4: 02-10 is 5 working days before 02-24 (11, 12, 13, 14, 24) → blue to minzheng
# 02-12      m6 is 1 working day away → gongan blue; minzheng asks to extend m4
# 02-13      extension approved: m4 now due 03-06; m6 due today: nothing fires
# 02-14 Sat  (调休) the old "1 working day before 02-24" reminder is silenced by the extension;
#            m6 gongan (due 02-13) k=1 → yellow
# 02-15..23  holidays: nothing
# 02-24 k=2, 02-25 k=3 nothing; 02-26 k=4 → gongan yellow; 02-27 k=5 → gongan red + coordinator escalation
# 02-28 Sat  (调休) m4 new due 03-06 is 5 working days away (03-02..06) → minzheng blue; m6 k=6 nothing
# 03-02 k=7 nothing; 03-03 k=8 → gongan red; 03-04 k=9 nothing
# 03-05      m4 1 working day before 03-06 → minzheng blue; m6 k=10 nothing, but the escalation ladder
#            (issue 19: coordinator every 5 working days while red) tells the coordinator again: 5 working days
#            after 02-27 (28, 02, 03, 04, 05); its 督办单 climbs to 橙
# 03-06      m6 k=11 → gongan red; m4 due today: no rule fires
EXPECTED = [
    ("2026-02-02", FL_R, "yellow"),
    ("2026-02-02", MZ_R, "yellow"),
    ("2026-02-04", COORDINATOR, "done"),
    ("2026-02-05", MZ_R, "yellow"),
    ("2026-02-06", GA_R, "blue"),
    ("2026-02-06", MZ_R, "red"),
    ("2026-02-06", MZ_LEAD, "red"),
    ("2026-02-06", COORDINATOR, "red"),
    ("2026-02-06", COORDINATOR, "done"),
    ("2026-02-10", MZ_R, "blue"),
    ("2026-02-12", GA_R, "blue"),
    ("2026-02-14", GA_R, "yellow"),
    ("2026-02-26", GA_R, "yellow"),
    ("2026-02-27", GA_R, "red"),
    ("2026-02-27", COORDINATOR, "red"),
    ("2026-02-28", MZ_R, "blue"),
    ("2026-03-03", GA_R, "red"),
    ("2026-03-05", MZ_R, "blue"),
    ("2026-03-05", COORDINATOR, "red"),
    ("2026-03-06", GA_R, "red"),
]


def _actions(session: Session, s, m6_id: int, day: str, host: PluginHost) -> None:  # noqa: ANN001
    if day == "2026-02-04":
        submit_report(
            session,
            actor=FL,
            host=host,
            responsibility_id=s.r_fl.id,
            milestone_id=s.m3.id,
            text="已完成一月份摸底走访",
            final=True,
            **at(day),
        )
    elif day == "2026-02-06":
        report = session.scalar(select(Report).where(Report.milestone_id == s.m3.id))
        review_report(session, actor=COORD, report_id=report.id, accept=True, **at(day))
    elif day == "2026-02-09":
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="一月份进展：已建立关爱服务台账",
            **at(day),
        )
    elif day == "2026-02-12":
        request_extension(
            session,
            actor=MZ,
            milestone_id=s.m4.id,
            new_date=dt.date(2026, 3, 6),
            reason="春节假期影响入户走访",
            progress="已完成七成",
            **at(day),
        )
    elif day == "2026-02-13":
        ext_id = session.scalar(select(Milestone.id).where(Milestone.id == s.m4.id))
        from duban.storage.models import Extension

        ext = session.scalar(select(Extension).where(Extension.milestone_id == ext_id))
        decide_extension(session, actor=COORD, extension_id=ext.id, approve=True, **at(day))


def test_a_month_of_daily_runs(session: Session, factory: sessionmaker[Session], captured: list) -> None:
    s = build(session)
    host = PluginHost.load()
    d = dt.date(2026, 2, 13)
    m6 = Milestone(
        key=milestone_key(s.t2.id, s.r_ga.id, "2026-02"),
        task_id=s.t2.id,
        responsibility_id=s.r_ga.id,
        period="2026-02",
        due_date=d,
        effective_due_date=d,
    )
    session.add(m6)
    session.commit()
    config = notify_config(ROUTES)

    sent: list[tuple[str, str, str]] = []
    day = dt.date(2026, 2, 1)
    while day <= dt.date(2026, 3, 6):
        iso = day.isoformat()
        with unit_of_work(factory) as work:
            _actions(work, s, m6.id, iso, host)
        for _again in range(2):  # a second run the same day sends nothing new
            report = run_notifications(factory, config=config, now=at_local(day, 18))
            sent += [(iso, x.receiver, x.level) for x in report.sent if x.state == "sent"]
        day += dt.timedelta(days=1)

    assert sent == EXPECTED
    with unit_of_work(factory) as check:
        rows = check.execute(
            select(OutboxMessage.receiver, OutboxMessage.level, OutboxMessage.state).order_by(
                OutboxMessage.id
            )
        ).all()
    assert [(r, lv) for _d, r, lv in EXPECTED] == [(r.receiver, r.level) for r in rows]
    assert {r.state for r in rows} == {"sent"}
    # each message reached its channel exactly once
    assert len(captured) == len(EXPECTED)
    assert [c["to"] for c in captured][:2] == ["fl", "mz"]
    first_mz = next(c for c in captured if c["to"] == "mz")
    assert "云南省民政厅" in first_mz["title"] and "逾期 1 项" in first_mz["title"]
    assert "duban report submit" in first_mz["body"] and "已逾期 1 个工作日" in first_mz["body"]
    extended = [c for c in captured if c["to"] == "mz" and "原到期日 2026-02-24" in c["body"]]
    assert len(extended) == 2  # 02-28 and 03-05, both about the extended m4
