"""``duban notify retry [ID|--failed]`` after a channel is fixed (parts already delivered are not resent),
and one grouped failure summary per run instead of one notice per failed message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.errors import PermissionDenied, ValidationError
from duban.services.notifications import retry_messages, run_notifications
from duban.storage.db import make_engine, session_factory, unit_of_work
from duban.storage.models import AuditEvent, OutboxMessage
from tests.notify.conftest import Robot, at_local, notify_config
from tests.services.workflow_scenario import COORD, MZ, build

COORD_ROUTE = {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]}
REFUSED = (200, {"errcode": 310000, "errmsg": "keywords not in content"})
OK = (200, {"errcode": 0, "errmsg": "ok"})


def _routes(robot: Robot, max_bytes: int = 20000) -> list[dict[str, object]]:
    return [
        {
            "name": "部门钉钉群",
            "url": f"dingtalk://TOKEN?base={robot.base}",
            "tags": ["minzheng", "fulian"],
            "max_bytes": max_bytes,
        },
        COORD_ROUTE,
    ]


def test_failures_of_a_run_are_one_notice_and_retry_resends_only_what_failed(
    session: Session, factory: sessionmaker[Session], robot: Robot, captured: list
) -> None:
    build(session)
    config = notify_config(_routes(robot, max_bytes=200), in_run_retries=0)
    # 02-02: both digests go through
    robot.script = [OK] * 20
    first = run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    assert {s.receiver: s.state for s in first.sent}["fulian@530000"] == "sent"
    robot.script, robot.default = [OK], REFUSED  # 02-05: 妇联's part 1 arrives, then every post is refused
    robot.requests.clear()
    second = run_notifications(factory, config=config, now=at_local("2026-02-05", 9))
    failed = [s for s in second.sent if s.state == "failed"]
    assert {s.receiver for s in failed} == {"minzheng@530000", "fulian@530000"}
    # one notice for the two failed messages, naming both departments in Chinese
    assert len(captured) == 1
    notice = captured[0]
    assert notice["title"].startswith("【督办·投递失败】2 条消息无法送达")
    assert "云南省民政厅" in notice["title"] and "云南省妇联" in notice["title"]
    assert "duban notify retry --failed" in notice["body"]
    delivered_before = [r["json"]["text"]["content"] for r in robot.requests if r["answer"]["errcode"] == 0]
    assert len(delivered_before) == 1

    with pytest.raises(PermissionDenied):
        retry_messages(factory, config=config, actor=MZ, failed=True, now=at_local("2026-02-05", 10))
    with pytest.raises(ValidationError):
        retry_messages(factory, config=config, actor=COORD, now=at_local("2026-02-05", 10))
    robot.default = OK  # the keyword was added to the robot
    robot.requests.clear()
    report = retry_messages(factory, config=config, actor=COORD, failed=True, now=at_local("2026-02-05", 10))
    assert sorted(report.requested) == sorted(s.id for s in failed)
    assert {s.state for s in report.sent} == {"sent"}
    resent = [r["json"]["text"]["content"] for r in robot.requests]
    assert delivered_before[0] not in resent  # the part delivered before is not sent again
    with unit_of_work(factory) as s:
        assert {m.state for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))} == {
            "sent"
        }
        assert "notify.retry" in set(s.scalars(select(AuditEvent.action)))
    with pytest.raises(ValidationError, match="已送达"):
        retry_messages(factory, config=config, actor=COORD, message_id=failed[0].id)


def test_cli_retry_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, robot: Robot, host) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'retry.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    monkeypatch.setenv("LOGNAME", "coord")
    monkeypatch.setenv("USER", "coord")
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        '[users.map]\ncoord = "coord"\n[notify]\nin_run_retries = 0\n'
        f'[[notify.routes]]\nurl = "dingtalk://TOKEN?base={robot.base}"\ntags = ["minzheng", "fulian"]\n',
        encoding="utf-8",
    )

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    robot.default = REFUSED
    code, out, err = run("notify", "--now", "2026-02-02T09:00+08:00")
    assert code == 11 and "duban notify retry --failed" in err
    robot.default = OK
    code, out, err = run("notify", "retry", "1", "--now", "2026-02-02T09:30+08:00")
    assert code == 0, err
    assert "重新发送 1 条消息：#1" in out and "已发送" in out
    code, out, _ = run("notify", "retry", "--failed")
    assert code == 0 and ("#2" in out or "没有发送失败的消息" in out)
