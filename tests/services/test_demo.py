"""duban demo: a reproducible demo database from the five seeds, and it never overwrites real data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli

TODAY = "2026-03-16"


def demo(tmp_path: Path, name: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        ["demo", "--db", str(tmp_path / name), "--no-open", "--today", TODAY, "--json", *extra],
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.departments
def test_demo_is_reproducible_and_rich(tmp_path: Path) -> None:
    code, out, err = demo(tmp_path, "a.db")
    assert code == 0, err
    first = json.loads(out)
    assert [p["doc_number"] for p in first["policies"]] == [
        "民发〔2019〕86号",
        None,
        "云民发〔2020〕8号",
        "吉民发〔2020〕28号",
        None,
    ]
    assert first["reports"] > 1000 and first["returned"] > 10 and first["extensions"] > 5
    code, out, _ = demo(tmp_path, "b.db")
    second = json.loads(out)
    assert {k: v for k, v in first.items() if k != "path"} == {k: v for k, v in second.items() if k != "path"}

    runner = CliRunner()
    status = json.loads(
        runner.invoke(cli, ["--db", str(tmp_path / "a.db"), "status", "--as-of", TODAY, "--json"]).stdout
    )
    assert status["tasks"]["red"] > 0 and status["tasks"]["green"] > 0
    verify = runner.invoke(cli, ["--db", str(tmp_path / "a.db"), "audit", "verify"])
    assert verify.exit_code == 0, verify.stdout

    code, out, _ = demo(tmp_path, "a.db", "--seed", "7")  # a demo database may be rebuilt
    assert code == 0 and json.loads(out)["reports"] != first["reports"]


def test_demo_refuses_to_overwrite_a_real_database(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    assert CliRunner().invoke(cli, ["--db", str(real), "init"]).exit_code == 0
    size = real.stat().st_size
    code, _out, err = demo(tmp_path, "real.db")
    assert code == 9 and "不是演示数据库" in err
    assert real.stat().st_size == size
    other = tmp_path / "notes.db"
    other.write_text("不是数据库", encoding="utf-8")
    code, _out, err = demo(tmp_path, "notes.db")
    assert code == 9 and other.read_text(encoding="utf-8") == "不是数据库"


@pytest.mark.departments
def test_demo_default_location_is_the_configured_database(tmp_path: Path, isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--no-open", "--today", TODAY], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (isolated_home / "xdg-data" / "duban" / "duban.db").exists()
    assert dt.date.fromisoformat(TODAY).year == 2026


# --------------------------------------------------------------------------- the loop, end to end


def _build(folder: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["demo", "--no-open", "--db", str(folder / "demo.db"), "--today", TODAY, *extra]
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.departments
def test_demo_exercises_the_whole_loop(tmp_path: Path) -> None:
    """Open decisions, unsigned duties, a closed task and notifications in the demo's own sink folder."""
    from sqlalchemy import func, select

    from duban.storage.db import make_engine, session_factory
    from duban.storage.models import Extension, Report, Responsibility

    summary = json.loads(_build(tmp_path, "--json"))
    assert summary["awaiting_review"] >= 1 and summary["awaiting_decision"] >= 1 and summary["unsigned"] >= 1
    assert summary["closed_tasks"] and summary["closed"] >= 2
    assert summary["config"] == str(tmp_path / "duban-demo.toml")
    assert summary["sink"] == str(tmp_path / "通知") and summary["notify_day"] == "2026-03-16"
    files = sorted((tmp_path / "通知").rglob("*.json"))
    assert summary["messages"] == summary["files"] == len(files) > 0
    coordinator = [
        json.loads(f.read_text(encoding="utf-8")) for f in (tmp_path / "通知").glob("妇儿工委办*/*.json")
    ]
    assert {r["receiver"] for r in coordinator} == {"coordinator"}
    assert any(r["level"] == "done" for r in coordinator)  # the closed task's 办结, told to the coordinator
    assert any(
        f.parent.name.endswith("厅") or f.parent.name.endswith("妇联") for f in files
    )  # and departments

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with session_factory(engine)() as s:
        waiting = s.scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.review_state == "submitted", Report.is_current)
        )
        assert waiting == summary["awaiting_review"]
        assert s.scalar(select(func.count()).select_from(Extension).where(Extension.state == "pending")) == 3
        for task_id in summary["closed_tasks"]:
            duties = s.scalars(select(Responsibility).where(Responsibility.task_id == task_id)).all()
            assert len(duties) >= 2 and any(d.role == "lead" for d in duties)
            assert all(d.state == "closed" and d.closed_on == dt.date(2026, 3, 9) for d in duties)
    engine.dispose()

    again = json.loads(_build(tmp_path, "--json"))  # rebuilt in the same folder: the sink starts afresh
    assert {k: v for k, v in again.items() if k != "path"} == {
        k: v for k, v in summary.items() if k != "path"
    }
    assert sorted((tmp_path / "通知").rglob("*.json")) == files


@pytest.mark.departments
def test_demo_binds_templates_and_its_reports_carry_indicators_and_findings(tmp_path: Path) -> None:
    """The demo confirms every proposed template binding (as ``template propose`` + ``confirm --all``); the
    reports of a bound task carry its template's indicators and go through the agencies' checks."""
    from sqlalchemy import func, select

    import duban.services.demo as demo_service
    from duban.domain.vocabulary import BindingState
    from duban.plugin_host import PluginHost
    from duban.storage.db import make_engine, session_factory
    from duban.storage.models import Finding, Report, Responsibility, TemplateBinding

    engine = make_engine(f"sqlite:///{tmp_path / 'bound.db'}")
    summary = demo_service.build_demo(
        engine, host=PluginHost.load(), today=dt.date.fromisoformat(TODAY), login="演示协调人"
    )
    with session_factory(engine)() as s:
        confirmed = s.execute(
            select(TemplateBinding.task_id, TemplateBinding.agency_key, TemplateBinding.template_key).where(
                TemplateBinding.state == BindingState.CONFIRMED
            )
        ).all()
        assert summary.bound_tasks == len({task for task, _agency, _template in confirmed}) > 0
        ledger_tasks = {(task, agency) for task, agency, key in confirmed if key == "minzheng.ledger"}
        assert ledger_tasks, "the 台账 duty of 民发〔2019〕86号 binds to minzheng.ledger"
        ledger = [
            r
            for r, task, agency in s.execute(
                select(Report, Responsibility.task_id, Responsibility.agency_key)
                .join(Responsibility, Responsibility.id == Report.responsibility_id)
                .where(Report.milestone_id.is_not(None))
            )
            if (task, agency) in ledger_tasks
        ]
        assert ledger and all("minzheng.ledger_total" in r.indicators for r in ledger)
        assert all(
            r.indicators["minzheng.ledger_low_income"] <= r.indicators["minzheng.ledger_total"]
            for r in ledger
        )
        bound_pairs = {(task, agency) for task, agency, _key in confirmed}
        unbound = [
            r
            for r, task, agency in s.execute(
                select(Report, Responsibility.task_id, Responsibility.agency_key)
                .join(Responsibility, Responsibility.id == Report.responsibility_id)
                .limit(500)
            )
            if (task, agency) not in bound_pairs
        ]
        assert unbound and all(r.indicators == {} for r in unbound)
        stored = s.scalar(select(func.count()).select_from(Finding).where(Finding.report_id.is_not(None)))
        assert summary.findings == stored and stored > 0
    engine.dispose()


@pytest.mark.departments
def test_demo_cli_inbox_notify_log_and_dashboard(tmp_path: Path) -> None:
    """The printed summary names the config and the sink; the config drives inbox, notify log, dashboard."""
    out = _build(tmp_path)
    config = tmp_path / "duban-demo.toml"
    assert f"演示配置：{config}" in out and f"通知文件夹：{tmp_path / '通知'}" in out
    assert f"duban --config {config} inbox" in out and f"duban --config {config} notify" in out
    assert "复核报送 6 份，审批延期 3 个" in out

    runner = CliRunner()
    inbox = json.loads(runner.invoke(cli, ["--config", str(config), "inbox", "--json"]).stdout)
    assert inbox["role"] == "coordinator"
    assert (
        inbox["counts"]["review"] >= 1
        and inbox["counts"]["extension"] >= 1
        and inbox["counts"]["unsigned"] >= 1
    )
    kinds = [item["kind"] for item in inbox["items"]]
    assert kinds.index("review") < kinds.index("extension") < kinds.index("unsigned")

    log = json.loads(runner.invoke(cli, ["--config", str(config), "notify", "log", "--json"]).stdout)
    assert log["total"] > 0 and all(item["state"] == "sent" for item in log["items"])
    assert all(
        d["ok"] and d["url"].startswith(f"file://{tmp_path / '通知'}")
        for i in log["items"]
        for d in i["deliveries"]
    )

    _dashboard_shows_the_closed_task(tmp_path / "demo.db")


def _dashboard_shows_the_closed_task(db: Path) -> None:
    import asyncio

    from sqlalchemy import select
    from textual.widgets import DataTable, Input

    from duban.plugin_host import PluginHost
    from duban.services.identity import Actor, os_login
    from duban.storage.db import make_engine, session_factory
    from duban.storage.models import AppMeta, AuditEvent, Task
    from duban.tui.app import create_app
    from duban.tui.screens.tasks import TasksScreen
    from tests.tui.helpers import rows, screen_text, settle

    engine = make_engine(f"sqlite:///{db}")
    factory = session_factory(engine)
    with factory() as s:
        assert s.get(AppMeta, "demo") is not None
        closed = s.scalar(select(AuditEvent.after).where(AuditEvent.action == "demo.generate"))[
            "closed_tasks"
        ]
        task = s.get(Task, closed[0])
        assert task is not None
        words = task.text[:8]

    async def drive() -> None:
        app = create_app(
            session_factory=factory,
            host=PluginHost.load(),
            actor=Actor(os_login(), "coordinator"),
            today=dt.date.fromisoformat(TODAY),
            start="tasks",
        )
        async with app.run_test(size=(150, 45)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, TasksScreen)
            await pilot.press("slash")
            assert app.screen.focused is app.screen.query_one("#filter", Input)
            await pilot.press(*words, "enter")
            await settle(pilot)
            table = app.screen.query_one("#tasks", DataTable)
            shown = dict(zip([str(k.value) for k in table.rows], rows(table), strict=True))
            assert "结" in shown[str(closed[0])][0]  # the light column: 已办结
            app.open_task(closed[0])
            await settle(pilot)
            detail = app.screen.detail().data
            assert detail is not None and {r.state for r in detail.responsibilities} == {"closed"}
            assert {r.light for r in detail.responsibilities} == {"done"}
            assert "已办结" in screen_text(app)

    try:
        asyncio.run(drive())
    finally:
        engine.dispose()
