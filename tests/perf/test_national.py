"""Benchmarks on the national-scale demo database. They print ratios; they assert nothing about time.

Results and the machine are recorded in docs/performance.md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from duban.plugin_host import PluginHost
from duban.storage.db import make_engine, session_factory

AS_OF = dt.date(2026, 3, 16)


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def report(name: str, a: float, b: float, a_label: str, b_label: str) -> None:
    print(f"\n[perf] {name}: {a_label} {a * 1000:.0f} ms, {b_label} {b * 1000:.0f} ms, ratio {a / b:.2f}")


RAW_OVERDUE = """
WITH ext AS (SELECT milestone_id, MAX(new_date) AS new_due FROM extension
             WHERE state = 'approved' AND decided_on <= :d GROUP BY milestone_id),
     rep AS (SELECT milestone_id, MIN(submitted_on) AS first_on, MAX(version) AS max_version FROM report
             WHERE submitted_on <= :d AND milestone_id IS NOT NULL GROUP BY milestone_id),
     f AS (SELECT m.id, m.responsibility_id, COALESCE(ext.new_due, m.due_date) AS effective_due, rep.first_on,
                  (latest.review_state = 'returned' AND latest.reviewed_on <= :d) AS returned
           FROM milestone m LEFT JOIN ext ON ext.milestone_id = m.id LEFT JOIN rep ON rep.milestone_id = m.id
           LEFT JOIN report latest ON latest.milestone_id = m.id AND latest.version = rep.max_version
           WHERE m.withdrawn_at IS NULL),
     -- after a succession the successor holds one duty per task and jurisdiction (the stronger role)
     heirs AS (SELECT r.id, r.task_id, r.jurisdiction_code, a.successor_key AS acting, r.role, 1 AS inherited
               FROM responsibility r JOIN agency a ON a.key = r.agency_key
               WHERE a.successor_key IS NOT NULL AND a.successor_since <= :d),
     candidates AS (SELECT * FROM heirs
                    UNION ALL
                    SELECT DISTINCT o.id, o.task_id, o.jurisdiction_code, o.agency_key, o.role, 0
                    FROM responsibility o JOIN heirs h ON h.task_id = o.task_id
                      AND h.jurisdiction_code IS o.jurisdiction_code AND h.acting = o.agency_key),
     merged AS (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (
                    PARTITION BY task_id, jurisdiction_code, acting
                    ORDER BY CASE role WHEN 'lead' THEN 3 WHEN 'joint' THEN 2 ELSE 1 END DESC, inherited, id) AS rn
                  FROM candidates) WHERE rn > 1)
SELECT f.id FROM f JOIN responsibility r ON r.id = f.responsibility_id JOIN task t ON t.id = r.task_id
JOIN policy p ON p.id = t.policy_id
WHERE (r.closed_on IS NULL OR r.closed_on > :d) AND p.status = 'in_force'
  AND ((f.first_on IS NULL AND f.effective_due < :d) OR f.returned)
  AND r.id NOT IN (SELECT id FROM merged)
ORDER BY f.effective_due, f.id LIMIT 500
"""


def test_overdue_scan_vs_raw_sql(national_db: Path) -> None:
    from duban.services.status import overdue

    engine = make_engine(f"sqlite:///{national_db}")
    factory = session_factory(engine)
    with factory() as session:
        service_s, rows = best(lambda: overdue(session, as_of=AS_OF, limit=500))
        raw_s, raw = best(
            lambda: session.execute(text(RAW_OVERDUE), {"d": AS_OF.isoformat()}).scalars().all()
        )
        count = session.execute(text("SELECT count(*) FROM milestone")).scalar()
    assert [r.milestone for r in rows] == list(raw)  # the same question
    report(f"overdue scan (first 500 of {count} milestones)", service_s, raw_s, "service", "raw SQL")
    engine.dispose()


def test_assessment_for_every_county(national_db: Path) -> None:
    if importlib.util.find_spec("duban.services.assessment") is None:
        pytest.skip("duban.services.assessment is not there yet")
    from duban.config import load_settings
    from duban.services.assessment import assess

    host = PluginHost.load()
    if not any(s.name == "default" for s in host.scoring_schemes()):  # entry point not installed yet
        import duban.plugins.scoring.default

        host.register(duban.plugins.scoring.default, "scoring_default")
    config = load_settings(None).get("scoring")
    engine = make_engine(f"sqlite:///{national_db}")
    with session_factory(engine)() as session:
        counties = (
            session.execute(text("SELECT code FROM jurisdiction WHERE level = 'county' ORDER BY code"))
            .scalars()
            .all()
        )
        all_s, result = best(
            lambda: assess(
                session, actor=None, host=host, period="2025", config=config, as_of=AS_OF, evidence=False
            ),
            repeat=1,
        )
        sample = counties[:: max(1, len(counties) // 20)][:20]
        per = []
        for code in sample:
            t, _r = best(
                lambda code=code: assess(
                    session,
                    actor=None,
                    host=host,
                    period="2025",
                    config=config,
                    jurisdiction=code,
                    as_of=AS_OF,
                    evidence=False,
                ),
                repeat=1,
            )
            per.append(t)
    one = statistics.median(per)
    print(
        f"\n[perf] 考核 2025, all {len(result.departments)} departments of every jurisdiction in one call: "
        f"{all_s:.1f} s; one county: median {one * 1000:.0f} ms (×{len(counties)} counties ≈ "
        f"{one * len(counties):.0f} s); ratio loop/one-call {one * len(counties) / all_s:.1f}"
    )
    engine.dispose()


def _first_paint(url: str) -> float:
    from duban.services.identity import Actor
    from duban.tui.app import create_app

    async def run() -> float:
        t0 = time.perf_counter()
        app = create_app(engine_url=url, actor=Actor("bench", "coordinator"), today=AS_OF)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            return time.perf_counter() - t0

    return asyncio.run(run())


def test_dashboard_first_paint_vs_empty(national_db: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("duban.tui.app") is None:
        pytest.skip("duban.tui is not there yet")
    from duban.services.setup import prepare_database

    empty = tmp_path / "empty.db"
    engine = make_engine(f"sqlite:///{empty}")
    prepare_database(engine, host=PluginHost.load())
    engine.dispose()
    _first_paint(f"sqlite:///{empty}")  # warm imports
    empty_s = min(_first_paint(f"sqlite:///{empty}") for _ in range(2))
    full_s = min(_first_paint(f"sqlite:///{national_db}") for _ in range(2))
    report("dashboard first paint", full_s, empty_s, "national", "empty")


def test_cli_help_vs_python_startup() -> None:
    duban = Path(sys.executable).with_name("duban")

    def run(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t0

    bare = min(run([sys.executable, "-c", "pass"]) for _ in range(5))
    helped = min(run([str(duban), "--help"]) for _ in range(5))
    report("duban --help vs python -c pass", helped, bare, "duban --help", "python -c pass")
