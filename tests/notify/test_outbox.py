"""The outbox: written before sending, sent by the next run after a crash, never sent twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from duban.services.notifications import plan_messages, run_notifications, send_due
from duban.storage.db import unit_of_work
from duban.storage.models import OutboxMessage
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import build

ROUTES = [
    {"url": "capture://mz", "tags": ["minzheng"]},
    {"url": "capture://fl", "tags": ["fulian"]},
    {"url": "capture://coord", "tags": ["coordinator"]},
]


class Killed(Exception):
    """The process dies between writing the outbox and sending."""


def _rows(factory: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with unit_of_work(factory) as s:
        return [
            (m.idempotency_key, m.receiver, m.state)
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_outbox_keys_are_idempotent(session: Session, factory: sessionmaker[Session], captured: list) -> None:
    """On SQLite and PostgreSQL: planning twice, or a concurrent planner, never writes a key twice."""
    build(session)
    config = notify_config(ROUTES)
    now = at_local("2026-02-02", 9)
    with unit_of_work(factory) as s1, unit_of_work(factory) as s2:
        first = plan_messages(s1, config=config, as_of=dt.date(2026, 2, 2), now=now)
        s1.commit()
        second = plan_messages(s2, config=config, as_of=dt.date(2026, 2, 2), now=now)
    assert [p.key for p in first.planned] == [
        "digest|fulian@530000|2026-02-02|yellow",
        "digest|minzheng@530000|2026-02-02|yellow",
    ]
    assert second.planned == ()
    send_due(factory, config=config, now=now)
    send_due(factory, config=config, now=now + dt.timedelta(hours=1))
    assert [state for _k, _r, state in _rows(factory)] == ["sent", "sent"]
    assert sorted(c["to"] for c in captured) == ["fl", "mz"]

    # the unique constraint itself refuses a duplicate key
    from sqlalchemy.exc import IntegrityError

    with factory() as s3:
        s3.add(
            OutboxMessage(
                idempotency_key="digest|fulian@530000|2026-02-02|yellow",
                kind="digest",
                period=dt.date(2026, 2, 2),
                receiver="fulian@530000",
                level="yellow",
                subject="重复",
                body="重复",
            )
        )
        with pytest.raises(IntegrityError):
            s3.flush()
        s3.rollback()


def test_a_run_killed_after_planning_loses_nothing(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    now = at_local("2026-02-02", 9)
    with pytest.raises(Killed), unit_of_work(factory) as s:
        plan_messages(s, config=config, as_of=dt.date(2026, 2, 2), now=now)
        s.commit()  # the planning transaction is committed …
        raise Killed  # … and the process dies before sending
    assert [state for _k, _r, state in _rows(factory)] == ["pending", "pending"]
    assert captured == []

    report = run_notifications(factory, config=config, now=now + dt.timedelta(minutes=5))
    assert report.planned == ()  # the same digests are not planned again
    assert sorted(s.receiver for s in report.sent) == ["fulian@530000", "minzheng@530000"]
    run_notifications(factory, config=config, now=now + dt.timedelta(minutes=10))
    assert sorted(c["to"] for c in captured) == ["fl", "mz"]


def test_a_run_killed_while_sending_is_resumed_after_the_lease(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    now = at_local("2026-02-02", 9)
    with unit_of_work(factory) as s:
        plan_messages(s, config=config, as_of=dt.date(2026, 2, 2), now=now)
    with unit_of_work(factory) as s:  # a run claimed every row, then died
        s.execute(
            update(OutboxMessage).values(state="sending", next_attempt_at=now + dt.timedelta(minutes=15))
        )
    assert send_due(factory, config=config, now=now + dt.timedelta(minutes=1)) == []
    resumed = send_due(factory, config=config, now=now + dt.timedelta(minutes=16))
    assert [r.state for r in resumed] == ["sent", "sent"] and len(captured) == 2


def test_quiet_hours_and_holidays_hold_messages_for_the_next_working_morning(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    # Wed 2026-02-11 21:00 is in quiet hours; m1 (minzheng) and m3 (fulian), due Fri 01-30, are k = 8
    # working days late (02-02 … 02-11): red fires, the digests are written and held until 08:30; this first
    # run also escalates the backlog (both red, no 督办单 yet) to the coordinator (issue 19).
    late = run_notifications(factory, config=config, now=at_local("2026-02-11", 21))
    assert len(late.planned) == 3 and late.sent == () and late.held == 3
    assert [p.receiver for p in late.planned][-1] == "coordinator"
    assert {p.send_at for p in late.planned} == {at_local("2026-02-12", 8, 30)}
    assert run_notifications(factory, config=config, now=at_local("2026-02-12", 7)).sent == ()
    morning = run_notifications(factory, config=config, now=at_local("2026-02-12", 8, 31))
    assert len(morning.sent) == 3 and len(captured) == 3

    # Sunday 2026-02-15 (春节): nothing is planned; a Saturday 调休 day (02-14) is a working day
    sunday = run_notifications(factory, config=config, now=at_local("2026-02-15", 10))
    assert sunday.working_day is False and sunday.planned == ()

    # a message written on the eve of the holiday waits until Tue 02-24 (the first working day after it)
    from duban.services.calendar import working_calendar
    from duban.services.notifications import release_time

    with unit_of_work(factory) as s:
        cal = working_calendar(s, 2026, 2026)
    assert release_time(config, cal, at_local("2026-02-14", 22)) == at_local("2026-02-24", 8, 30)
    assert release_time(config, cal, at_local("2026-02-14", 10)) == at_local("2026-02-14", 10)
