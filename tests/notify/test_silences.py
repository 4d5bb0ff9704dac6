"""Silences: a department, a task or a route muted until an expiry, with author and reason; shown in the
run's output, in ``notify log`` and on the 通知 screen; ``duban notify silence add/list/remove``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.domain.vocabulary import SilenceScope
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.services.notifications import notification_log, run_notifications
from duban.services.silences import add_silence, list_silences, remove_silence
from duban.storage.db import make_engine, session_factory, unit_of_work
from duban.storage.models import AuditEvent
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import COORD, MZ, build

ROUTES = [
    {"name": "民政厅邮箱", "url": "capture://mz", "tags": ["minzheng"]},
    {"name": "妇联邮箱", "url": "capture://fl", "tags": ["fulian"]},
    {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]},
]
NOW = at_local("2026-02-02", 9)


def _add(factory: sessionmaker[Session], scope: SilenceScope, target: str, until: str = "2026-02-10") -> int:
    with unit_of_work(factory) as s:
        return add_silence(
            s,
            actor=COORD,
            scope=scope,
            target=target,
            until=at_local(until, 18),
            reason="春节值班安排",
            now=NOW,
        ).id


def test_a_silenced_department_gets_no_digest_until_the_silence_ends(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(ROUTES)
    _add(factory, SilenceScope.DEPARTMENT, "fulian@530000")
    report = run_notifications(factory, config=config, now=NOW)
    assert [p.receiver for p in report.planned] == ["minzheng@530000"]
    assert [(k.receiver, k.name, k.reason) for k in report.skipped] == [
        ("fulian@530000", "云南省妇联", "silenced")
    ]
    assert "春节值班安排" in report.skipped[0].detail and "coord" in report.skipped[0].detail
    assert [c["to"] for c in captured] == ["mz"]
    # after the expiry (02-10 18:00) the department is reminded again (red on 02-11, k = 8)
    later = run_notifications(factory, config=config, now=at_local("2026-02-11", 9))
    assert "fulian@530000" in [p.receiver for p in later.planned]


def test_a_silenced_task_is_left_out_and_a_silenced_route_is_skipped(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    scenario = build(session)
    config = notify_config(ROUTES)
    _add(factory, SilenceScope.TASK, str(scenario.t1.id))
    report = run_notifications(factory, config=config, now=NOW)
    assert report.planned == () and {k.reason for k in report.skipped} == {"silenced"}

    silence = _add(factory, SilenceScope.ROUTE, "民政厅邮箱", until="2026-02-20")
    with unit_of_work(factory) as s:
        remove_silence(s, actor=COORD, silence_id=_first_task_silence(s), now=NOW)
    report = run_notifications(factory, config=config, now=at_local("2026-02-05", 9))  # yellow, k = 4
    sent = {o.receiver: o for o in report.sent}
    assert sent["fulian@530000"].state == "sent"
    mz = sent["minzheng@530000"]
    assert [a.detail.startswith("已静默") for a in mz.attempts] == [True]
    assert "mz" not in [c["to"] for c in captured]
    with unit_of_work(factory) as s:
        entry = next(e for e in notification_log(s) if e.receiver == "minzheng@530000")
        assert entry.deliveries[0].silenced and f"静默 #{silence}" in (entry.deliveries[0].detail or "")
        actions = [a for a in s.scalars(select(AuditEvent.action)) if a.startswith("notify.silence")]
    assert actions == ["notify.silence.add", "notify.silence.add", "notify.silence.remove"]


def _first_task_silence(s: Session) -> int:
    return next(e.id for e in list_silences(s, now=NOW) if e.scope == SilenceScope.TASK)


def test_silences_are_checked(session: Session, factory: sessionmaker[Session]) -> None:
    build(session)
    with unit_of_work(factory) as s:
        with pytest.raises(PermissionDenied):
            add_silence(
                s,
                actor=MZ,
                scope=SilenceScope.DEPARTMENT,
                target="minzheng",
                until=at_local("2026-03-01"),
                reason="x",
                now=NOW,
            )
        with pytest.raises(NotFoundError, match="nosuch"):
            add_silence(
                s,
                actor=COORD,
                scope=SilenceScope.DEPARTMENT,
                target="nosuch@530000",
                until=at_local("2026-03-01"),
                reason="x",
                now=NOW,
            )
        with pytest.raises(NotFoundError, match="任务"):
            add_silence(
                s,
                actor=COORD,
                scope=SilenceScope.TASK,
                target="999999",
                until=at_local("2026-03-01"),
                reason="x",
                now=NOW,
            )
        with pytest.raises(ValidationError, match="已过"):
            add_silence(
                s,
                actor=COORD,
                scope=SilenceScope.DEPARTMENT,
                target="minzheng",
                until=at_local("2026-01-01"),
                reason="x",
                now=NOW,
            )
        with pytest.raises(ValidationError, match="理由"):
            add_silence(
                s,
                actor=COORD,
                scope=SilenceScope.DEPARTMENT,
                target="minzheng",
                until=at_local("2026-03-01"),
                reason=" ",
                now=NOW,
            )


def test_cli_silence_add_list_run_log_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'silence.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    monkeypatch.setenv("LOGNAME", "coord")
    monkeypatch.setenv("USER", "coord")
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        '[users.map]\ncoord = "coord"\n'
        + "".join(
            f'[[notify.routes]]\nname = "{r["name"]}"\nurl = "{r["url"]}"\ntags = {r["tags"]!r}\n'.replace(
                "'", '"'
            )
            for r in ROUTES
        ),
        encoding="utf-8",
    )

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, out, err = run(
        "notify",
        "silence",
        "add",
        "--department",
        "fulian@530000",
        "--until",
        "2099-12-31",
        "--reason",
        "妇联换届，暂停提醒",
        "--now",
        "2026-02-02T08:00+08:00",
    )
    assert code == 0, err
    assert "已静默 部门 云南省妇联" in out and "2100-01-01 00:00" in out
    code, out, _ = run("notify", "silence", "list")
    assert code == 0 and "生效中" in out and "妇联换届，暂停提醒" in out
    code, out, err = run("notify", "--now", "2026-02-02T09:00+08:00")
    assert code == 0, err
    assert "未生成：云南省妇联（fulian@530000）：已静默" in out
    code, out, _ = run("notify", "log")
    assert code == 0 and "静默中：部门 云南省妇联" in out and "妇联换届" in out
    code, _out, err = run(
        "notify", "silence", "add", "--route", "没有这个渠道", "--until", "2099-01-01", "--reason", "x"
    )
    assert code == 9 and "民政厅邮箱" in err
    code, out, _ = run("notify", "silence", "remove", "1")
    assert code == 0 and "已解除静默 #1" in out
    code, out, _ = run("notify", "silence", "list")
    assert "没有生效中的静默" in out
    code, out, _ = run("notify", "silence", "list", "--all")
    assert "已解除" in out


def test_the_notifications_screen_lists_silences(session: Session, factory: sessionmaker[Session]) -> None:
    from duban.tui.screens.notifications import load_outbox

    build(session)
    with unit_of_work(factory) as s:
        add_silence(
            s,
            actor=COORD,
            scope=SilenceScope.DEPARTMENT,
            target="minzheng@530000",
            until=at_local("2099-01-01"),
            reason="机构改革过渡期",
        )
    with unit_of_work(factory) as s:
        loaded = load_outbox(s, failed_only=False)
    assert loaded is not None
    _rows, _total, silences = loaded
    assert len(silences) == 1 and "部门 云南省民政厅" in silences[0] and "机构改革过渡期" in silences[0]
    assert "minzheng" not in silences[0]  # the name a person reads, never the key
