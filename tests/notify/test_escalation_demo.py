"""On the demo database (issue 19: "89 items 35–101 working days overdue produced 0 messages to the coordinator"):
the backlog is escalated with 督办单, escalated again a week later, every "已升级督办" names a real 督办单,
and the weekly report and a 催办 run through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli

TODAY = "2026-03-16"  # a Monday


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.departments
def test_demo_backlog_is_escalated_and_climbs(tmp_path: Path) -> None:
    code, _out, err = _cli("demo", "--no-open", "--db", str(tmp_path / "demo.db"), "--today", TODAY)
    assert code == 0, err
    config = str(tmp_path / "duban-demo.toml")
    code, out, _ = _cli("--config", config, "notice", "list", "--json", "--limit", "1000")
    notices = json.loads(out)["items"]
    assert code == 0 and notices, "the demo's red backlog has 督办单"
    labels = {n["label"] for n in notices}
    assert {n["color"] for n in notices} == {"yellow"}

    code, out, _ = _cli("--config", config, "notify", "log", "--json", "--limit", "1000")
    items = json.loads(out)["items"]
    to_coordinator = [i for i in items if i["key"].startswith("escalate|coordinator|")]
    assert to_coordinator and "升级督办" in to_coordinator[0]["subject"]
    # what the department digests call escalated is exactly what has a 督办单
    from duban.storage.db import make_engine, session_factory, unit_of_work
    from duban.storage.models import OutboxMessage

    with unit_of_work(session_factory(make_engine(f"sqlite:///{tmp_path / 'demo.db'}"))) as s:
        bodies = [m.body for m in s.query(OutboxMessage).filter(OutboxMessage.kind == "digest")]
    named = {m for body in bodies for m in re.findall(r"已升级督办，督办单 (督〔\d{4}〕第\d+号)", body)}
    assert named and named <= labels
    assert not any("已升级督办）" in body for body in bodies)  # never the bare claim

    # a week later (five working days), still red: the coordinator is told again and the notices turn 橙
    code, out, err = _cli("--config", config, "notify", "--now", "2026-03-23T10:00+08:00")
    assert code == 0, err  # the demo's catch-all route serves every department the named routes do not
    code, out, _ = _cli("--config", config, "notice", "list", "--json", "--limit", "1000")
    colors = {n["color"] for n in json.loads(out)["items"]}
    assert "orange" in colors

    code, out, _ = _cli(
        "--config",
        config,
        "notify",
        "report",
        "--kind",
        "weekly",
        "--as-of",
        "2026-03-23",
        "--out",
        str(tmp_path / "周报.docx"),
    )
    assert code == 0 and (tmp_path / "周报.docx").stat().st_size > 0
    code, out, err = _cli(
        "--config", config, "remind", "--agency", "minzheng", "--now", "2026-03-23T10:30+08:00"
    )
    assert code == 0, err
    assert "已生成" in out
    code, out, _ = _cli(
        "--config", config, "remind", "--agency", "minzheng", "--now", "2026-03-23T11:00+08:00"
    )
    assert code == 0 and "已生成" not in out and "今天已催办过" in out
