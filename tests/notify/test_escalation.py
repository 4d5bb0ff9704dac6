"""The escalation ladder (issue 19 item 1): the backlog is escalated on the first run, red items are escalated
again on the coordinator's and the leadership's own cadence, the 督办单 climb 黄 → 橙 → 红, and the words say
what really happened.

Scenario (tests/services/workflow_scenario.py): m1 minzheng and m3 fulian due Fri 2026-01-30, m4 minzheng due
Tue 02-24. Working days (春节 2026, see tests/notify/test_simulation.py): 02-02..06, 09..13, 14 (Sat, 调休),
24..27, 28 (Sat, 调休), 03-02..06. duban is first run on Fri 02-13: m1 and m3 are 10 working days overdue
(red since 02-06) — the backlog — and are escalated that day (督〔2026〕第1号 m3, 第2号 m1: the most overdue
first; equal ages by receiver, "fulian@" before "minzheng@").

Cadence (defaults): coordinator every 5 working days, leadership every 10.
- 02-13  first run: m3 → 第1号 (fulian), m1 → 第2号 (minzheng), both 黄; coordinator (新升级 2 项), minzheng's
         leadership (new); fulian and minzheng digests name their 督办单.
- 02-27  5 working days after 02-13 (14, 24, 25, 26, 27): both again → 橙; leadership not yet (5 < 10).
- 03-02  m4 (due 02-24) reaches k = 5 (25, 26, 27, 28, 03-02): 第3号, 黄; coordinator (新升级 1 项); minzheng
         leadership (new item).
- 03-04  minzheng reports m1: its 督办单 is resolved by that evening's run.
- 03-05  m3: 5 working days after 02-27 (28, 02, 03, 04, 05) → 红; m4 not (3); no leadership message.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.domain.vocabulary import NoticeColor
from duban.plugin_host import PluginHost
from duban.services.escalation import LadderConfig
from duban.services.notifications import run_notifications
from duban.services.reports import submit_report
from duban.storage.db import unit_of_work
from duban.storage.models import AuditEvent, OutboxMessage, SupervisionNotice
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import MZ, at, build

ROUTES = [
    {"name": "民政厅", "url": "capture://mz", "tags": ["minzheng", "jur-530000"]},
    {"name": "民政厅分管领导", "url": "capture://mz-lead", "tags": ["minzheng", "jur-530000", "leadership"]},
    {"name": "妇联", "url": "capture://fl", "tags": ["fulian"]},
    {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]},
]
DAYS = [
    "2026-02-13",
    "2026-02-14",
    *(f"2026-02-{d}" for d in range(24, 29)),
    *(f"2026-03-0{d}" for d in range(2, 7)),
]


def _messages(factory: sessionmaker[Session], kind: str) -> list[OutboxMessage]:
    with unit_of_work(factory) as s:
        rows = list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        )
        s.expunge_all()
        return rows


def _notices(factory: sessionmaker[Session]) -> list[SupervisionNotice]:
    with unit_of_work(factory) as s:
        rows = list(s.scalars(select(SupervisionNotice).order_by(SupervisionNotice.number)))
        s.expunge_all()
        return rows


def test_backlog_escalated_on_the_first_run_then_a_persistent_ladder(
    session: Session, factory: sessionmaker[Session], host: PluginHost, captured: list
) -> None:
    s = build(session)
    config = notify_config(ROUTES)
    for day in DAYS:
        if day == "2026-03-04":  # minzheng reports m1: its 督办单 is resolved at the next run
            submit_report(
                session,
                actor=MZ,
                host=host,
                responsibility_id=s.r_mz.id,
                milestone_id=s.m1.id,
                text="已报送",
                **at(day),
            )
            session.commit()
        run_notifications(factory, config=config, now=at_local(day, 18))

    escalations = [(m.period.isoformat(), m.receiver) for m in _messages(factory, "escalate")]
    assert escalations == [
        ("2026-02-13", "minzheng@530000#leadership"),
        ("2026-02-13", "coordinator"),
        ("2026-02-27", "coordinator"),
        ("2026-03-02", "minzheng@530000#leadership"),
        ("2026-03-02", "coordinator"),
        ("2026-03-05", "coordinator"),
    ]
    coordinator = {
        m.period.isoformat(): m for m in _messages(factory, "escalate") if m.receiver == "coordinator"
    }
    first = coordinator["2026-02-13"]
    assert (
        "新升级 2 项" in first.subject
        and "督〔2026〕第1号［黄］" in first.body
        and "督〔2026〕第2号［黄］" in first.body
    )
    assert "再次督办 2 项" in coordinator["2026-02-27"].subject and "［橙］" in coordinator["2026-02-27"].body
    assert (
        "新升级 1 项" in coordinator["2026-03-02"].subject
        and "督〔2026〕第3号［黄］" in coordinator["2026-03-02"].body
    )
    # 03-05: m3 climbs to 红; m1 was reported on 03-04 and is no longer escalated
    assert (
        "再次督办 1 项" in coordinator["2026-03-05"].subject
        and "督〔2026〕第1号［红］" in coordinator["2026-03-05"].body
    )
    assert "第2号" not in coordinator["2026-03-05"].body

    notices = _notices(factory)
    assert [(n.year, n.number, n.agency_key, n.milestone_id) for n in notices] == [
        (2026, 1, "fulian", s.m3.id),
        (2026, 2, "minzheng", s.m1.id),
        (2026, 3, "minzheng", s.m4.id),
    ]
    assert [(n.rung, n.color) for n in notices] == [
        (3, NoticeColor.RED),
        (2, NoticeColor.ORANGE),
        (1, NoticeColor.YELLOW),
    ]
    assert notices[1].resolved_on == dt.date(2026, 3, 4) and notices[0].resolved_on is None
    assert notices[0].issued_on == dt.date(2026, 2, 13) and notices[0].department == "云南省妇联"
    assert notices[0].due_by == dt.date(2026, 3, 12)  # renewed at each rung: 5 working days after 03-05

    # the department learns of its 督办单 the day it is issued, and its digest names it
    digests = {(m.receiver, m.period.isoformat()): m for m in _messages(factory, "digest")}
    fl = digests[("fulian@530000", "2026-02-13")]
    assert "已升级督办，督办单 督〔2026〕第1号" in fl.body
    assert ("minzheng@530000", "2026-03-02") in digests
    # the runs are recorded; nothing was planned twice
    keys = [m.idempotency_key for m in _messages(factory, "escalate")]
    assert len(keys) == len(set(keys))
    with unit_of_work(factory) as s2:  # each run's audit event names the 督办单 it issued or escalated again
        runs = {
            e.entity_id: e.after["escalated"]
            for e in s2.scalars(select(AuditEvent).where(AuditEvent.action == "notify.run"))
        }
    assert runs["2026-02-13"] == ["督〔2026〕第1号:new", "督〔2026〕第2号:new"]
    assert runs["2026-02-27"] == ["督〔2026〕第1号:again", "督〔2026〕第2号:again"]
    assert runs["2026-02-14"] == []


def test_no_coordinator_route_no_escalation_and_the_words_say_so(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config([r for r in ROUTES if "coordinator" not in r["tags"]])
    run_notifications(factory, config=config, now=at_local("2026-02-11", 18))  # k = 8: a red reminder day
    assert _notices(factory) == [] and _messages(factory, "escalate") == []
    digest = next(m for m in _messages(factory, "digest") if m.receiver == "minzheng@530000")
    assert "已逾期 8 个工作日（满 5 个工作日）" in digest.body
    assert "已升级督办，督办单" not in digest.body


def test_cadence_is_configurable(session: Session, factory: sessionmaker[Session], captured: list) -> None:
    build(session)
    config = notify_config(ROUTES)
    ladder = LadderConfig(coordinator_every=1, leadership_every=2)
    for day in ("2026-02-13", "2026-02-14", "2026-02-24"):
        run_notifications(factory, config=config, now=at_local(day, 18), ladder=ladder)
    escalations = [(m.period.isoformat(), m.receiver) for m in _messages(factory, "escalate")]
    assert escalations == [
        ("2026-02-13", "minzheng@530000#leadership"),
        ("2026-02-13", "coordinator"),
        ("2026-02-14", "coordinator"),
        ("2026-02-24", "minzheng@530000#leadership"),
        ("2026-02-24", "coordinator"),
    ]
    assert [n.color for n in _notices(factory)] == [NoticeColor.RED, NoticeColor.RED]


def test_a_dry_run_issues_no_notice(session: Session, factory: sessionmaker[Session], captured: list) -> None:
    build(session)
    report = run_notifications(
        factory, config=notify_config(ROUTES), now=at_local("2026-02-13", 18), dry_run=True
    )
    assert any(p.receiver == "coordinator" for p in report.planned)
    assert _notices(factory) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_second_run_the_same_day_plans_nothing_new(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    run_notifications(factory, config=config, now=at_local("2026-02-13", 10))
    again = run_notifications(factory, config=config, now=at_local("2026-02-13", 16))
    assert again.planned == ()
    assert len(_notices(factory)) == 2


def test_a_huge_backlog_lists_the_most_overdue_and_counts_the_rest() -> None:
    """A national first run escalates hundreds of thousands of items: the notice stays readable."""
    from duban.domain.vocabulary import Role
    from duban.notify.digest import DigestItem
    from duban.services.escalation import LISTED_MAX, LadderStep, ladder_notice

    def step(i: int) -> LadderStep:
        item = DigestItem(
            milestone_id=i,
            responsibility_id=i,
            policy="云民发〔2020〕8号",
            policy_title="",
            task="三",
            task_text="充分发挥基层劳动就业和社会保障服务平台作用。",
            role=Role.LEAD,
            period="2026-01",
            due=dt.date(2026, 1, 30),
            original_due=dt.date(2026, 1, 30),
            level="red",
            days_overdue=1000 - i % 700,
            department=f"第{i % 150}县民政局",
            receiver=f"minzheng@{530000 + i % 150}",
        )
        return LadderStep(
            item, f"督〔2026〕第{i}号", NoticeColor.YELLOW, 1, dt.date(2026, 2, 13), False, "new"
        )

    steps = [step(i) for i in range(1, 5001)]
    subject, body = ladder_notice(dt.date(2026, 2, 13), steps, escalate_after=5)
    assert "150 个部门，新升级 5000 项" in subject
    assert body.count("［黄］") == LISTED_MAX
    assert f"另有 {5000 - LISTED_MAX} 项未逐项列出" in body and "……另有 50 个部门" in body
    assert len(body.encode("utf-8")) < 200_000
