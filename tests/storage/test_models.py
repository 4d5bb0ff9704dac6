"""Models round-trip on both backends: UTC datetimes, JSON columns, SQLite pragmas, optimistic locking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from duban.storage.db import session_factory
from duban.storage.models import Policy, Responsibility, Task


def _policy(session: Session) -> Task:
    policy = Policy(
        doc_number="民发〔2019〕86号",
        title="关于加强农村留守妇女关爱服务工作的意见",
        issuers=["minzheng", "fulian"],
        jurisdiction_code="000000",
        issued=dt.date(2019, 9, 20),
    )
    task = Task(
        section=None,
        number="一",
        text="坚持和加强党对农村留守妇女关爱服务工作的领导。",
        position=1,
        schedule_hints=[{"kind": "recurrence", "rule": "every 6 months", "why": "至少每半年更新一次"}],
    )
    policy.tasks.append(task)
    task.responsibilities.append(
        Responsibility(agency_key="minzheng", name_as_written="民政部", role="joint")
    )
    session.add(policy)
    session.commit()
    return task


def test_round_trip_keeps_chinese_json_and_utc(session: Session) -> None:
    task = _policy(session)
    session.expire_all()
    loaded = session.get(Task, task.id)
    assert loaded is not None
    assert loaded.policy.issuers == ["minzheng", "fulian"]
    assert loaded.schedule_hints[0]["why"] == "至少每半年更新一次"
    assert loaded.policy.imported_at.tzinfo is not None
    assert loaded.policy.imported_at.utcoffset() == dt.timedelta(0)
    assert loaded.responsibilities[0].name_as_written == "民政部"


def test_naive_datetimes_are_refused(session: Session) -> None:
    task = _policy(session)
    task.responsibilities[0].acknowledged_at = dt.datetime(2020, 1, 1, 8, 0)  # naive
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()


def test_concurrent_update_of_a_responsibility_is_detected(engine: Engine) -> None:
    factory = session_factory(engine)
    with factory() as s:
        resp_id = _policy(s).responsibilities[0].id
    with factory() as a, factory() as b:
        ra, rb = a.get(Responsibility, resp_id), b.get(Responsibility, resp_id)
        assert ra is not None and rb is not None
        ra.state = "acknowledged"
        a.commit()
        rb.state = "returned"
        with pytest.raises(StaleDataError):
            b.commit()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_pragmas(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
