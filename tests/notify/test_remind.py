"""Ad-hoc 催办 (issue 19 item 6) and @提醒 by mobile number (item 8), end to end through the CLI to loopback
robots that answer like DingTalk and WeCom."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from duban.cli.main import cli
from duban.config import load_settings
from duban.errors import ConfigError
from duban.notify.mentions import load_mentions
from duban.storage.db import make_engine, session_factory, unit_of_work
from duban.storage.models import AuditEvent, NotificationAttempt, OutboxMessage
from tests.notify.conftest import Robot
from tests.services.workflow_scenario import build

MZ_MOBILE, FL_MOBILE = "13800000001", "13900000002"


@pytest.fixture
def world(tmp_path: Path, host, robot: Robot) -> tuple[str, Path]:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'remind.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as session:
        build(session)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        f"""[users.map]
"{getpass.getuser()}" = "coord"

[[notify.routes]]
name = "民政厅钉钉群"
url = "dingtalk://MZTOKEN/?base={robot.base}"
tags = ["minzheng", "jur-530000"]
at_mobiles = ["{MZ_MOBILE}"]

[[notify.routes]]
name = "妇联企业微信群"
url = "wecombot://FLKEY?base={robot.base}"
tags = ["fulian"]
at_mobiles = ["{FL_MOBILE}"]

[[notify.routes]]
name = "协调人"
url = "capture://coord"
tags = ["coordinator"]
""",
        encoding="utf-8",
    )
    return url, cfg


def run(world: tuple[str, Path], *args: str) -> tuple[int, str, str]:
    url, cfg = world
    result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _outbox(url: str, kind: str) -> list[OutboxMessage]:
    with unit_of_work(session_factory(make_engine(url))) as s:
        rows = list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        )
        s.expunge_all()
        return rows


def test_remind_a_task_deduplicated_per_day_with_mentions_only_in_the_payload(
    world: tuple[str, Path], robot: Robot, captured: list
) -> None:
    url, _cfg = world
    now = "2026-02-03T10:00+08:00"  # m1 (minzheng) and m3 (fulian), due 01-30, are overdue
    code, out, err = run(world, "remind", "--task", "云民发〔2020〕8号 三", "--now", now)
    assert code == 0, err
    assert "催办 任务 云民发〔2020〕8号 三" in out and out.count("已生成") == 2
    ding = next(r for r in robot.requests if r["path"].startswith("/robot/send"))
    wecom = next(r for r in robot.requests if r["path"].startswith("/cgi-bin/webhook/send"))
    # DingTalk: at.atMobiles and the @ in the text; WeCom: mentioned_mobile_list
    assert ding["json"]["at"] == {"atMobiles": [MZ_MOBILE], "isAtAll": False}
    assert ding["json"]["text"]["content"].endswith(f"@{MZ_MOBILE}")
    assert "【督办·催办】云南省民政厅" in ding["json"]["text"]["content"]
    assert wecom["json"]["text"]["mentioned_mobile_list"] == [FL_MOBILE]
    assert len(robot.requests) == 2

    # the same day again: nothing queued, nothing sent
    code, out, _ = run(world, "remind", "--task", "云民发〔2020〕8号 三", "--now", "2026-02-03T15:00+08:00")
    assert code == 0 and out.count("今天已催办过") == 2 and len(robot.requests) == 2
    # the next day: again
    code, out, _ = run(world, "remind", "--agency", "minzheng", "--now", "2026-02-04T10:00+08:00")
    assert code == 0 and out.count("已生成") == 1 and len(robot.requests) == 3

    reminders = _outbox(url, "remind")
    assert [(m.receiver, m.period.isoformat()) for m in reminders] == [
        ("fulian@530000", "2026-02-03"),
        ("minzheng@530000", "2026-02-03"),
        ("minzheng@530000", "2026-02-04"),
    ]
    # the mobiles are nowhere duban keeps or shows: outbox, attempts, audit, notify log
    code, log, _ = run(world, "notify", "log")
    assert code == 0 and "催办" in log
    code, log_json, _ = run(world, "notify", "log", "--json")
    with unit_of_work(session_factory(make_engine(url))) as s:
        kept = [m.body + m.subject for m in s.scalars(select(OutboxMessage))]
        kept += [a.detail or "" for a in s.scalars(select(NotificationAttempt))]
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "notify.remind")))
        kept += [json.dumps(e.after, ensure_ascii=False) for e in events]
    for mobile in (MZ_MOBILE, FL_MOBILE):
        assert all(mobile not in k for k in kept)
        assert mobile not in log and mobile not in log_json
    assert len(events) == 2  # two 催办 queued something; the deduplicated one changed nothing
    assert events[0].actor == "coord" and events[0].after["queued"] == ["fulian@530000", "minzheng@530000"]


def test_remind_errors(world: tuple[str, Path]) -> None:
    code, _out, err = run(
        world, "remind", "--task", "云民发〔2020〕8号 九十九", "--now", "2026-02-03T10:00+08:00"
    )
    assert code == 7 and "没有任务 九十九" in err
    code, _out, err = run(world, "remind", "--now", "2026-02-03T10:00+08:00")
    assert code == 9 and "--task 或 --agency" in err
    code, _out, err = run(world, "remind", "--agency", "tiyu", "--now", "2026-02-03T10:00+08:00")
    assert code == 7 and "无需催办" in err
    code, _out, err = run(
        world, "--as", "mz", "remind", "--agency", "minzheng", "--now", "2026-02-03T10:00+08:00"
    )
    assert code == 8 and "只有协调人" in err


def test_the_scheduled_digest_mentions_too(world: tuple[str, Path], robot: Robot, captured: list) -> None:
    code, _out, err = run(world, "notify", "--now", "2026-02-02T10:00+08:00")  # m1, m3 k = 1: yellow digests
    assert code == 0, err
    ding = next(r for r in robot.requests if r["path"].startswith("/robot/send"))
    assert ding["json"]["at"]["atMobiles"] == [MZ_MOBILE]


def test_mentions_are_validated_without_printing_the_number(tmp_path: Path) -> None:
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        '[[notify.routes]]\nname = "群"\nurl = "dingtalk://T"\ntags = ["minzheng"]\nat_mobiles = ["1380000000x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_mentions(load_settings(cfg))
    assert "notify.routes[1]（群）" in str(info.value) and "1380000000x" not in str(info.value)
    cfg.write_text(
        '[[notify.routes]]\nurl = "mailto://127.0.0.1:25?from=a@x.cn&to=b@y.cn"\ntags = ["minzheng"]\n'
        'at_mobiles = ["13800000000"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="只有钉钉"):
        load_mentions(load_settings(cfg))
