"""Schedules start where supervision starts; hints and cycles; annual plans; a draft's comment deadline.

On SQLite and PostgreSQL, through the services.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.schedule import Yearly, parse_rule
from duban.domain.scoring import Period
from duban.domain.vocabulary import Light, PolicyStatus, Role, TaskKind
from duban.errors import PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.assessment import AssessScope, department_facts
from duban.services.calendar import working_calendar
from duban.services.catalog import list_policies
from duban.services.identity import SYSTEM, Actor
from duban.services.importing import import_policy
from duban.services.notifications import plan_messages
from duban.services.scheduling import (
    confirm_schedule,
    generate_milestones,
    propose_schedules,
    set_schedule,
)
from duban.services.status import Scope, overdue, summary
from duban.services.supervision import set_supervision_start
from duban.storage.models import AuditEvent, Milestone, Policy, Responsibility, Schedule, Task
from tests.notify.conftest import at_local, notify_config

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
JILIN = SEEDS / "002_09c426360c691ab7.txt"  # 吉民发〔2020〕28号, issued 2020-09-21
DRAFT = SEEDS / "004_1692d70bd32bb6db.txt"  # 吉林 征求意见稿, issued 2020-04-15, comments until 2020-05-10
MZ = Actor("mz", "department", "minzheng", "220000")
D = dt.date.fromisoformat


def milestones(session: Session, policy_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone).join(Task, Task.id == Milestone.task_id).where(Task.policy_id == policy_id)
        )
    )


def resp_count(session: Session, policy_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Responsibility)
        .join(Task, Task.id == Responsibility.task_id)
        .where(Task.policy_id == policy_id)
    )


# -- the supervision start ------------------------------------------------------------------------------


def test_an_old_document_imported_today_is_supervised_from_today_not_years_back(
    session: Session, host: PluginHost
) -> None:
    today = D("2026-01-05")
    result = import_policy(session, actor=SYSTEM, host=host, path=JILIN, today=today)
    policy = session.get(Policy, result.policy_id)
    assert policy is not None and policy.issued == D("2020-09-21")
    assert policy.supervision_start == today == result.supervision_start

    first = generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=today)
    rows = milestones(session, policy.id)
    assert rows and min(m.due_date for m in rows) >= today
    assert {m.period for m in rows} == {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}
    # 2020-Q3 … 2025-Q4: 22 quarters of the default cycle for every responsibility are not created —
    # but for 扶贫's two duties on tasks 农业农村 also holds: from 2023-Q1 (due after 2023-03-16) they are
    # carried by 农业农村's own duty (one duty per task), so 12 of their quarters were never due
    assert first.skipped_before_start == 22 * resp_count(session, policy.id) - 2 * 12
    assert first.skipped_merged == 2 * 4
    assert first.created == 4 * resp_count(session, policy.id) - first.skipped_merged

    again = generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=today)
    assert again.created == 0 and again.skipped_before_start == first.skipped_before_start

    past = generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=today, include_past=True)
    assert past.created == first.skipped_before_start and past.skipped_before_start == 0
    q3 = working_calendar(session, 2020, 2020).add_working_days(D("2020-09-30"), 5)  # 2020-Q3 +5wd
    assert min(m.due_date for m in milestones(session, policy.id)) == q3 == D("2020-10-14")


def test_from_on_import_and_a_new_version_keeps_the_start(
    session: Session, host: PluginHost, tmp_path: Path
) -> None:
    first = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2025-01-01"), today=D("2026-01-05")
    )
    assert first.supervision_start == D("2025-01-01")
    same = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2024-01-01"), today=D("2026-01-05")
    )
    assert same.status == "unchanged" and same.supervision_start == D("2025-01-01")
    assert any("duban schedule start" in w.message for w in same.document.warnings)

    edited = tmp_path / JILIN.name
    edited.write_text(JILIN.read_text(encoding="utf-8").replace("农村留守妇女", "农村留守妇女 ", 1), "utf-8")
    newer = import_policy(session, actor=SYSTEM, host=host, path=edited, replace=True, today=D("2026-06-01"))
    assert newer.status == "replaced" and newer.supervision_start == D("2025-01-01")
    assert {p.id: p.supervision_start for p in list_policies(session)} == {newer.policy_id: D("2025-01-01")}


def test_a_schedule_confirmed_with_its_own_start(session: Session, host: PluginHost) -> None:
    imported = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2026-01-01"), today=D("2026-01-05")
    )
    proposed = {
        p.rule: p for p in propose_schedules(session, actor=SYSTEM, policy_id=imported.policy_id).proposed
    }
    women_day = proposed["holiday 三八妇女节"]
    confirm_schedule(session, actor=SYSTEM, schedule_id=women_day.id, start=D("2026-06-01"))
    schedule = session.get(Schedule, women_day.id)
    assert schedule is not None and schedule.confirmed and schedule.start == D("2026-06-01")
    generate_milestones(session, actor=SYSTEM, until=D("2027-12-31"), today=D("2026-01-05"))
    task = session.get(Task, women_day.task)
    assert task is not None
    periods = {m.period for m in session.scalars(select(Milestone).where(Milestone.task_id == task.id))}
    assert periods == {"2027-三八妇女节"}  # 2026-03-08 is before the schedule's own start

    bounded = set_schedule(session, actor=SYSTEM, task_id=task.id, rule="quarterly", end=D("2026-03-31"))
    with pytest.raises(ValidationError, match="早于开始日期"):  # a start after the end is refused
        confirm_schedule(session, actor=SYSTEM, schedule_id=bounded.id, start=D("2026-06-01"))


def test_setting_the_start_later_is_audited_and_for_coordinators(session: Session, host: PluginHost) -> None:
    imported = import_policy(session, actor=SYSTEM, host=host, path=JILIN, today=D("2026-01-05"))
    assert imported.policy_id is not None
    with pytest.raises(PermissionDenied):
        set_supervision_start(session, actor=MZ, policy_id=imported.policy_id, start=D("2025-01-01"))
    change = set_supervision_start(session, actor=SYSTEM, policy_id=imported.policy_id, start=D("2025-01-01"))
    assert change.previous == D("2026-01-05") and change.to_json()["start"] == "2025-01-01"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.supervision_start")).one()
    assert event.before == {"supervision_start": "2026-01-05"}
    assert event.after is not None and event.after["supervision_start"] == "2025-01-01"


# -- hints and cycles -----------------------------------------------------------------------------------


def test_a_confirmed_dated_hint_keeps_the_periodic_cycle(session: Session, host: PluginHost) -> None:
    imported = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2020-10-01"), today=D("2020-10-01")
    )
    proposed = {
        p.rule: p for p in propose_schedules(session, actor=SYSTEM, policy_id=imported.policy_id).proposed
    }
    once = proposed["once 2020-12-31"]
    confirm_schedule(session, actor=SYSTEM, schedule_id=once.id)
    generate_milestones(session, actor=SYSTEM, until=D("2022-12-31"), today=D("2020-10-01"))
    task = session.get(Task, once.task)
    assert task is not None
    periods = {
        m.period
        for m in session.scalars(
            select(Milestone).where(Milestone.responsibility_id == task.responsibilities[0].id)
        )
    }
    # the deadline, and the quarterly progress reports go on after it until the duty is closed (办结)
    assert "2020-12-31" in periods and {"2021-Q4", "2022-Q3"} <= periods

    # a periodic schedule replaces the default cycle
    set_schedule(session, actor=SYSTEM, task_id=task.id, rule="half-yearly")
    generate_milestones(session, actor=SYSTEM, until=D("2023-12-31"), today=D("2020-10-01"))
    later = {
        m.period
        for m in session.scalars(
            select(Milestone).where(Milestone.responsibility_id == task.responsibilities[0].id)
        )
        if m.period.startswith("2023")
    }
    assert later == {"2023-H1", "2023-H2"}


def test_an_annual_plan_is_due_early_in_the_year_it_plans(session: Session, host: PluginHost) -> None:
    imported = import_policy(
        session, actor=SYSTEM, host=host, path=JILIN, supervision_start=D("2026-01-01"), today=D("2026-01-05")
    )
    proposed = propose_schedules(session, actor=SYSTEM, policy_id=imported.policy_id).proposed
    plan = next(p for p in proposed if "年度工作计划" in (p.note or ""))
    assert plan.rule == "yearly 01-31" and plan.description == "每年1月31日"
    confirm_schedule(session, actor=SYSTEM, schedule_id=plan.id)
    generate_milestones(session, actor=SYSTEM, until=D("2026-12-31"), today=D("2026-01-05"))
    dues = {
        m.period: m.due_date
        for m in session.scalars(select(Milestone).where(Milestone.schedule_id == plan.id))
    }
    # the 2026 plan is due on 2026-01-31 (a Saturday: the next working day), not on 2026-12-31
    assert set(dues) == {"2026-01-31"}
    assert dues["2026-01-31"] == working_calendar(session, 2026, 2026).next_working_day(D("2026-01-31"))


def test_shipped_annual_plan_templates_are_due_in_the_first_quarter(host: PluginHost) -> None:
    plans = [t for t in host.task_templates() if "年度工作计划" in t.title]
    assert len(plans) >= 13
    for template in plans:
        base = parse_rule(template.schedule or "").base
        assert isinstance(base, Yearly) and base.month <= 3, template.key


# -- a draft's comment deadline -------------------------------------------------------------------------


def test_a_drafts_comment_deadline_is_the_coordinators_milestone(session: Session, host: PluginHost) -> None:
    imported = import_policy(
        session, actor=SYSTEM, host=host, path=DRAFT, supervision_start=D("2020-04-15"), today=D("2020-04-20")
    )
    policy = session.get(Policy, imported.policy_id)
    assert policy is not None and policy.status == PolicyStatus.DRAFT
    assert policy.comment_deadline == D("2020-05-10")
    comment = session.scalars(
        select(Task).where(Task.policy_id == policy.id, Task.kind == TaskKind.COMMENT)
    ).one()
    assert comment.kind is TaskKind.COMMENT and comment.kind.label == "征求意见反馈"
    (duty,) = comment.responsibilities
    assert (duty.agency_key, duty.role, duty.jurisdiction_code) == ("fuergongwei", Role.LEAD, "220000")
    assert duty.name_as_written == "省妇儿工委办公室"
    assert list_policies(session)[0].tasks == 24  # the document's tasks; the comment duty is duban's

    result = generate_milestones(session, actor=SYSTEM, until=D("2020-12-31"), today=D("2020-04-20"))
    assert any("只生成意见反馈节点" in w for w in result.warnings)
    (milestone,) = milestones(session, policy.id)  # none for the draft's own tasks
    deadline = working_calendar(session, 2020, 2020).next_working_day(D("2020-05-10"))  # a Sunday
    assert milestone.responsibility_id == duty.id and milestone.due_date == deadline

    day = D("2020-05-13")
    depts = {d.agency: d for d in summary(session, as_of=day).departments}
    assert depts["fuergongwei"].overdue == 1 and depts["fuergongwei"].light is Light.RED
    assert [o.milestone for o in overdue(session, as_of=day, scope=Scope())] == [milestone.id]
    config = notify_config([{"url": "capture://coord", "tags": ["fuergongwei"]}])
    eve = working_calendar(session, 2020, 2020).add_working_days(deadline, -1)  # the reminder's day
    planned = plan_messages(session, config=config, as_of=eve, now=at_local(eve, 9)).planned
    assert [p.receiver for p in planned] == ["fuergongwei@220000"]
    assert f"--milestone {milestone.id}" in planned[0].body
    facts = department_facts(session, AssessScope(Period.parse("2020"), D("2020-12-31")))
    assert facts == []  # a draft is not assessed (考核)


def test_a_comment_deadline_before_the_start_is_not_chased(session: Session, host: PluginHost) -> None:
    imported = import_policy(session, actor=SYSTEM, host=host, path=DRAFT, today=D("2026-01-05"))
    assert any("不再督办意见反馈" in w.message for w in imported.document.warnings)
    assert session.scalar(select(func.count()).select_from(Task).where(Task.kind == TaskKind.COMMENT)) == 0
    # moving the start back before the deadline makes it a duty again
    change = set_supervision_start(session, actor=SYSTEM, policy_id=imported.policy_id, start=D("2020-04-15"))
    assert change.comment_task is not None
    comment = session.get(Task, change.comment_task)
    assert comment is not None and comment.kind is TaskKind.COMMENT
