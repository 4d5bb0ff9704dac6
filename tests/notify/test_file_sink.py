"""``file:///folder``: duban's own local sink — one JSON file per digest, idempotent, failures recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.errors import ConfigError
from duban.notify import parse_route
from duban.services.notifications import notification_log, run_notifications
from duban.storage.db import unit_of_work
from duban.storage.models import NotificationAttempt
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import build

DAY = dt.date(2026, 2, 2)


def _routes(folder: Path) -> list[dict[str, object]]:
    return [
        {"name": "民政厅收件夹", "url": f"file://{folder}/民政", "tags": ["minzheng"]},
        {"name": "妇联收件夹", "url": f"file://{folder}/妇联", "tags": ["fulian"]},
        {"url": f"file://{folder}/协调人", "tags": ["coordinator"]},
    ]


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def test_a_run_writes_one_file_per_digest_and_a_second_run_nothing_new(
    session: Session, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    build(session)
    sink = tmp_path / "通知"
    config = notify_config(_routes(sink))
    first = run_notifications(factory, config=config, as_of=DAY, now=at_local(DAY, 9))
    assert sorted(s.receiver for s in first.sent) == ["fulian@530000", "minzheng@530000"]
    assert all(s.state == "sent" for s in first.sent)
    files = _files(sink)
    assert [f.parent.name for f in files] == ["妇联", "民政"]
    record = json.loads(files[1].read_text(encoding="utf-8"))
    assert record["receiver"] == "minzheng@530000" and record["level"] == "yellow"
    assert record["level_label"] and "【督办" in record["subject"] and record["body"]
    assert record["key"] == "digest|minzheng@530000|2026-02-02|yellow" and (
        record["part"],
        record["parts"],
    ) == (1, 1)
    # the time of the attempt, read from the run's clock when the part was written (not the run's start)
    written = dt.datetime.fromisoformat(record["written_at"])
    assert at_local(DAY, 9) <= written < at_local(DAY, 9) + dt.timedelta(minutes=5)
    assert not list(sink.rglob(".*.part"))  # no temporary file left behind

    second = run_notifications(factory, config=config, as_of=DAY, now=at_local(DAY, 10))
    assert second.planned == () and second.sent == ()
    assert _files(sink) == files
    with unit_of_work(factory) as s:
        log = notification_log(s)
    assert {d.url for e in log for d in e.deliveries} == {f"file://{sink}/民政", f"file://{sink}/妇联"}
    assert all(d.ok and d.detail.startswith("已写入 ") for e in log for d in e.deliveries)


def test_an_unwritable_folder_is_a_recorded_failed_attempt(
    session: Session, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    build(session)
    sink = tmp_path / "通知"
    config = notify_config(_routes(sink))  # valid when loaded …
    sink.mkdir()
    (sink / "民政").write_text("不是文件夹", encoding="utf-8")  # … then the folder became a file
    report = run_notifications(factory, config=config, as_of=DAY, now=at_local(DAY, 9))
    states = {s.receiver: s.state for s in report.sent}
    assert states["minzheng@530000"] == "failed" and states["fulian@530000"] == "sent"
    with unit_of_work(factory) as s:
        bad = s.scalars(select(NotificationAttempt).where(NotificationAttempt.ok.is_(False))).all()
    assert len(bad) == 1 and bad[0].permanent and "无法写入通知文件夹" in (bad[0].detail or "")
    # the coordinator is told, through its own sink
    told = [json.loads(f.read_text(encoding="utf-8")) for f in _files(sink / "协调人")]
    assert [r["level"] for r in told] == ["failure"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file://relative/通知", "“relative”被当作了主机名"),
        ("file:///tmp/通知?mode=1", "不接受参数"),
        ("file://", "绝对路径"),
    ],
)
def test_bad_sink_urls_are_refused_at_load(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        parse_route({"name": "县妇联收件夹", "url": url, "tags": ["fulian"]}, 2)
    assert "notify.routes[2]（县妇联收件夹）" in str(exc.value)


def test_a_file_where_the_folder_should_be_is_refused_by_the_cli(tmp_path: Path) -> None:
    (tmp_path / "通知").write_text("", encoding="utf-8")
    config = tmp_path / "duban.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/d.db"\n\n'
        f'[[notify.routes]]\nname = "协调人收件夹"\nurl = "file://{tmp_path}/通知/协调人"\ntags = ["coordinator"]\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "init"]).exit_code == 0
    result = runner.invoke(cli, ["--config", str(config), "notify", "--dry-run"])
    assert result.exit_code == 3
    assert "notify.routes[1]（协调人收件夹）" in result.stderr and "是文件，不是文件夹" in result.stderr


def test_home_relative_sink(tmp_path: Path, isolated_home: Path) -> None:
    route = parse_route({"url": "file://~/通知", "tags": ["coordinator"]}, 1)
    assert route.is_file and not route.is_chat and route.max_bytes is None
    assert route.redacted == f"file://{Path.home()}/通知"
