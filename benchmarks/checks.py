"""What the responsibility checks add to a status question, on the national-scale demo database.

    python benchmarks/checks.py [/tmp/duban-national.db] [--as-of 2026-03-16] [--bind]

For the whole country, one province and one county, prints (best of ``--repeat``) the time of the status
counts (``status.summary``), of a first run of the checks for that day and scope (every plugin's
``duban_check_responsibility`` on every open responsibility, findings written; rolled back afterwards so that
each repetition starts cold), and of the same question asked again (the run is remembered), with the ratios
to the status counts. ``--bind`` first proposes and confirms every template binding (in a copy of the file),
so that the 台账 check has 台账 responsibilities to look at.
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from duban.plugin_host import PluginHost  # noqa: E402
from duban.services.identity import SYSTEM  # noqa: E402
from duban.services.responsibility_checks import run_responsibility_checks  # noqa: E402
from duban.services.status import Scope, summary  # noqa: E402
from duban.services.templates import confirm_binding, propose_template_bindings  # noqa: E402
from duban.storage.db import make_engine, session_factory  # noqa: E402


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def _assess(factory: Any, host: PluginHost, as_of: dt.date, repeat: int) -> None:
    """考核 2025 of every department, with the checks it now runs first and with them left out (as before)."""
    import duban.plugins.scoring.default
    from duban.config import load_settings
    from duban.services import assessment

    if not any(s.name == "default" for s in host.scoring_schemes()):
        host.register(duban.plugins.scoring.default, "scoring_default")
    config = load_settings(None).get("scoring")

    def run() -> Any:
        with factory() as s:
            try:
                return assessment.assess(
                    s, actor=None, host=host, period="2025", config=config, as_of=as_of, evidence=False
                )
            finally:
                s.rollback()

    with_s, _ = best(run, repeat)
    real = assessment.run_responsibility_checks
    assessment.run_responsibility_checks = lambda *a, **k: None  # type: ignore[assignment]
    try:
        without_s, _ = best(run, repeat)
    finally:
        assessment.run_responsibility_checks = real
    print(
        f"[perf] 考核 2025 (all departments): with the checks {with_s:.1f} s, without {without_s:.1f} s, "
        f"ratio {with_s / without_s:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", nargs="?", default="/tmp/duban-national.db")
    parser.add_argument("--as-of", default="2026-03-16")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bind", action="store_true", help="bind every proposed template first (in a copy)")
    parser.add_argument(
        "--assess", action="store_true", help="also time 考核 2025 with and without the checks"
    )
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    path = Path(args.db)
    tmp = None
    if args.bind:
        tmp = tempfile.TemporaryDirectory()
        copy = Path(tmp.name) / path.name
        shutil.copyfile(path, copy)
        path = copy
    host = PluginHost.load()
    engine = make_engine(f"sqlite:///{path}")
    factory = session_factory(engine)
    if args.bind:
        with factory() as s:
            t0 = time.perf_counter()
            result = propose_template_bindings(s, actor=SYSTEM, host=host)
            for row in result.proposed:
                confirm_binding(s, actor=SYSTEM, host=host, binding_id=row.id)
            s.commit()
            print(f"bound {len(result.proposed)} templates in {time.perf_counter() - t0:.1f} s")
    with factory() as s:
        province = "530000"
        county = s.execute(
            text(
                "SELECT code FROM jurisdiction WHERE level = 'county' AND code LIKE '53%' ORDER BY code LIMIT 1"
            )
        ).scalar_one()
    for label, scope in (
        ("全国", Scope()),
        (f"一省 {province}", Scope(jurisdiction=province)),
        (f"一县 {county}", Scope(jurisdiction=county)),
    ):
        with factory() as s:
            status_s, _ = best(lambda s=s, scope=scope: summary(s, as_of=as_of, scope=scope), args.repeat)

        def cold(scope: Scope = scope) -> Any:
            with factory() as s:
                try:
                    return run_responsibility_checks(s, host=host, as_of=as_of, scope=scope, today=as_of)
                finally:
                    s.rollback()

        cold_s, run = best(cold, args.repeat)

        def warm(scope: Scope = scope) -> tuple[float, Any]:
            with factory() as s:
                try:
                    run_responsibility_checks(s, host=host, as_of=as_of, scope=scope, today=as_of)
                    t0 = time.perf_counter()
                    again = run_responsibility_checks(s, host=host, as_of=as_of, scope=scope, today=as_of)
                    return time.perf_counter() - t0, again
                finally:
                    s.rollback()

        warm_s, again = min((warm() for _ in range(args.repeat)), key=lambda r: r[0])
        print(
            f"[perf] {label}: {run.responsibilities} responsibilities, {run.open} findings; "
            f"status counts {status_s * 1000:.0f} ms; checks first run {cold_s * 1000:.0f} ms "
            f"(×{cold_s / status_s:.2f} of status), asked again {warm_s * 1000:.1f} ms "
            f"(cached={again.cached}, ×{warm_s / status_s:.3f})"
        )
    if args.assess:
        _assess(factory, host, as_of, args.repeat)
    engine.dispose()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
