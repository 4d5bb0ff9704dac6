"""How long the dashboard's first screen takes on a large database, as ratios to an empty one.

    python benchmarks/dashboard_first_paint.py [--responsibilities 100000] [--keep DIR]

Builds two SQLite databases (migrated; one empty, one with N responsibilities in 20-task policies, four
quarterly milestones each and a report on about half of them), then for each runs the dashboard headless
and prints the time until (a) the first screen is mounted, (b) 总览 shows its counts, (c) 任务 shows its
first page. A benchmark, not a test: it asserts nothing. The target is about a second for (b) at 100k.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from duban.plugin_host import PluginHost  # noqa: E402
from duban.services.identity import Actor  # noqa: E402
from duban.services.setup import prepare_database  # noqa: E402
from duban.storage.db import make_engine, session_factory  # noqa: E402
from duban.storage.models import Milestone, Policy, Report, Responsibility, Task  # noqa: E402

TODAY = dt.date(2026, 5, 15)
AGENCIES = ("minzheng", "fulian", "gongan", "sifa", "renshe", "nongye", "weijian", "caizheng")
DUES = (dt.date(2025, 10, 10), dt.date(2026, 1, 9), dt.date(2026, 4, 9), dt.date(2026, 7, 9))
TEXT = "开展“巾帼家政”培训——组织农村留守妇女参加职业技能培训，提升就业创业能力…"


def build(path: Path, host: PluginHost, responsibilities: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    prepare_database(engine, host=host)
    if responsibilities:
        tasks_per_policy, per_task = 20, 3
        n_tasks = max(1, responsibilities // per_task)
        with session_factory(engine)() as s:
            n_policies = max(1, n_tasks // tasks_per_policy)
            s.execute(
                insert(Policy),
                [
                    {
                        "id": p + 1,
                        "doc_number": f"测民发〔2026〕{p + 1}号",
                        "title": f"关于加强农村留守妇女关爱服务工作的实施意见（{p + 1}）",
                        "issuers": [],
                        "jurisdiction_code": "530000",
                        "level": "province",
                        "issued": dt.date(2025, 7, 1),
                        "status": "in_force",
                        "imported_at": dt.datetime.now(dt.UTC),
                    }
                    for p in range(n_policies)
                ],
            )
            s.execute(
                insert(Task),
                [
                    {
                        "id": t + 1,
                        "policy_id": t % n_policies + 1,
                        "number": str(t // n_policies + 1),
                        "text": f"{TEXT}（{t + 1}）",
                        "position": t // n_policies + 1,
                        "schedule_hints": [],
                    }
                    for t in range(n_tasks)
                ],
            )
            resp_rows, ms_rows, rep_rows = [], [], []
            rid = mid = 0
            for t in range(n_tasks):
                for k in range(per_task):
                    rid += 1
                    resp_rows.append(
                        {
                            "id": rid,
                            "task_id": t + 1,
                            "agency_key": AGENCIES[(t + k) % len(AGENCIES)],
                            "name_as_written": "省民政厅",
                            "jurisdiction_code": "530000",
                            "role": ("lead", "support", "support")[k],
                            "state": "assigned",
                            "version": 1,
                        }
                    )
                    for q, due in enumerate(DUES):
                        mid += 1
                        reported = bool((rid + q) % 2) and due < TODAY
                        ms_rows.append(
                            {
                                "id": mid,
                                "key": f"{t + 1}:{rid}:{q}",
                                "task_id": t + 1,
                                "responsibility_id": rid,
                                "period": f"Q{q}",
                                "due_date": due,
                                "effective_due_date": due,  # bulk inserts set the denormalised day
                                "first_report_on": due - dt.timedelta(days=2) if reported else None,
                            }
                        )
                        if reported:
                            rep_rows.append(
                                {
                                    "responsibility_id": rid,
                                    "milestone_id": mid,
                                    "text": "已完成",
                                    "indicators": {},
                                    "attachments": [],
                                    "submitted_by": "bench",
                                    "submitted_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                    "submitted_on": due - dt.timedelta(days=2),
                                    "review_state": "accepted",
                                    "version": 1,
                                    "is_current": True,
                                }
                            )
            for table, rows in ((Responsibility, resp_rows), (Milestone, ms_rows), (Report, rep_rows)):
                for i in range(0, len(rows), 20000):
                    s.execute(insert(table), rows[i : i + 20000])
            s.commit()
    engine.dispose()


async def measure(path: Path, host: PluginHost) -> tuple[float, float, float]:
    from textual.widgets import Static

    from duban.tui.app import create_app

    engine = make_engine(f"sqlite:///{path}")
    start = time.perf_counter()
    app = create_app(
        session_factory=session_factory(engine), host=host, actor=Actor("bench", "coordinator"), today=TODAY
    )
    mounted = counts = tasks = 0.0
    async with app.run_test(size=(140, 45)) as pilot:
        while not counts:
            await pilot.pause(0.01)
            screen = app.screen
            if not mounted and screen.query("#counts"):
                mounted = time.perf_counter() - start
            if screen.query("#counts") and "截至" in str(screen.query_one("#counts", Static).content):
                counts = time.perf_counter() - start
        switched = time.perf_counter()
        await pilot.press("2")
        while True:
            await pilot.pause(0.01)
            info = app.screen.query("#page-info")
            if info and "共" in str(info.first(Static).content):
                tasks = time.perf_counter() - switched
                break
    engine.dispose()
    return mounted, counts, tasks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--responsibilities", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    args = parser.parse_args()
    host = PluginHost.load()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="duban-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    empty, large = folder / "empty.db", folder / f"large-{args.responsibilities}.db"
    for path, n in ((empty, 0), (large, args.responsibilities)):
        if not path.exists():
            t = time.perf_counter()
            build(path, host, n)
            print(f"built {path.name} ({n} responsibilities) in {time.perf_counter() - t:.1f} s")
    base = asyncio.run(measure(empty, host))
    big = asyncio.run(measure(large, host))
    from duban.tui.text import pad

    print(f"{pad('', 28)}{'empty':>10}{'large':>10}{'ratio':>8}")
    for label, a, b in zip(
        ("first screen mounted", "总览 counts shown", "任务 first page shown"), base, big, strict=True
    ):
        print(f"{pad(label, 28)}{a:>9.2f}s{b:>9.2f}s{b / a if a else float('nan'):>8.1f}")


if __name__ == "__main__":
    main()
