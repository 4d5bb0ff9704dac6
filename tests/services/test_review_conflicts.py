"""Two coordinators deciding the same report or extension at once: one wins, the other gets ConflictError
and writes nothing — on SQLite (a file, two connections) and PostgreSQL (two sessions, row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from duban.errors import ConflictError, DubanError
from duban.plugin_host import PluginHost
from duban.services.extensions import decide_extension, request_extension
from duban.services.identity import Actor
from duban.services.lifecycle import review_report
from duban.services.reports import submit_report
from duban.storage.db import session_factory
from duban.storage.models import AuditEvent, Extension, Report, Responsibility
from tests.services.workflow_scenario import COORD, MZ, Scenario, at, build

COORD2 = Actor("coord2", "coordinator")


def _final_report(engine: Engine, host: PluginHost) -> tuple[Scenario, int]:
    with session_factory(engine)() as session:
        s = build(session)
        report = submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="全部完成，申请办结",
            final=True,
            **at("2026-01-20"),
        ).report
        session.commit()
        return s, report.id


def _events(engine: Engine, action_prefix: str) -> int:
    with session_factory(engine)() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.like(f"{action_prefix}%"))
            )
            or 0
        )


def _race(
    engine: Engine, preload: Callable[[Session], None], decide: Callable[[Session, Actor], object]
) -> str:
    """The first coordinator decides and holds its transaction open; the second, having read the same
    row before, decides meanwhile (on PostgreSQL it waits for the row lock, on SQLite for the write lock);
    then the first commits. Returns what happened to the second."""
    factory = session_factory(engine)
    first, second = factory(), factory()
    preload(second)  # the second coordinator has the report/extension on screen, still undecided
    preload(first)
    decide(first, COORD)  # written, not yet committed
    outcome: list[str] = []

    def loser() -> None:
        try:
            decide(second, COORD2)
            second.commit()
            outcome.append("committed")
        except ConflictError:
            second.rollback()
            outcome.append("conflict")
        except DubanError as exc:
            second.rollback()
            outcome.append(f"other: {exc}")
        finally:
            second.close()

    thread = threading.Thread(target=loser)
    thread.start()
    thread.join(1.0)  # give it time to block on the lock
    first.commit()
    first.close()
    thread.join(30)
    assert not thread.is_alive()
    return outcome[0]


@pytest.mark.parametrize("accept_second", [True, False])
def test_two_reviews_of_one_report_never_both_succeed(
    engine: Engine, host: PluginHost, accept_second: bool
) -> None:
    s, report_id = _final_report(engine, host)

    def preload(session: Session) -> None:
        session.get(Report, report_id)
        session.get(Responsibility, s.r_mz.id)

    def decide(session: Session, actor: Actor) -> object:
        if actor is COORD:
            return review_report(session, actor=actor, report_id=report_id, accept=True, **at("2026-01-21"))
        return review_report(
            session,
            actor=actor,
            report_id=report_id,
            accept=accept_second,
            reason=None if accept_second else "材料不全",
            **at("2026-01-21"),
        )

    assert _race(engine, preload, decide) == "conflict"
    with session_factory(engine)() as session:
        report = session.get(Report, report_id)
        resp = session.get(Responsibility, s.r_mz.id)
        assert report is not None and resp is not None
        assert (report.review_state, report.reviewed_by) == ("accepted", "coord")
        assert resp.state == "closed"  # never an accepted report on a returned responsibility
    assert _events(engine, "report.accept") + _events(engine, "report.return") == 1


def test_a_review_racing_a_corrected_report_conflicts(engine: Engine, host: PluginHost) -> None:
    """The department files a correction while the coordinator accepts the old version: one of them loses."""
    s, report_id = _final_report(engine, host)

    def preload(session: Session) -> None:
        session.get(Report, report_id)
        session.get(Responsibility, s.r_mz.id)

    def decide(session: Session, actor: Actor) -> object:
        if actor is COORD:
            return submit_report(
                session,
                actor=MZ,
                host=host,
                responsibility_id=s.r_mz.id,
                milestone_id=s.m1.id,
                text="更正：尚未完成",
                **at("2026-01-21"),
            )
        return review_report(session, actor=actor, report_id=report_id, accept=True, **at("2026-01-21"))

    assert _race(engine, preload, decide) == "conflict"
    with session_factory(engine)() as session:
        resp = session.get(Responsibility, s.r_mz.id)
        assert resp is not None and resp.state == "in_progress"
    assert _events(engine, "report.accept") == 0


def test_two_decisions_on_one_extension_never_both_succeed(engine: Engine, host: PluginHost) -> None:
    with session_factory(engine)() as session:
        s = build(session)
        ext = request_extension(
            session,
            actor=MZ,
            milestone_id=s.m2.id,
            new_date=dt.date(2026, 4, 30),
            reason="数据未汇总",
            progress="过半",
            today=dt.date(2026, 3, 1),
        )
        session.commit()
        ext_id = ext.id

    def preload(session: Session) -> None:
        session.get(Extension, ext_id)

    def decide(session: Session, actor: Actor) -> object:
        return decide_extension(
            session,
            actor=actor,
            extension_id=ext_id,
            approve=actor is COORD,
            reason="同意",
            **at("2026-03-02"),
        )

    assert _race(engine, preload, decide) == "conflict"
    with session_factory(engine)() as session:
        ext = session.get(Extension, ext_id)
        assert ext is not None and (ext.state, ext.decided_by) == ("approved", "coord")
    assert _events(engine, "extension.approve") == 1 and _events(engine, "extension.refuse") == 0


def test_many_threads_one_winner(engine: Engine, host: PluginHost, tmp_path: Path) -> None:
    """Eight coordinators press 通过 at the same moment: one succeeds, the others are refused."""
    _s, report_id = _final_report(engine, host)
    factory = session_factory(engine)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def press(i: int) -> None:
        with factory() as session:
            session.get(Report, report_id)
            barrier.wait()
            try:
                review_report(session, actor=Actor(f"c{i}", "coordinator"), report_id=report_id, accept=True)
                session.commit()
                results.append("ok")
            except DubanError as exc:
                session.rollback()
                results.append(type(exc).__name__)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 1, results
    assert set(results) <= {"ok", "ConflictError", "ValidationError"}
    assert _events(engine, "report.accept") == 1
