"""The supervision lifecycle through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from duban.errors import ConflictError, PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.extensions import decide_extension, request_extension
from duban.services.identity import Actor
from duban.services.lifecycle import acknowledge, review_report
from duban.services.reports import submit_report
from duban.services.status import Scope, overdue, period_history, responsibility_rows, summary
from duban.services.status_results import LightCounts
from duban.storage.db import session_factory
from duban.storage.models import AuditEvent, Finding, Report, Responsibility
from tests.services.workflow_scenario import COORD, FL, MZ, VIEWER, at, build


def light(session: Session, resp_id: int, day: str) -> str:
    rows = responsibility_rows(session, as_of=dt.date.fromisoformat(day), scope=Scope())
    return next(r.light for r in rows if r.responsibility == resp_id)


def test_lights_follow_the_working_calendar_with_tiaoxiu(session: Session) -> None:
    s = build(session)
    # m1 due Fri 2026-01-30; the warning window is 5 working days
    assert light(session, s.r_mz.id, "2026-01-20") == "green"
    assert light(session, s.r_mz.id, "2026-01-26") == "yellow"
    assert light(session, s.r_mz.id, "2026-02-02") == "red"


def test_tiaoxiu_saturday_counts_in_the_warning_window(session: Session) -> None:
    s = build(session)
    # only m4 (due Tue 2026-02-24, after the 春节 break 02-15..02-23) is open once m1 and m2 are reported
    submit_report(
        session,
        actor=MZ,
        host=PluginHost.load(),
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="一月进展",
        **at("2026-01-05"),
    )
    submit_report(
        session,
        actor=MZ,
        host=PluginHost.load(),
        responsibility_id=s.r_mz.id,
        milestone_id=s.m2.id,
        text="一季度进展",
        **at("2026-01-05"),
    )
    session.commit()
    # From Fri 02-13: 02-14 (调休 Saturday), 02-24, 02-25, 02-26, 02-27 are the 5 working days -> yellow.
    # A Monday-Friday calendar would end the window on 02-20 and call it green.
    assert light(session, s.r_mz.id, "2026-02-13") == "yellow"
    assert light(session, s.r_mz.id, "2026-02-06") == "green"


def test_full_lifecycle(session: Session, host: PluginHost, tmp_path: Path) -> None:
    s = build(session)
    acknowledge(session, actor=MZ, responsibility_id=s.r_mz.id)
    assert s.r_mz.state == "acknowledged"
    with pytest.raises(ValidationError):
        acknowledge(session, actor=MZ, responsibility_id=s.r_mz.id)

    # a late report: the period stays red in history, the current light turns green
    attachment = tmp_path / "台账.txt"
    attachment.write_text("台账更新说明", encoding="utf-8")
    first = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="已完成摸底排查",
        attachments=[attachment],
        attachment_root=tmp_path / "store",
        **at("2026-02-03"),
    ).report
    session.commit()
    stored = tmp_path / "store" / first.attachments[0]["sha256"][:2] / first.attachments[0]["sha256"]
    assert stored.read_text(encoding="utf-8") == "台账更新说明"
    assert light(session, s.r_mz.id, "2026-02-04") == "green"
    history = period_history(session, responsibility_id=s.r_mz.id, as_of=dt.date(2026, 2, 4))
    assert [(h.period, h.light) for h in history] == [("2026-01", "red")]

    # a correction is a new version; the old one is kept
    second = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="更正：已完成摸底排查并录入系统",
        **at("2026-02-04"),
    ).report
    session.commit()
    versions = session.scalars(
        select(Report).where(Report.milestone_id == s.m1.id).order_by(Report.version)
    ).all()
    assert [(r.version, r.is_current) for r in versions] == [(1, False), (2, True)]
    assert second.version == 2

    # the supporting department files on time, the coordinator returns it: red from the return on
    fl_report = submit_report(
        session,
        actor=FL,
        host=host,
        responsibility_id=s.r_fl.id,
        milestone_id=s.m3.id,
        text="开展走访慰问",
        **at("2026-01-29"),
    ).report
    review_report(
        session, actor=COORD, report_id=fl_report.id, accept=False, reason="缺少走访人数", **at("2026-01-30")
    )
    session.commit()
    assert light(session, s.r_fl.id, "2026-01-29") == "green"
    assert light(session, s.r_fl.id, "2026-01-31") == "red"
    assert s.r_fl.state == "returned"
    with pytest.raises(ValidationError, match="理由"):
        review_report(session, actor=COORD, report_id=second.id, accept=False, reason=" ")

    # an extension before the due date moves it; lateness is measured from the new date
    ext = request_extension(
        session,
        actor=MZ,
        milestone_id=s.m2.id,
        new_date=dt.date(2026, 4, 30),
        reason="等待统计数据",
        progress="已完成八成",
        today=dt.date(2026, 3, 1),
    )
    decide_extension(session, actor=COORD, extension_id=ext.id, approve=True, **at("2026-03-02"))
    session.commit()
    assert s.m2.effective_due_date == dt.date(2026, 4, 30)
    assert [
        o.milestone for o in overdue(session, as_of=dt.date(2026, 4, 2)) if o.responsibility == s.r_mz.id
    ] == [s.m4.id]
    assert s.m2.id in [o.milestone for o in overdue(session, as_of=dt.date(2026, 5, 6))]
    with pytest.raises(ValidationError, match="逾期后不能申请延期"):
        request_extension(
            session,
            actor=MZ,
            milestone_id=s.m4.id,
            new_date=dt.date(2026, 5, 30),
            reason="来不及",
            progress="未开始",
            today=dt.date(2026, 2, 25),
        )

    # 办结: the lead's final report accepted closes the lead and so the task, supporters stay visible
    final = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m4.id,
        text="全部完成",
        final=True,
        **at("2026-02-20"),
    ).report
    assert s.r_mz.state == "completion_requested"
    review_report(session, actor=COORD, report_id=final.id, accept=True, **at("2026-02-21"))
    session.commit()
    assert s.r_mz.state == "closed" and s.r_mz.closed_on == dt.date(2026, 2, 21)
    result = summary(session, as_of=dt.date(2026, 2, 22), scope=Scope(policy_id=s.policy.id))
    assert result.tasks.done == 1  # task 三: its lead closed
    assert light(session, s.r_fl.id, "2026-02-22") == "red"  # the returned supporter is still visible
    assert light(session, s.r_mz.id, "2026-02-20") != "done"  # as of before the closing

    assert audit.verify(session) == []


def test_task_summary_and_department_rows(session: Session, host: PluginHost) -> None:
    s = build(session)
    submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="按时报送",
        **at("2026-01-28"),
    )
    session.commit()
    result = summary(session, as_of=dt.date(2026, 2, 2))
    depts = {d.agency: d for d in result.departments}
    assert depts["fulian"].light == "red" and depts["fulian"].overdue == 1
    assert depts["fulian"].on_time_rate == 0.0
    assert depts["minzheng"].on_time_rate == 1.0
    assert depts["gongan"].light == "green"
    assert result.tasks == LightCounts(red=0, yellow=0, green=2, done=0)
    assert result.responsibilities.red == 1


def test_plugin_errors_refuse_and_warnings_are_stored(session: Session, host: PluginHost) -> None:
    s = build(session)
    with pytest.raises(ValidationError, match="指标"):
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="台账",
            indicators={"no.such": "1"},
            **at("2026-01-20"),
        )
    ledger = [i for i in host.indicators() if i.key.startswith("minzheng.") and i.type == "int"]
    whole = next(i for i in ledger if any(p.part_of == i.key for p in ledger))
    part = next(p for p in ledger if p.part_of == whole.key)
    with pytest.raises(ValidationError, match="报送未通过检查"):
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="台账",
            indicators={whole.key: "10", part.key: "12"},
            **at("2026-01-20"),
        )
    with pytest.raises(ValidationError, match="不是整数"):
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="台账",
            indicators={whole.key: "十"},
            **at("2026-01-20"),
        )
    session.rollback()
    assert session.scalars(select(Report)).all() == []
    assert session.scalars(select(Finding)).all() == []


@pytest.mark.parametrize("who", ["other_department", "viewer"])
def test_every_write_service_refuses_outside_the_users_scope(
    session: Session, host: PluginHost, who: str
) -> None:
    s = build(session)
    actor = FL if who == "other_department" else VIEWER
    mz_report = submit_report(
        session,
        actor=MZ,
        host=host,
        responsibility_id=s.r_mz.id,
        milestone_id=s.m1.id,
        text="进展",
        **at("2026-01-20"),
    ).report
    ext = request_extension(
        session,
        actor=MZ,
        milestone_id=s.m2.id,
        new_date=dt.date(2026, 4, 30),
        reason="理由",
        progress="进展",
        today=dt.date(2026, 1, 20),
    )
    session.commit()
    writes = [
        lambda: acknowledge(session, actor=actor, responsibility_id=s.r_mz.id),
        lambda: submit_report(
            session,
            actor=actor,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="越权报送",
            **at("2026-01-21"),
        ),
        lambda: request_extension(
            session,
            actor=actor,
            milestone_id=s.m1.id,
            new_date=dt.date(2026, 3, 1),
            reason="越权",
            progress="无",
            today=dt.date(2026, 1, 21),
        ),
        lambda: decide_extension(session, actor=actor, extension_id=ext.id, approve=True),
        lambda: review_report(session, actor=actor, report_id=mz_report.id, accept=True),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied):
            write()
    session.rollback()
    assert session.get(Responsibility, s.r_mz.id).state == "in_progress"


def bypass_journal_triggers(session: Session) -> None:
    """PostgreSQL refuses UPDATE and DELETE on the journal (migration 0007): tamper as a superuser would,
    with the triggers off for this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))


def test_audit_tampering_is_detected(session: Session, host: PluginHost) -> None:
    s = build(session)
    for day in ("2026-01-20", "2026-01-21", "2026-01-22"):
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text=f"进展 {day}",
            **at(day),
        )
    session.commit()
    assert audit.verify(session) == []
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    target = events[-2]
    bypass_journal_triggers(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values(actor="someone-else"))
    session.commit()
    problems = audit.verify(session)
    assert [(p.seq, p.kind) for p in problems] == [(target.seq, "edited")]

    bypass_journal_triggers(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values(actor=target.actor))
    session.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": events[1].seq})
    session.commit()
    problems = audit.verify(session)
    assert problems and problems[0].seq == events[2].seq and problems[0].kind in ("deleted", "broken_link")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_departments_reporting_at_the_same_moment_lose_nothing(engine: Engine, host: PluginHost) -> None:
    import threading

    factory = session_factory(engine)
    with factory() as s0:
        s = build(s0)
        ids = (s.r_mz.id, s.m1.id, s.r_fl.id, s.m3.id)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def file(actor, resp_id, milestone_id):
        try:
            with factory() as session:
                barrier.wait()
                submit_report(
                    session,
                    actor=actor,
                    host=host,
                    responsibility_id=resp_id,
                    milestone_id=milestone_id,
                    text="同时报送",
                    **at("2026-01-20"),
                )
                session.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [
        threading.Thread(target=file, args=(MZ, ids[0], ids[1])),
        threading.Thread(target=file, args=(FL, ids[2], ids[3])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with factory() as session:
        assert len(session.scalars(select(Report)).all()) == 2
        assert audit.verify(session) == []

    # the same responsibility from two sessions: the second gets a clear conflict, nothing half-written
    with factory() as a, factory() as b:
        # both sessions hold the responsibility (version N) before either writes
        held = a.get(Responsibility, ids[0]), b.get(Responsibility, ids[0])
        submit_report(
            a,
            actor=MZ,
            host=host,
            responsibility_id=ids[0],
            milestone_id=ids[1],
            text="甲",
            **at("2026-01-21"),
        )
        a.commit()
        assert held[0].version == held[1].version + 1
        with pytest.raises(ConflictError):
            submit_report(
                b,
                actor=MZ,
                host=host,
                responsibility_id=ids[0],
                milestone_id=ids[1],
                text="乙",
                **at("2026-01-21"),
            )
        b.rollback()
    with factory() as session:
        assert len(session.scalars(select(Report)).all()) == 3


def test_a_joint_task_closes_only_when_every_party_has(session: Session, host: PluginHost) -> None:
    s = build(session)
    ga = Actor("ga", "department", "gongan", "530000")
    sf = Actor("sf", "department", "sifa", "530000")
    from duban.services.identity import SYSTEM, add_user

    for a in (ga, sf):
        add_user(
            session,
            actor=SYSTEM,
            name=a.name,
            role=a.role,
            agency=a.agency_key,
            jurisdiction=a.jurisdiction_code,
        )

    def task_two_done(day: str) -> bool:
        result = summary(session, as_of=dt.date.fromisoformat(day), scope=Scope(policy_id=s.policy.id))
        rows = responsibility_rows(session, as_of=dt.date.fromisoformat(day), scope=Scope(task_id=s.t2.id))
        return result.tasks.done == 1 and all(r.light == "done" for r in rows)

    r1 = submit_report(
        session,
        actor=ga,
        host=host,
        responsibility_id=s.r_ga.id,
        milestone_id=s.m5.id,
        text="公安部分完成",
        final=True,
        **at("2026-05-01"),
    ).report
    review_report(session, actor=COORD, report_id=r1.id, accept=True, **at("2026-05-02"))
    session.commit()
    assert not task_two_done("2026-05-10")
    r2 = submit_report(
        session,
        actor=sf,
        host=host,
        responsibility_id=s.r_sf.id,
        text="司法部分完成",
        final=True,
        **at("2026-05-11"),
    ).report
    review_report(session, actor=COORD, report_id=r2.id, accept=True, **at("2026-05-12"))
    session.commit()
    assert task_two_done("2026-05-12")
    assert not task_two_done("2026-05-11")  # as of the day before the second closing
