"""Routes validated when the configuration loads; the CLI: duban notify [--dry-run] [--json], log, test."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker

from duban.cli.main import cli
from duban.config import load_settings
from duban.errors import ConfigError
from duban.notify import load_notify_config, parse_route
from duban.notify.routes import routes_for
from duban.storage.db import make_engine, session_factory
from tests.notify.conftest import Robot


def _write_config(path: Path, routes: str) -> Path:
    path.write_text(f"[notify]\nremind_days = [5, 1]\n{routes}", encoding="utf-8")
    return path


def test_routes_load_with_env_secrets_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_WECOM_KEY", "s3cr3t-wecom-key")
    monkeypatch.setenv("DUBAN_SMTP_PASSWORD", "p4ss")
    cfg = _write_config(
        tmp_path / "duban.toml",
        """
[[notify.routes]]
name = "民政厅企业微信群"
url = "wecombot://${DUBAN_WECOM_KEY}"
tags = ["minzheng", "jur-530000"]

[[notify.routes]]
name = "民政厅邮箱"
url = "mailtos://duban:${DUBAN_SMTP_PASSWORD}@smtp.example.gov.cn?to=mz@example.gov.cn"
tags = ["minzheng"]

[[notify.routes]]
url = "dingtalk://SECRET123@TOKEN456"
tags = ["minzheng", "jur-530000", "leadership"]

[[notify.routes]]
url = "feishu://FEISHUTOKEN"
tags = ["coordinator"]
max_bytes = 4000
""",
    )
    config = load_notify_config(load_settings(cfg))
    wecom, mail, ding, feishu = config.routes
    assert wecom.url == "wecombot://s3cr3t-wecom-key" and wecom.max_bytes == 2048 and wecom.is_chat
    for route in config.routes:
        for secret in ("s3cr3t-wecom-key", "p4ss", "SECRET123", "TOKEN456", "FEISHUTOKEN"):
            assert secret not in route.redacted and secret not in repr(route)
    assert mail.redacted.startswith("mailtos://duban:****@smtp.example.gov.cn")
    assert feishu.max_bytes == 4000 and not mail.is_chat
    assert [r.index for r in routes_for(config.routes, "minzheng@530000")] == [1, 2]
    assert [r.index for r in routes_for(config.routes, "minzheng@110000")] == [2]  # no jur tag: everywhere
    assert [r.index for r in routes_for(config.routes, "minzheng@530000#leadership")] == [3]
    assert [r.index for r in routes_for(config.routes, "coordinator")] == [4]
    assert [r.index for r in routes_for(config.routes, "tag:jur-530000")] == [1, 3]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"name": "公安厅", "url": "nosuch://abc", "tags": ["gongan"]},
            "notify.routes[1]（公安厅）：无法识别的通知地址（方案 nosuch://）",
        ),
        ({"url": "wecombot://${DUBAN_UNSET_VAR}", "tags": ["gongan"]}, "环境变量 DUBAN_UNSET_VAR 未设置"),
        ({"url": "wecombot://KEY", "tags": ["gongan:3"]}, "标签中不能有冒号"),
        ({"url": "wecombot://KEY", "tags": []}, "tags 应为非空的标签列表"),
        ({"url": "wecombot://KEY?base=ftp://x", "tags": ["a"]}, "base 应为 http:// 或 https:// 地址"),
    ],
)
def test_bad_routes_are_refused_naming_the_route(
    item: dict, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_route(item, 1)
    assert "nosuch://abc" not in caplog.text  # apprise's own log line would print the whole URL


def test_unknown_route_key_is_a_config_error(tmp_path: Path) -> None:
    cfg = _write_config(
        tmp_path / "duban.toml", '[[notify.routes]]\nurl = "wecombot://K"\ntags = ["a"]\nsecret = "x"\n'
    )
    with pytest.raises(ConfigError, match=r"未知的配置项 notify.routes\[1\].secret"):
        load_settings(cfg)


@pytest.fixture
def db(tmp_path: Path, host) -> str:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as session:
        from tests.services.workflow_scenario import build

        build(session)
    engine.dispose()
    return url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_dry_run_log_and_test(tmp_path: Path, db: str, robot: Robot, captured: list) -> None:
    cfg = _write_config(
        tmp_path / "duban.toml",
        f"""
[[notify.routes]]
url = "capture://mz"
tags = ["minzheng"]

[[notify.routes]]
url = "wecombot://COORDKEY?base={robot.base}"
tags = ["coordinator"]
""",
    )
    code, out, err = run(
        "--db", db, "--config", str(cfg), "notify", "--dry-run", "--as-of", "2026-02-02", "--json"
    )
    # 省妇联 has no route: a warning naming it, and exit 11 (docs/notifications.md)
    assert code == 11 and "云南省妇联（fulian@530000）没有配置通知渠道" in err
    data = json.loads(out)
    assert data["dry_run"] is True
    assert [(p["receiver"], p["level"]) for p in data["planned"]] == [("minzheng@530000", "yellow")]
    assert data["unrouted"] == ["fulian@530000"] and data["sent"] == []
    code, out, _ = run("--db", db, "--config", str(cfg), "notify", "log", "--json")
    assert code == 0 and json.loads(out)["items"] == []  # a dry run writes nothing

    robot.default = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    code, out, err = run("--db", db, "--config", str(cfg), "notify", "test", "--to", "coordinator")
    assert code == 11 and "永久失败" in err and "COORDKEY" not in err
    assert "【督办·测试】" in robot.requests[0]["json"]["text"]["content"]
    code, out, _ = run("--db", db, "--config", str(cfg), "notify", "log", "--failed")
    assert code == 0 and "tag:coordinator" in out and "93000" in out and "COORDKEY" not in out

    robot.default = (200, {"errcode": 0, "errmsg": "ok"})
    code, out, _ = run("--db", db, "--config", str(cfg), "notify", "test", "--to", "minzheng")
    assert code == 0 and "成功：capture://" in out and captured[0]["to"] == "mz"
    code, _out, err = run("--db", db, "--config", str(cfg), "notify", "test", "--to", "nobody")
    assert code == 11 and "没有标签为 nobody 的通知渠道" in err


def test_cli_reports_a_bad_route_as_config_error(tmp_path: Path, db: str) -> None:
    cfg = _write_config(
        tmp_path / "duban.toml", '[[notify.routes]]\nname = "坏渠道"\nurl = "nosuch://x"\ntags = ["a"]\n'
    )
    code, _out, err = run("--db", db, "--config", str(cfg), "notify", "--dry-run")
    assert code == 3 and "坏渠道" in err and "nosuch" in err


def test_plain_function_runs_off_the_event_loop(db: str) -> None:
    """The dashboard calls run_notifications from a thread worker: it needs only a session factory."""
    import threading

    from duban.services.notifications import run_notifications
    from tests.notify.conftest import notify_config

    factory: sessionmaker = session_factory(make_engine(db))
    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(
            report=run_notifications(factory, config=notify_config([]), dry_run=True)
        )
    )
    worker.start()
    worker.join(30)
    assert result["report"].dry_run is True
