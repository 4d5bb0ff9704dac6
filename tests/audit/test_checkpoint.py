"""Signed audit checkpoints detect every tampering the hash chain alone misses, on SQLite and PostgreSQL.

On PostgreSQL the tampering runs as the superuser with ``session_replication_role = replica``, which skips the
triggers that make the journal append-only (issue 15's other half): only someone who can bypass the engine's
own protection can tamper, and the checkpoint still finds it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from duban.errors import ConfigError
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.audit_checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    generate_key,
    key_path,
    load_key,
    make_checkpoint,
    read_checkpoint,
    verify_against,
    write_checkpoint,
)
from duban.services.lifecycle import acknowledge, review_report
from duban.services.reports import submit_report
from duban.storage.db import session_factory
from duban.storage.models import AuditEvent, Report
from tests.services.workflow_scenario import COORD, FL, MZ, Scenario, at, build


@pytest.fixture
def key(tmp_path: Path) -> bytes:
    return load_key(generate_key(tmp_path / "audit.key"))


@pytest.fixture
def world(engine: Engine, host: PluginHost) -> Iterator[tuple[Engine, Scenario, int]]:
    """A scenario with a few events: 签收, two reports, one accepted. Yields the first report's id too."""
    with session_factory(engine)() as session:
        s = build(session)
        acknowledge(session, actor=MZ, responsibility_id=s.r_mz.id)
        first = submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="摸底完成",
            **at("2026-01-20"),
        ).report
        submit_report(
            session,
            actor=FL,
            host=host,
            responsibility_id=s.r_fl.id,
            milestone_id=s.m3.id,
            text="已走访",
            **at("2026-01-21"),
        )
        review_report(session, actor=COORD, report_id=first.id, accept=True, **at("2026-01-22"))
        session.commit()
        yield engine, s, first.id


def _checkpoint(engine: Engine, key: bytes, path: Path) -> Checkpoint:
    with session_factory(engine)() as session:
        made = make_checkpoint(session, key=key, database="test")
        session.commit()
    write_checkpoint(made, path)
    read = read_checkpoint(path, key=key)
    assert read == made
    return read


def _verify(engine: Engine, checkpoint: Checkpoint) -> list[tuple[str, str]]:
    with session_factory(engine)() as session:
        return [(p.kind, p.message) for p in verify_against(session, checkpoint).problems]


def _tamper(engine: Engine) -> Connection:
    """A connection for tampering: on PostgreSQL the superuser skipping triggers (append-only guards)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn.execute(text("SET session_replication_role = replica"))
    return conn


def _rechain(conn: Connection) -> None:
    """Recompute every hash in seq order, as a forger who knows the algorithm would."""
    prev = audit.GENESIS_HASH
    for ev in conn.execute(select(AuditEvent).order_by(AuditEvent.seq)).all():
        new = audit.event_hash(
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            entity_type=ev.entity_type,
            entity_id=ev.entity_id,
            task_id=ev.task_id,
            before=ev.before,
            after=ev.after,
            prev_hash=prev,
        )
        conn.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(prev_hash=prev, hash=new))
        prev = new


def _forge(conn: Connection, *, prev_hash: str | None, action: str = "report.accept") -> None:
    last = conn.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    assert last is not None
    prev = prev_hash if prev_hash is not None else last.hash
    when = dt.datetime(2026, 1, 23, 4, tzinfo=dt.UTC)
    fields = dict(
        seq=last.seq + 1,
        at=when,
        actor="coord",
        action=action,
        entity_type="report",
        entity_id="1",
        task_id=None,
        before=None,
        after={"report": "accepted"},
    )
    conn.execute(
        AuditEvent.__table__.insert().values(
            **fields, prev_hash=prev, hash=audit.event_hash(**fields, prev_hash=prev)
        )
    )


def test_an_untouched_journal_and_genuine_work_after_the_checkpoint_pass(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path, host: PluginHost
) -> None:
    engine, s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    assert _verify(engine, document) == []
    with session_factory(engine)() as session:  # real work after the checkpoint is only appended
        submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m2.id,
            text="一季度完成",
            final=True,
            **at("2026-03-20"),
        )
        session.commit()
    assert _verify(engine, document) == []


def test_tail_deletion_is_detected(world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path) -> None:
    engine, _s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    last = document.last_seq
    with _tamper(engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= last - 1))
        conn.commit()
    with session_factory(engine)() as session:
        assert audit.verify(session) == []  # the chain alone cannot see it
    assert _verify(engine, document) == [
        (
            "tail_deleted",
            f"审计日志末尾的事件被删除：检查点时最后一条是第 {last} 条，现在最后一条是第 {last - 2} 条",
        )
    ]


def test_truncation_is_detected(world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path) -> None:
    engine, _s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with _tamper(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE audit_event"))
        else:
            conn.execute(delete(AuditEvent))
        conn.commit()
    problems = _verify(engine, document)
    assert [k for k, _m in problems] == ["truncated"]
    assert "审计日志已被清空" in problems[0][1]


def test_an_edit_with_the_chain_recomputed_is_detected(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    engine, _s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with _tamper(engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.action == "report.accept").values(actor="someone"))
        _rechain(conn)
        conn.commit()
    with session_factory(engine)() as session:
        assert audit.verify(session) == []  # a consistent, recomputed chain
    problems = _verify(engine, document)
    assert [k for k, _m in problems] == ["rewritten"]
    assert "检查点之前的日志被改写" in problems[0][1]


def test_a_forged_append_breaking_the_chain_is_detected(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    engine, _s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with _tamper(engine) as conn:
        _forge(conn, prev_hash="f" * 64)
        conn.commit()
    kinds = [k for k, _m in _verify(engine, document)]
    assert kinds == ["broken_link"]


def test_a_forged_append_with_a_valid_chain_is_pinned_by_the_next_checkpoint(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    """The documented limit: an event appended after the last checkpoint with a correct chain looks like real
    work to that checkpoint. A later checkpoint pins it; slipping one in before that checkpoint's head (the
    forger's only way to hide a decision among older events) is then a rewrite, found."""
    engine, _s, _first = world
    first = _checkpoint(engine, key, tmp_path / "cp1.json")
    with _tamper(engine) as conn:
        _forge(conn, prev_hash=None, action="user.add")
        conn.commit()
    assert _verify(engine, first) == []  # the limit, stated in docs/workflow.md
    second = _checkpoint(engine, key, tmp_path / "cp2.json")
    with _tamper(engine) as conn:  # the forger now removes their event and rechains to cover the tracks
        conn.execute(
            delete(AuditEvent).where(AuditEvent.action == "user.add", AuditEvent.entity_type == "report")
        )
        _rechain(conn)
        conn.commit()
    assert [k for k, _m in _verify(engine, second)] == ["tail_deleted"]
    assert _verify(engine, first) == []  # the first checkpoint's prefix is intact


def test_data_changed_without_the_journal_is_detected(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    engine, s, first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with _tamper(engine) as conn:
        other = conn.scalar(select(Report.id).where(Report.id != first))
        conn.execute(
            update(Report).where(Report.id == other).values(review_state="accepted", reviewed_by="coord")
        )
        conn.execute(text("UPDATE responsibility SET state = 'closed' WHERE id = :id"), {"id": s.r_ga.id})
        conn.commit()
    problems = _verify(engine, document)
    assert [k for k, _m in problems] == ["data_changed", "data_changed"]
    assert (
        f"责任 #{s.r_ga.id}（任务 #{s.t2.id}）在检查点之后被改动，审计日志中却没有相应事件" in problems[0][1]
    )
    assert f"报送 #{other}" in problems[1][1]


def test_a_deleted_report_is_detected(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    engine, _s, first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with _tamper(engine) as conn:
        conn.execute(delete(Report).where(Report.id == first))
        conn.commit()
    problems = _verify(engine, document)
    assert [k for k, _m in problems] == ["data_changed"] and "被删除" in problems[0][1]


def test_the_checkpoint_itself_is_signed(
    world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path
) -> None:
    engine, _s, _first = world
    path = tmp_path / "cp.json"
    _checkpoint(engine, key, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["count"] -= 1  # a forger lowering the count to hide a deletion
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CheckpointInvalid, match="签名不符"):
        read_checkpoint(forged, key=key)
    other = load_key(generate_key(tmp_path / "other.key"))
    with pytest.raises(CheckpointInvalid, match="签名不符"):
        read_checkpoint(path, key=other)


def test_no_key_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUBAN_AUDIT_KEY_FILE", raising=False)
    with pytest.raises(ConfigError, match="没有审计签名密钥"):
        key_path("")
    loose = tmp_path / "loose.key"
    loose.write_text("0" * 64, encoding="utf-8")
    loose.chmod(0o644)
    with pytest.raises(ConfigError, match="权限过宽"):
        load_key(loose)
    with pytest.raises(Exception, match="已存在"):
        generate_key(loose)


def test_counts_match(world: tuple[Engine, Scenario, int], key: bytes, tmp_path: Path) -> None:
    engine, _s, _first = world
    document = _checkpoint(engine, key, tmp_path / "cp.json")
    with Session(engine) as session:
        assert document.count == session.scalar(select(func.count()).select_from(AuditEvent))
