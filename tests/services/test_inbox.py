"""The decision queue as a service: who sees what, successors, 办结, drafts, ages on the working calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.domain.vocabulary import InboxKind
from duban.plugin_host import PluginHost
from duban.services.extensions import request_extension
from duban.services.identity import Actor
from duban.services.inbox import inbox
from duban.services.lifecycle import acknowledge, review_report
from duban.services.reports import submit_report
from duban.storage.models import Milestone, Responsibility
from tests.services.workflow_scenario import COORD, MZ, VIEWER, at, build

D = dt.date.fromisoformat
NONGYE = Actor("ny", "department", "nongye", "530000")


def kinds(box) -> list[tuple[InboxKind, int]]:
    return [(i.kind, i.id) for i in box.page.items]


def test_coordinator_and_department_views(session: Session, host: PluginHost, tmp_path: Path) -> None:
    s = build(session)
    acknowledge(session, actor=MZ, responsibility_id=s.r_mz.id, at=at("2026-01-19")["at"])
    report = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="一月进展",
        indicators={},
        attachments=[],
        attachment_root=tmp_path,
        final=False,
        **at("2026-01-23"),  # a Friday
    ).report
    ext = request_extension(
        session,
        actor=MZ,
        milestone_id=s.m2.id,
        new_date=D("2026-04-30"),
        reason="数据未齐",
        progress="过半",
        **at("2026-01-26"),
    )
    session.commit()

    box = inbox(session, actor=COORD, as_of=D("2026-01-27"))
    assert dict(box.counts) == {
        InboxKind.REVIEW: 1,
        InboxKind.EXTENSION: 1,
        InboxKind.RETURNED: 0,
        InboxKind.UNSIGNED: 3,
    }
    assert kinds(box)[:2] == [(InboxKind.REVIEW, report.id), (InboxKind.EXTENSION, ext.id)]
    review, extension = box.page.items[:2]
    assert (review.since, review.age) == (D("2026-01-23"), 2)  # Mon 26, Tue 27
    assert (extension.since, extension.age, extension.new_date) == (D("2026-01-26"), 1, D("2026-04-30"))
    assert (
        review.agency_name == "民政" and review.jurisdiction_name == "云南省" and review.task_number == "三"
    )
    assert review.department == "云南省民政厅"  # the name at the jurisdiction's level, never the key
    assert box.to_json()["items"][0]["due"] == "2026-01-30"

    # the department: m4 (02-24) is due within ten working days of 02-10 only because of 春节 and 调休
    mine = inbox(session, actor=MZ, as_of=D("2026-02-10"), days=10)
    assert mine.due_until == D("2026-03-02")  # 11 12 13 14(调休) 24 25 26 27 28(调休) 03-02
    due = [i for i in mine.page.items if i.kind is InboxKind.DUE]
    assert [i.milestone for i in due] == [s.m4.id] and due[0].days_left == 5
    assert not [i for i in mine.page.items if i.kind in (InboxKind.REVIEW, InboxKind.EXTENSION)]

    review_report(
        session, actor=COORD, report_id=report.id, accept=False, reason="缺少台账人数", **at("2026-02-02")
    )
    session.commit()
    mine = inbox(session, actor=MZ, as_of=D("2026-02-10"))
    returned = mine.page.items[0]
    assert (returned.kind, returned.report, returned.id, returned.reason) == (
        InboxKind.RETURNED,
        report.id,
        s.r_mz.id,
        "缺少台账人数",
    )
    assert returned.command == f"duban report submit {s.r_mz.id} --milestone {s.m1.id}"
    assert returned.age == 6  # 3 4 5 6 9 10
    coordinator = inbox(session, actor=COORD, as_of=D("2026-02-10"))
    assert dict(coordinator.counts)[InboxKind.REVIEW] == 0
    # the coordinator sees it too, returned and not yet refiled
    assert dict(coordinator.counts)[InboxKind.RETURNED] == 1
    # after the pending extension (decisions first), before the unsigned duties
    assert [i.kind for i in coordinator.page.items][:2] == [InboxKind.EXTENSION, InboxKind.RETURNED]
    assert coordinator.page.items[1].report == report.id
    assert inbox(session, actor=VIEWER, as_of=D("2026-02-10")).counts == {}


def test_successor_sees_the_dissolved_agencys_work_and_closed_work_leaves(session: Session) -> None:
    s = build(session)
    resp = Responsibility(
        agency_key="fupin", name_as_written="省扶贫办", role="support", jurisdiction_code="530000"
    )
    s.t1.responsibilities.append(resp)
    session.flush()
    session.add(
        Milestone(
            key=milestone_key(s.t1.id, resp.id, "2025"),
            task_id=s.t1.id,
            responsibility_id=resp.id,
            period="2025",
            due_date=D("2025-12-31"),
            effective_due_date=D("2025-12-31"),
        )
    )
    session.commit()
    box = inbox(session, actor=NONGYE, as_of=D("2026-01-05"))
    overdue = [i for i in box.page.items if i.kind is InboxKind.OVERDUE]
    assert [(i.responsibility, i.agency, i.agency_name) for i in overdue] == [(resp.id, "nongye", "农业农村")]
    assert overdue[0].age == 2  # 元旦 01-01…01-03 off, Sunday 01-04 worked (调休), Monday 01-05
    unsigned = [i.id for i in box.page.items if i.kind is InboxKind.UNSIGNED]
    assert unsigned == [resp.id]

    resp.closed_on = D("2026-01-02")
    session.commit()
    assert inbox(session, actor=NONGYE, as_of=D("2026-01-05")).total == 0


def test_drafts_are_not_supervised_unless_named(session: Session) -> None:
    s = build(session)
    s.policy.status = "draft"
    session.commit()
    assert inbox(session, actor=COORD, as_of=D("2026-01-05")).total == 0
    named = inbox(session, actor=COORD, as_of=D("2026-01-05"), policy=s.policy.doc_number)
    assert dict(named.counts)[InboxKind.UNSIGNED] == 4
