"""Routes: a catch-all ``default`` route; an unrouted receiver is a warning and exit 11; adding
``leadership`` to a department's only route never drops its digests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.notify.routes import routes_for
from duban.services.notifications import run_notifications
from duban.storage.db import make_engine, session_factory
from tests.notify.conftest import at_local, notify_config
from tests.services.workflow_scenario import build


def test_default_route_catches_receivers_no_route_names() -> None:
    config = notify_config(
        [
            {"name": "民政", "url": "capture://mz", "tags": ["minzheng"]},
            {"name": "兜底", "url": "capture://all", "tags": ["default"]},
            {"name": "协调人", "url": "capture://coord", "tags": ["coordinator"]},
        ]
    )
    names = lambda r: [x.name for x in routes_for(config.routes, r)]  # noqa: E731
    assert names("minzheng@530000") == ["民政"]
    assert names("newagency@530000") == ["兜底"]  # a new plugin's agency is not silently unrouted
    assert names("coordinator") == ["协调人"]
    assert names("minzheng@530000#leadership") == []  # leadership notices go to leadership routes only
    assert names("tag:default") == ["兜底"]


def test_leadership_on_the_only_route_keeps_the_department_digests(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    config = notify_config(
        [
            {"url": "capture://mz", "tags": ["minzheng", "leadership"]},
            {"url": "capture://fl", "tags": ["fulian"]},
            {"url": "capture://coord", "tags": ["coordinator"]},
        ]
    )
    report = run_notifications(factory, config=config, now=at_local("2026-02-02", 9))
    assert sorted(p.receiver for p in report.planned) == ["fulian@530000", "minzheng@530000"]
    assert report.unrouted == ()
    assert sorted(c["to"] for c in captured) == ["fl", "mz"]
    # with a route of its own, the department's digests go there and the leadership route keeps its role
    config2 = notify_config(
        [
            {"url": "capture://mzlead", "tags": ["minzheng", "leadership"]},
            {"url": "capture://mz", "tags": ["minzheng"]},
        ]
    )
    assert [r.url for r in config2.routes_for("minzheng@530000")] == ["capture://mz"]
    assert [r.url for r in config2.routes_for("minzheng@530000#leadership")] == ["capture://mzlead"]


def test_cli_unrouted_warns_and_exits_11_a_default_route_fixes_it(tmp_path: Path, host) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'routes.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    base = '[[notify.routes]]\nurl = "capture://mz"\ntags = ["minzheng"]\n'
    cfg.write_text(base, encoding="utf-8")
    run = CliRunner().invoke
    result = run(cli, ["--db", url, "--config", str(cfg), "notify", "--now", "2026-02-02T09:00+08:00"])
    assert result.exit_code == 11
    assert "警告：云南省妇联（fulian@530000）没有配置通知渠道" in result.stderr
    assert "default" in result.stderr
    cfg.write_text(base + '[[notify.routes]]\nurl = "capture://all"\ntags = ["default"]\n', encoding="utf-8")
    result = run(cli, ["--db", url, "--config", str(cfg), "notify", "--now", "2026-02-05T09:00+08:00"])
    assert result.exit_code == 0, result.stderr
    assert "fulian@530000" in result.stdout and "警告" not in result.stderr
