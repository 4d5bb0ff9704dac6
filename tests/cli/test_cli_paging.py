"""No silent caps: with more rows than a listing's default limit, the CLI says how many there are (a SQL COUNT)
and the next page continues exactly where the first stopped — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from duban.cli.main import cli
from duban.domain.schedule import milestone_key
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Jurisdiction, Milestone
from tests.services.workflow_scenario import build

EXTRA = 250  # more than the default page of duban overdue (200)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        s = build(session)  # five milestones due in the first half of 2026, none reported
        first = dt.date(2025, 1, 1)
        session.execute(
            insert(Milestone),
            [
                {
                    "key": milestone_key(s.t2.id, s.r_ga.id, f"extra-{i:03d}"),
                    "task_id": s.t2.id,
                    "responsibility_id": s.r_ga.id,
                    "period": f"extra-{i:03d}",
                    "due_date": first + dt.timedelta(days=i),
                    "effective_due_date": first + dt.timedelta(days=i),
                }
                for i in range(EXTRA)
            ],
        )
        session.commit()
    engine.dispose()
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    return db_url, config


def run(world: tuple[str, Path], *args: str) -> str:
    db_url, config = world
    result = CliRunner().invoke(cli, ["--db", db_url, "--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def sql_count(db_url: str, stmt) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(stmt).scalar_one()
    engine.dispose()
    return int(n)


def test_overdue_total_is_not_capped_and_pages_continue(world) -> None:
    total = EXTRA + 5
    first = json.loads(run(world, "overdue", "--as-of", "2026-12-31", "--json"))
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (total, 200, 0, 200)
    second = json.loads(run(world, "overdue", "--as-of", "2026-12-31", "--offset", "200", "--json"))
    assert (second["total"], second["offset"], len(second["items"])) == (total, 200, total - 200)
    ids = [r["milestone"] for r in first["items"] + second["items"]]
    assert len(set(ids)) == total == sql_count(world[0], select(func.count()).select_from(Milestone))
    dues = [r["effective_due"] for r in first["items"] + second["items"]]
    assert dues == sorted(dues)  # the second page starts where the first stopped: earliest due first

    text = run(world, "overdue", "--as-of", "2026-12-31")
    assert f"截至 2026-12-31，逾期 {total} 项" in text
    assert f"共 {total} 项，显示第 1–200 项；用 --offset 200 查看后续" in text
    assert len([line for line in text.splitlines() if line.startswith("节点#")]) == 200
    text = run(world, "overdue", "--as-of", "2026-12-31", "--offset", "200")
    assert f"共 {total} 项，显示第 201–{total} 项" in text and "查看后续" not in text
    text = run(world, "overdue", "--as-of", "2026-12-31", "--offset", "1000")
    assert f"共 {total} 项；--offset 1000 已超过末尾" in text


def test_status_lists_every_responsibility_page_by_page(world) -> None:
    data = json.loads(run(world, "status", "--as-of", "2026-12-31", "--limit", "3", "--json"))
    assert data["total"] == 4 and len(data["items"]) == 3 and data["departments"]
    rest = json.loads(
        run(world, "status", "--as-of", "2026-12-31", "--limit", "3", "--offset", "3", "--json")
    )
    ids = [r["responsibility"] for r in data["items"] + rest["items"]]
    assert len(set(ids)) == 4
    assert "责任共 4 条，显示第 1–3 条；用 --offset 3 查看后续" in run(
        world, "status", "--as-of", "2026-12-31", "--limit", "3"
    )


def test_jurisdictions_and_audit_log_page_with_sql_totals(world) -> None:
    counties = sql_count(
        world[0], select(func.count()).select_from(Jurisdiction).where(Jurisdiction.level == "county")
    )
    assert counties > 200
    first = json.loads(run(world, "jurisdictions", "--level", "county", "--json"))
    last = json.loads(
        run(world, "jurisdictions", "--level", "county", "--offset", str(counties - 5), "--json")
    )
    assert (
        first["total"] == last["total"] == counties and len(first["items"]) == 200 and len(last["items"]) == 5
    )
    assert first["items"][-1]["code"] < last["items"][0]["code"]

    events = sql_count(world[0], select(func.count()).select_from(AuditEvent))
    one = json.loads(run(world, "audit", "log", "--limit", "2", "--json"))
    two = json.loads(run(world, "audit", "log", "--limit", "2", "--offset", "2", "--json"))
    seqs = [e["seq"] for e in one["items"] + two["items"]]
    assert one["total"] == events and seqs == list(range(events, events - 4, -1))
