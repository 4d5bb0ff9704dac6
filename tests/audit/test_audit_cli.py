"""End to end through the real CLI, from an imported seed: checkpoints and tampering; concurrent reviews and
final reports as two ``duban`` processes racing for the same row (exit 10 for the loser, nothing written)."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, select, text, update

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Report, Responsibility
from tests.services.workflow_scenario import build

SEED = Path(__file__).parents[1] / "fixtures" / "seeds" / "000_ec88c21d93956c79.txt"
REPO = Path(__file__).parents[2]


def run(db_url: str, *args: str, config: Path | None = None) -> tuple[int, str, str]:
    head = ["--db", db_url] + (["--config", str(config)] if config else [])
    result = CliRunner().invoke(cli, [*head, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _tamper(engine: Engine):  # noqa: ANN202 - a Connection
    conn = engine.connect()
    if engine.dialect.name == "postgresql":  # the superuser skipping the append-only triggers
        conn.execute(text("SET session_replication_role = replica"))
    return conn


def test_checkpoint_and_verify_from_an_imported_seed(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(db_url, "init")[0] == 0
    code, _out, err = run(db_url, "import", str(SEED))
    assert code == 0, err
    code, _out, err = run(db_url, "audit", "checkpoint")
    assert code == 3 and "没有审计签名密钥" in err and "duban audit keygen" in err
    key = tmp_path / "keys" / "audit.key"
    key.parent.mkdir()
    code, out, err = run(db_url, "audit", "keygen", str(key))
    assert code == 0 and oct(key.stat().st_mode & 0o777) == "0o600", err
    monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(key))
    cp = tmp_path / "cp.json"
    code, out, err = run(db_url, "audit", "checkpoint", "--out", str(cp), "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["count"] >= 3 and dict(made["rows"])["responsibility"] > 20 and made["path"] == str(cp)

    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        resp_id, task_id = s.execute(
            select(Responsibility.id, Responsibility.task_id).order_by(Responsibility.id)
        ).first()
        other = s.scalar(select(Responsibility.id).where(Responsibility.task_id != task_id).limit(1))
    code, _out, err = run(db_url, "ack", str(resp_id))  # genuine work after the checkpoint
    assert code == 0, err
    code, out, err = run(db_url, "audit", "verify", "--checkpoint", str(cp))
    assert code == 0 and "签名有效" in out and "其后追加 1 条" in out, out + err

    with _tamper(engine) as conn:  # a department "closes" a duty by hand, leaving the journal alone
        conn.execute(update(Responsibility).where(Responsibility.id == other).values(state="closed"))
        conn.commit()
    code, out, _ = run(db_url, "audit", "verify", "--checkpoint", str(cp), "--json")
    verdict = json.loads(out)
    assert code == 12 and [p["kind"] for p in verdict["problems"]] == ["data_changed"]

    with _tamper(engine) as conn:  # then hides the 签收 and what came before it
        conn.execute(delete(AuditEvent).where(AuditEvent.seq >= made["last_seq"]))
        conn.commit()
    code, out, _ = run(db_url, "audit", "verify", "--checkpoint", str(cp))
    assert code == 12 and "审计日志末尾的事件被删除" in out
    code, out, _ = run(db_url, "audit", "verify")
    assert code == 0  # the chain alone does not see a shorter journal

    forged = tmp_path / "forged.json"
    data = json.loads(cp.read_text(encoding="utf-8"))
    data["count"] -= 1
    forged.write_text(json.dumps(data), encoding="utf-8")
    code, _out, err = run(db_url, "audit", "verify", "--checkpoint", str(forged))
    assert code == 13 and "签名不符" in err

    with _tamper(engine) as conn:
        conn.execute(
            text("TRUNCATE audit_event") if engine.dialect.name == "postgresql" else delete(AuditEvent)
        )
        conn.commit()
    code, out, _ = run(db_url, "audit", "verify", "--checkpoint", str(cp))
    assert code == 12 and "审计日志已被清空" in out
    engine.dispose()


# --------------------------------------------------------------------------- racing processes


def _duban(db_url: str, config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "duban", "--db", db_url, "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"},
    )


def _race(
    engine: Engine, db_url: str, config: Path, lock_sql: str, row: int, *commands: list[str]
) -> list[tuple[int, str]]:
    """Hold a lock on the contested row while both commands start and read it, then let them go."""
    holder = engine.connect()
    if engine.dialect.name == "postgresql":
        holder.execute(text(lock_sql), {"id": row})
    else:
        holder.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock: both commands read, then wait to write
    procs = [_duban(db_url, config, *c) for c in commands]
    deadline = time.monotonic() + 30
    if engine.dialect.name == "postgresql":
        with engine.connect() as probe:
            while time.monotonic() < deadline:
                waiting = probe.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                )
                probe.commit()  # pg_stat_activity is a snapshot per transaction
                if waiting == len(procs):
                    break
                time.sleep(0.1)
            else:
                holder.rollback()
                outputs = [p.communicate(timeout=60) for p in procs]
                pytest.fail(f"the commands never waited for the row lock: {outputs}")
    else:
        time.sleep(
            5
        )  # both processes start, read the row and wait on SQLite's write lock (busy timeout 10 s)
    holder.commit()
    holder.close()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        results.append((p.returncode, out + err))
    return results


@pytest.fixture
def world(db_url: str, tmp_path: Path):  # noqa: ANN201
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        scenario = build(session)
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    yield engine, scenario, config
    engine.dispose()


def test_two_coordinators_reviewing_at_once_through_the_cli(world, db_url: str) -> None:  # noqa: ANN001
    engine, s, config = world
    code, out, err = run(
        db_url,
        "--as",
        "mz",
        "report",
        "submit",
        str(s.r_mz.id),
        "--milestone",
        str(s.m1.id),
        "--text",
        "全部完成",
        "--final",
        "--json",
        config=config,
    )
    assert code == 0, err
    report_id = json.loads(out)["report"]
    results = _race(
        engine,
        db_url,
        config,
        "SELECT id FROM report WHERE id = :id FOR UPDATE",
        report_id,
        ["review", "accept", str(report_id)],
        ["review", "return", str(report_id), "--reason", "材料不全"],
    )
    codes = sorted(c for c, _ in results)
    loser = next(text_ for c, text_ in results if c != 0)
    assert "Traceback" not in "".join(t for _c, t in results)
    if engine.dialect.name == "postgresql":
        assert codes == [0, 10], results
    else:  # SQLite: the loser is refused either way (10, or 9 if it read after the winner committed)
        assert codes[0] == 0 and codes[1] in (9, 10), results
    assert "本次复核未保存" in loser or "已复核" in loser
    with session_factory(engine)() as session:
        reviews = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["report.accept", "report.return"]))
        )
        report = session.get(Report, report_id)
        resp = session.get(Responsibility, s.r_mz.id)
        assert reviews == 1 and report is not None and resp is not None
        assert (report.review_state, resp.state) in {("accepted", "closed"), ("returned", "returned")}


def test_two_final_reports_at_once_through_the_cli(world, db_url: str) -> None:  # noqa: ANN001
    engine, s, config = world
    results = _race(
        engine,
        db_url,
        config,
        "SELECT id FROM responsibility WHERE id = :id FOR UPDATE",
        s.r_mz.id,
        [
            "--as",
            "mz",
            "report",
            "submit",
            str(s.r_mz.id),
            "--milestone",
            str(s.m1.id),
            "--text",
            "完成",
            "--final",
        ],
        [
            "--as",
            "mz",
            "report",
            "submit",
            str(s.r_mz.id),
            "--milestone",
            str(s.m1.id),
            "--text",
            "办结",
            "--final",
        ],
    )
    codes = sorted(c for c, _ in results)
    assert "Traceback" not in "".join(t for _c, t in results), results
    assert codes == [0, 10], results
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.submit")
            )
            == 1
        )


def test_a_checkpoint_sent_as_a_notification_verifies(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--notify TAG`` sends the checkpoint through the routes tagged TAG (here a file:// folder standing in
    for a mailbox elsewhere); the body saved as a file verifies."""
    assert run(db_url, "init")[0] == 0
    key = tmp_path / "audit.key"
    assert run(db_url, "audit", "keygen", str(key))[0] == 0
    monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(key))
    sink = tmp_path / "mailbox"
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[[notify.routes]]\nname = "审计邮箱"\nurl = "file://{sink}"\ntags = ["audit"]\n', encoding="utf-8"
    )
    code, out, err = run(db_url, "audit", "checkpoint", "--notify", "audit", "--json", config=config)
    assert code == 0, err
    assert json.loads(out)["notified"] == ["审计邮箱"] and json.loads(out)["path"] is None
    (message,) = sink.glob("*.json")
    body = json.loads(message.read_text(encoding="utf-8"))["body"]
    saved = tmp_path / "from-mail.json"
    saved.write_text(body, encoding="utf-8")
    code, out, err = run(db_url, "audit", "verify", "--checkpoint", str(saved), config=config)
    assert code == 0 and "签名有效" in out, out + err
    code, _out, err = run(db_url, "audit", "checkpoint", "--notify", "nobody", config=config)
    assert code == 11 and "没有标签为 nobody 的通知渠道" in err
