"""Time 考核 on a synthetic national-scale database.

    python benchmarks/assess.py [--prefectures 10] [--tasks 30] [--db URL] [--repeat 3]

Builds (in a temporary SQLite file, or an empty database at ``--db``) 34 provinces with up to
``--prefectures`` of their real prefecture-level divisions each (GB/T 2260 codes, as loaded by
prepare_database), every division with one policy of ``--tasks`` tasks (a lead and two
supporting agencies each), four quarterly milestones per responsibility in 2025 and a plausible history of
reports (late ones, returned ones), approved extensions and error findings. Then times, best of ``--repeat``:

- the ranking of the whole country (facts: one GROUP BY query plus the details of the milestones behind a
  deduction, the default scheme in Python);
- the same with every evidence row (fetched page by page of responsibilities), as --json/--export/--freeze do;
- the ranking of one province.

and prints the ratios: whole country / one province against the ratio of their milestones (near 1× means the
time grows with the data, not faster), evidence / facts, and milliseconds per 10 000 milestones.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

import duban.plugins.scoring.default  # noqa: E402
from duban.config import shipped_defaults  # noqa: E402
from duban.plugin_host import PluginHost  # noqa: E402
from duban.services import assessment  # noqa: E402
from duban.services.clock import local_noon_utc  # noqa: E402
from duban.services.setup import prepare_database  # noqa: E402
from duban.storage.db import make_engine, session_factory  # noqa: E402
from duban.storage.models import (  # noqa: E402
    Extension,
    Finding,
    Jurisdiction,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
)

AGENCIES = "minzheng gongan sifa caizheng renshe nongye wenlv weijian tiyu fuergongwei fulian canlian".split()
DUES = [dt.date(2025, 1, 10), dt.date(2025, 4, 10), dt.date(2025, 7, 10), dt.date(2025, 10, 10)]


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def build(engine, host: PluginHost, prefectures: int, tasks: int) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(20250101)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        provinces = s.scalars(select(Jurisdiction.code).where(Jurisdiction.level == "province")).all()
        # the real prefecture-level divisions (GB/T 2260, loaded by prepare_database): made-up codes such as
        # 530100 would collide with them
        prefecture_codes: list[str] = []
        for p in provinces:
            prefecture_codes += s.scalars(
                select(Jurisdiction.code)
                .where(Jurisdiction.parent_code == p, Jurisdiction.level == "prefecture")
                .order_by(Jurisdiction.code)
                .limit(prefectures)
            ).all()
        jur_rows = [{"code": c} for c in prefecture_codes]
        codes = list(provinces) + [r["code"] for r in jur_rows]
        s.execute(
            insert(Policy),
            [
                {
                    "id": i + 1,
                    "title": f"{c} 关爱服务实施方案",
                    "jurisdiction_code": c,
                    "issuers": [],
                    "status": "in_force",
                }
                for i, c in enumerate(codes)
            ],
        )
        task_rows, resp_rows, ms_rows, rep_rows, ext_rows, find_rows = [], [], [], [], [], []
        tid = rid = mid = repid = 0
        for pid, code in enumerate(codes, start=1):
            for n in range(1, tasks + 1):
                tid += 1
                task_rows.append(
                    {
                        "id": tid,
                        "policy_id": pid,
                        "number": str(n),
                        "text": f"任务{n}",
                        "position": n,
                        "schedule_hints": [],
                    }
                )
                for role, agency in zip(("lead", "support", "support"), rnd.sample(AGENCIES, 3), strict=True):
                    rid += 1
                    resp_rows.append(
                        {
                            "id": rid,
                            "task_id": tid,
                            "agency_key": agency,
                            "name_as_written": agency,
                            "jurisdiction_code": code,
                            "role": role,
                            "state": "in_progress",
                            "version": 1,
                        }
                    )
                    for q, due in enumerate(DUES, start=1):
                        mid += 1
                        effective = due
                        if rnd.random() < 0.03:
                            effective = due + dt.timedelta(days=20)
                            ext_rows.append(
                                {
                                    "milestone_id": mid,
                                    "requested_by": "x",
                                    "reason": "延期",
                                    "progress": "",
                                    "new_date": effective,
                                    "state": "approved",
                                    "decided_by": "coord",
                                    "decided_on": due - dt.timedelta(days=3),
                                    "requested_at": local_noon_utc(due - dt.timedelta(days=5)),
                                }
                            )
                        ms_rows.append(
                            {
                                "id": mid,
                                "key": f"{tid}:{rid}:Q{q}",
                                "task_id": tid,
                                "responsibility_id": rid,
                                "period": f"2025-Q{q}",
                                "due_date": due,
                                "effective_due_date": effective,
                                "first_report_on": None,
                            }
                        )
                        if rnd.random() < 0.85:
                            repid += 1
                            on = (
                                effective - dt.timedelta(days=rnd.randint(0, 9))
                                if rnd.random() < 0.7
                                else effective + dt.timedelta(days=rnd.randint(1, 60))
                            )
                            ms_rows[-1]["first_report_on"] = on  # denormalised, as submit_report keeps it
                            returned = rnd.random() < 0.05
                            rep_rows.append(
                                {
                                    "id": repid,
                                    "responsibility_id": rid,
                                    "milestone_id": mid,
                                    "text": "进展",
                                    "indicators": {},
                                    "attachments": [],
                                    "submitted_by": "u",
                                    "submitted_at": local_noon_utc(on),
                                    "submitted_on": on,
                                    "review_state": "returned" if returned else "accepted",
                                    "reviewed_on": on + dt.timedelta(days=3),
                                    "version": 1,
                                    "is_current": True,
                                    "review_reason": "材料不全" if returned else None,
                                }
                            )
                            if rnd.random() < 0.02:
                                find_rows.append(
                                    {
                                        "responsibility_id": rid,
                                        "report_id": repid,
                                        "milestone_id": mid,
                                        "plugin": agency,
                                        "code": "indicator.negative",
                                        "severity": "error",
                                        "message": "人数为负",
                                        "created_at": local_noon_utc(on),
                                    }
                                )
        for model, rows in (
            (Task, task_rows),
            (Responsibility, resp_rows),
            (Milestone, ms_rows),
            (Extension, ext_rows),
            (Report, rep_rows),
            (Finding, find_rows),
        ):
            for start in range(0, len(rows), 20_000):
                s.execute(insert(model), rows[start : start + 20_000])
        s.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefectures", type=int, default=10, help="prefectures per province (default 10)")
    parser.add_argument("--tasks", type=int, default=30, help="tasks per division (default 30)")
    parser.add_argument("--db", help="an EMPTY database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='duban-bench-')}/assess.db"
    host = PluginHost.load()
    if not any(s.name == "default" for s in host.scoring_schemes()):
        host.register(duban.plugins.scoring.default, "scoring_default")
    engine = make_engine(url)
    start = time.perf_counter()
    build(engine, host, args.prefectures, args.tasks)
    built = time.perf_counter() - start
    config = shipped_defaults()["scoring"]
    with session_factory(engine)() as s:
        total = s.scalar(select(func.count()).select_from(Milestone)) or 0
        reports = s.scalar(select(func.count()).select_from(Report)) or 0
        one = (
            s.scalar(
                select(func.count())
                .select_from(Milestone)
                .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
                .where(Responsibility.jurisdiction_code == "530000")
            )
            or 1
        )

        def run(**kw):  # type: ignore[no-untyped-def]
            return assessment.assess(s, actor=None, host=host, period="2025", config=config, **kw)

        departments = len(run(evidence=False).departments)
        facts = best_of(args.repeat, lambda: run(evidence=False))
        with_evidence = best_of(args.repeat, lambda: run(evidence=True))
        evidence_rows = len(run(evidence=True).evidence)
        province = best_of(args.repeat, lambda: run(evidence=False, jurisdiction="530000"))
    engine.dispose()
    print(f"database: {url.split('://')[0]}, built in {built:.1f} s")
    print(
        f"milestones {total:,}  reports {reports:,}  departments ranked {departments:,}  "
        f"evidence rows {evidence_rows:,}"
    )
    print(f"{'':<34}{'ms':>10}{'ms / 10k milestones':>22}")
    print(f"{'whole country, facts':<34}{facts * 1e3:>10.0f}{facts * 1e3 / total * 1e4:>22.1f}")
    print(
        f"{'whole country, facts + evidence':<34}{with_evidence * 1e3:>10.0f}"
        f"{with_evidence * 1e3 / total * 1e4:>22.1f}"
    )
    print(f"{'one province (530000), facts':<34}{province * 1e3:>10.0f}{province * 1e3 / one * 1e4:>22.1f}")
    print(f"ratio country / province: time {facts / province:.1f}× for {total / one:.1f}× the milestones")
    print(f"ratio evidence / facts: {with_evidence / facts:.1f}×")


if __name__ == "__main__":
    main()
