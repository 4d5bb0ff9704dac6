"""Schedules and milestones through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.errors import ParseError, PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.calendar import import_calendar_file, month_view, working_calendar
from duban.services.identity import SYSTEM, Actor
from duban.services.importing import import_policy
from duban.services.scheduling import (
    confirm_schedule,
    generate_milestones,
    list_milestones,
    list_schedules,
    propose_schedules,
    remove_schedule,
    set_schedule,
)
from duban.storage.models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    Milestone,
    Policy,
    Responsibility,
    Task,
)

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
JILIN = SEEDS / "002_09c426360c691ab7.txt"  # 吉民发〔2020〕28号: hints 三八妇女节, 2020年年底, 年度工作计划
MZ = Actor("mz", "department", "minzheng", "530000")
D = dt.date.fromisoformat

CALENDAR_2027 = """\
year = 2027
source = "测试用2027年放假安排"

[[holiday]]
name = "元旦"
from = 2027-01-01
to = 2027-01-03

[[holiday]]
name = "春节"
from = 2027-02-05
to = 2027-02-13

[[workday]]
name = "元旦调休上班"
date = 2026-12-26

[[workday]]
name = "春节调休上班"
date = 2027-02-20
"""


@dataclass
class Rows:
    policy: Policy
    t1: Task  # minzheng leads, fulian supports
    t2: Task  # gongan alone
    r_mz: Responsibility
    r_fl: Responsibility
    r_ga: Responsibility


def build(session: Session, issued: str = "2026-01-01") -> Rows:
    policy = Policy(
        doc_number="云民发〔2026〕1号",
        title="关于做好农村留守妇女关爱服务工作的通知",
        issuers=["minzheng"],
        jurisdiction_code="530000",
        level="province",
        issued=D(issued),
        supervision_start=D(issued),  # supervised from its issue date (an import would start on its day)
    )
    t1 = Task(number="一", text="每季度开展一次走访探视。", position=1)
    t2 = Task(number="二", text="加大对侵害农村留守妇女合法权益违法犯罪行为的打击力度。", position=2)
    r_mz = Responsibility(
        agency_key="minzheng", name_as_written="省民政厅", role="lead", jurisdiction_code="530000"
    )
    r_fl = Responsibility(
        agency_key="fulian", name_as_written="省妇联", role="support", jurisdiction_code="530000"
    )
    r_ga = Responsibility(
        agency_key="gongan", name_as_written="省公安厅", role="lead", jurisdiction_code="530000"
    )
    t1.responsibilities += [r_mz, r_fl]
    t2.responsibilities += [r_ga]
    policy.tasks += [t1, t2]
    session.add(policy)
    session.flush()
    return Rows(policy, t1, t2, r_mz, r_fl, r_ga)


def keys(session: Session) -> dict[str, tuple[dt.date, dt.date]]:
    return {m.key: (m.due_date, m.effective_due_date) for m in session.scalars(select(Milestone))}


def due(session: Session, task: Task, resp: Responsibility) -> dict[str, dt.date]:
    return {
        m.period: m.due_date
        for m in session.scalars(
            select(Milestone).where(Milestone.task_id == task.id, Milestone.responsibility_id == resp.id)
        )
    }


def generate(session: Session, until: str = "2026-12-31", today: str = "2026-01-05", **kwargs: object):
    return generate_milestones(session, actor=SYSTEM, until=D(until), today=D(today), **kwargs)


def test_generating_twice_never_duplicates(session: Session) -> None:
    s = build(session)
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="yearly 10-01")
    first = generate(session)
    session.commit()
    before = keys(session)
    # default cycle for t1 (4 quarters x 2 responsibilities) + one yearly milestone for t2
    assert first.created == 9 and len(before) == 9
    second = generate(session)
    session.commit()
    assert second.created == 0 and second.existing == 9 and second.redated == 0
    assert keys(session) == before
    runs = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity_type == "milestones", AuditEvent.action == "milestones.generate")
    )
    assert runs == 2  # one audit event per run, not per milestone


def test_due_dates_follow_the_2026_tiaoxiu_calendar(session: Session) -> None:
    s = build(session)
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="yearly 10-01")
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="once 2026-10-09 +1wd")
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="holiday 春节 -3")
    generate(session)
    ga = due(session, s.t2, s.r_ga)
    assert ga["2026-10-01"] == D("2026-10-08")  # 国庆 holidays 10-01..10-07 -> next working day
    assert ga["2026-10-09"] == D("2026-10-10")  # the working day after Fri 10-09 is the 调休 Saturday
    assert ga["2026-春节-3"] == D("2026-02-14")  # a make-up Saturday is a working day: stays put
    mz = due(session, s.t1, s.r_mz)  # default cycle "quarterly +5wd"
    # Q3: 10-01..10-07 off; 10-08, 10-09, 10-10 (调休 Saturday), 10-12, 10-13
    assert mz == {
        "2026-Q1": D("2026-04-08"),
        "2026-Q2": D("2026-07-07"),
        "2026-Q3": D("2026-10-13"),
        "2026-Q4": D("2027-01-08"),
    }
    cal = working_calendar(session, 2026, 2027)
    assert all(cal.is_working_day(m.due_date) for m in session.scalars(select(Milestone)))
    assert all(m.effective_due_date == m.due_date for m in session.scalars(select(Milestone)))


def test_default_cycle_only_for_tasks_without_confirmed_schedules(session: Session) -> None:
    s = build(session, issued="2026-05-10")
    set_schedule(session, actor=SYSTEM, task_id=s.t1.id, rule="half-yearly", responsibility_id=s.r_mz.id)
    s.t2.schedule_hints = [{"kind": "holiday", "rule": "holiday 春节", "why": "春节"}]
    propose_schedules(
        session, actor=SYSTEM, policy_id=s.policy.id
    )  # unconfirmed: does not replace the default
    result = generate(session)
    assert due(session, s.t1, s.r_mz) == {"2026-H1": D("2026-06-30"), "2026-H2": D("2026-12-31")}
    assert (
        due(session, s.t1, s.r_fl) == {}
    )  # the schedule is for minzheng only; t1 has a schedule, so no default
    # t2: default cycle from the issue date 2026-05-10
    assert set(due(session, s.t2, s.r_ga)) == {"2026-Q2", "2026-Q3", "2026-Q4"}
    assert result.created == 5


def test_default_cycle_comes_from_the_argument(session: Session) -> None:
    s = build(session)
    generate(session, default_cycle="monthly")
    assert len(due(session, s.t2, s.r_ga)) == 12


def test_hint_proposed_confirmed_generated(session: Session, host: PluginHost) -> None:
    imported = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2020-10-01"), today=D("2020-10-01")
    )
    policy_id = imported.policy_id
    assert policy_id is not None
    first = propose_schedules(session, actor=SYSTEM, policy_id=policy_id)
    rules = sorted(p.rule for p in first.proposed)
    # 年度工作计划 is due early in the year it plans
    assert rules == ["holiday 三八妇女节", "once 2020-12-31", "yearly 01-31"]
    assert all(p.source == "hint" and not p.confirmed for p in first.proposed)
    again = propose_schedules(session, actor=SYSTEM, policy_id=policy_id)
    assert again.proposed == () and again.existing == 3
    assert list_schedules(session, policy=str(policy_id)).total == 3

    once = next(p for p in first.proposed if p.rule == "once 2020-12-31")
    confirm_schedule(session, actor=SYSTEM, schedule_id=once.id)
    generate(session, until="2021-06-30", today="2020-10-01", policy_id=policy_id)
    task = session.get(Task, once.task)
    assert task is not None and task.responsibilities
    for resp in task.responsibilities:
        # the dated hint (a Thursday) and, as it is a one-off deadline, the default cycle goes on around it
        assert due(session, task, resp) == {
            "2020-12-31": D("2020-12-31"),
            "2020-Q4": D("2021-01-08"),
            "2021-Q1": D("2021-04-08"),
            "2021-Q2": D("2021-07-07"),
        }
    yearly_task = session.get(Task, next(p.task for p in first.proposed if p.rule == "yearly 01-31"))
    assert yearly_task is not None
    periods = set(due(session, yearly_task, yearly_task.responsibilities[0]))
    # still the default cycle (the hint is unconfirmed), from the supervision start 2020-10-01: no 2020-Q3
    assert periods == {"2020-Q4", "2021-Q1", "2021-Q2"}

    # a removed proposal is kept as rejected: not listed, and not proposed again
    unwanted = next(p for p in first.proposed if p.rule == "holiday 三八妇女节")
    remove_schedule(session, actor=SYSTEM, schedule_id=unwanted.id)
    assert list_schedules(session, policy=str(policy_id)).total == 2
    third = propose_schedules(session, actor=SYSTEM, policy_id=policy_id)
    assert third.proposed == () and third.existing == 3


def test_unparsable_hint_is_skipped_with_a_warning(session: Session) -> None:
    s = build(session)
    s.t1.schedule_hints = [
        {"kind": "recurrence", "rule": "每两周一次", "why": "每两周"},
        {"kind": "recurrence", "rule": "quarterly", "why": "每季度"},
    ]
    result = propose_schedules(session, actor=SYSTEM, policy_id=s.policy.id)
    assert [p.rule for p in result.proposed] == ["quarterly"]
    assert len(result.warnings) == 1 and "每两周" in result.warnings[0]


def test_set_schedule_validates_and_does_not_duplicate(session: Session) -> None:
    s = build(session)
    with pytest.raises(ParseError) as err:
        set_schedule(session, actor=SYSTEM, task_id=s.t1.id, rule="every fortnight")
    assert "every fortnight" in str(err.value) and "应为" in str(err.value)
    with pytest.raises(PermissionDenied):
        set_schedule(session, actor=MZ, task_id=s.t1.id, rule="quarterly")
    with pytest.raises(ValidationError):
        set_schedule(session, actor=SYSTEM, task_id=s.t1.id, rule="quarterly", responsibility_id=s.r_ga.id)
    a = set_schedule(session, actor=SYSTEM, task_id=s.t1.id, rule="every 3 months")
    b = set_schedule(session, actor=SYSTEM, task_id=s.t1.id, rule="Quarterly", end=D("2026-06-30"))
    assert a.id == b.id and b.rule == "quarterly" and b.end == D("2026-06-30") and b.confirmed
    generate(session)
    assert set(due(session, s.t1, s.r_mz)) == {"2026-Q1", "2026-Q2"}  # the end date bounds it
    remove_schedule(session, actor=SYSTEM, schedule_id=b.id)
    assert list_schedules(session).total == 0
    session.expire_all()
    kept = list(session.scalars(select(Milestone).where(Milestone.task_id == s.t1.id)))
    assert len(kept) == 4 and all(m.schedule_id is None for m in kept)  # history stays, unlinked


def test_only_coordinators_generate(session: Session) -> None:
    build(session)
    with pytest.raises(PermissionDenied):
        generate_milestones(session, actor=MZ, until=D("2026-12-31"), today=D("2026-01-05"))


def test_superseded_policies_get_no_milestones(session: Session) -> None:
    s = build(session)
    newer = Policy(title="新版", issuers=[], issued=D("2026-01-01"))
    session.add(newer)
    session.flush()
    s.policy.superseded_by_id = newer.id
    result = generate(session)
    assert result.created == 0
    with pytest.raises(ValidationError):
        generate(session, policy_id=s.policy.id)


def test_list_milestones_filters_and_pages_in_sql(session: Session) -> None:
    s = build(session)
    generate(session)
    page = list_milestones(session, agency="minzheng", limit=2, offset=1)
    assert page.total == 4 and len(page.items) == 2
    row = page.items[0]
    assert row.policy == "云民发〔2026〕1号" and row.task_number == "一" and row.role == "lead"
    assert row.period == "2026-Q2" and row.due_date == D("2026-07-07") == row.effective_due_date
    early = list_milestones(session, due_before=D("2026-07-07"))
    assert early.total == 6  # Q1 and Q2 (inclusive) of three responsibilities
    assert list_milestones(session, policy="云民发〔2026〕1号").total == 12
    assert s.policy.id


def test_calendar_import_moves_future_milestones_and_clears_the_warning(
    session: Session, tmp_path: Path
) -> None:
    s = build(session)
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="once 2027-02-12")
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="once 2027-02-19 +1wd")
    first = generate(session, until="2027-03-31", today="2026-11-01")
    assert any("2027年的调休安排尚未掌握" in w for w in first.warnings)
    ga = due(session, s.t2, s.r_ga)
    assert {k: v for k, v in ga.items() if "Q" not in k} == {
        "2027-02-12": D("2027-02-12"),
        "2027-02-19": D("2027-02-22"),
    }
    assert ga["2027-Q1"] == D("2027-04-08")  # one-off deadlines only: t2 keeps the default cycle too
    assert due(session, s.t1, s.r_mz)["2027-Q1"] == D("2027-04-08")  # 清明 04-05 is a statutory day off

    path = tmp_path / "2027.toml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    import_calendar_file(session, actor=SYSTEM, path=path)
    again = generate(session, until="2027-03-31", today="2026-11-01")
    # the two once-milestones and the 2027-Q1 default milestones of t1 and t2 (the file has no 清明: 04-05
    # is worked)
    assert again.created == 0 and again.redated == 5
    assert due(session, s.t1, s.r_mz)["2027-Q1"] == D("2027-04-07")
    assert not any("2027" in w for w in again.warnings)
    ga = due(session, s.t2, s.r_ga)
    assert {k: v for k, v in ga.items() if "Q" not in k} == {
        "2027-02-12": D("2027-02-15"),
        "2027-02-19": D("2027-02-20"),
    }
    # the file's December make-up day is stored in 2026
    dec = {d.date: d for d in month_view(session, 2026, 12).days}
    assert dec[D("2026-12-26")].working and dec[D("2026-12-26")].kind == "makeup"


def test_bad_calendar_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "坏的2027.toml"
    path.write_text(CALENDAR_2027.replace("from = 2027-02-05", 'from = "2027-02-30"'), encoding="utf-8")
    working_calendar(session, 2027, 2027)
    session.commit()
    before = session.scalar(select(func.count()).select_from(CalendarDay))
    with pytest.raises(ParseError) as err:
        import_calendar_file(session, actor=SYSTEM, path=path)
    assert str(path) in str(err.value) and "“from”" in str(err.value) and err.value.line == 11
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == before
    year = session.get(CalendarYear, 2027)
    assert year is not None and not year.has_makeup_days


def test_past_milestones_keep_their_due_date(session: Session, tmp_path: Path) -> None:
    s = build(session)
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="once 2027-02-12")
    set_schedule(session, actor=SYSTEM, task_id=s.t2.id, rule="once 2027-02-19 +1wd")
    generate(session, until="2027-02-28", today="2026-11-01")
    path = tmp_path / "2027.toml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    import_calendar_file(session, actor=SYSTEM, path=path)
    again = generate(session, until="2027-02-28", today="2027-02-14")
    assert again.redated == 1  # only the one still ahead of "today"
    ga = due(session, s.t2, s.r_ga)
    assert {k: v for k, v in ga.items() if "Q" not in k} == {
        "2027-02-12": D("2027-02-12"),
        "2027-02-19": D("2027-02-20"),
    }
