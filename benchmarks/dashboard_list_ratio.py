"""How long the 任务 list takes to repaint after a sort, a page or a filter: national database ÷ demo database.

    python benchmarks/dashboard_list_ratio.py --national PATH [--demo PATH] [--repeat 5] [--page 100]
                                              [--today 2026-01-15]

Both databases are measured in one run, each in the real dashboard driven by Pilot: open 任务 (the first
load, which computes every task's light, is reported but not part of the ratio), then time each operation
from the key press until the new rows are painted on screen (the page line of the new page is rendered and
the loading indicator is gone). The national database is copied first (the dashboard seeds its calendar);
the demo database is built with ``duban demo`` unless given. Prints each operation's median time on both
and the ratio national/demo; the target is ≤ 2× (issue 18, item 4). The demo has 99 tasks, one page of the
screen's 100 rows: ``--page 40`` (rows per page, for both databases) gives it pages to turn. A benchmark, not a
test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from duban.plugin_host import PluginHost  # noqa: E402
from duban.services.identity import Actor  # noqa: E402
from duban.storage.db import make_engine, session_factory  # noqa: E402

#: (label, keys pressed, what the page line must say afterwards); run in this order, repeated
FILTER = "民政"
OPERATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sort (s)", ("s",)),
    ("order (o)", ("o",)),
    ("next page (])", ("right_square_bracket",)),
    ("previous page ([)", ("left_square_bracket",)),
    ("filter (/ 民政 enter)", ("slash", *FILTER, "enter")),
    ("clear filter (/ enter)", ("slash", "enter")),
)


def _rendered(app: object) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # type: ignore[attr-defined]


async def _painted(pilot: object, before: object, timeout: float) -> None:
    """Wait until the screen holds a new page and it is on screen (not merely in the widget tree)."""
    from textual.widgets import Static

    app = pilot.app  # type: ignore[attr-defined]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        # not pilot.pause: it gives up when the loop is busy for long (the first load on a national database);
        # and no busy loop, which would starve the worker threads
        await asyncio.sleep(0.002)
        screen = app.screen
        if getattr(screen, "page", before) is before or screen.query_one("#loading").display:
            continue
        info = str(screen.query_one("#page-info", Static).content)
        if info in _rendered(app):
            return
    raise TimeoutError("the list did not repaint")


async def measure(
    db: Path, host: PluginHost, today: dt.date, repeat: int, page: int
) -> tuple[float, dict[str, float]]:
    from duban.tui.app import create_app
    from duban.tui.screens import tasks

    tasks.PAGE = page

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        login = c.execute(text("SELECT name FROM app_user WHERE role = 'coordinator' LIMIT 1")).scalar()
    app = create_app(
        session_factory=session_factory(engine),
        host=host,
        actor=Actor(login or "bench", "coordinator"),
        today=today,
        start="tasks",  # 总览's own loads would run beside the list's on the national database
    )
    times: dict[str, list[float]] = {label: [] for label, _ in OPERATIONS}
    async with app.run_test(size=(160, 45)) as pilot:
        start = time.perf_counter()
        await _painted(pilot, None, 3600)
        first = time.perf_counter() - start
        for screen in app.screen_stack:  # 总览 may still be loading: measure on a quiet machine
            await screen.workers.wait_for_complete()
        for _ in range(repeat):
            for label, keys in OPERATIONS:
                if "page" in label and app.screen.total <= page:
                    continue
                before = app.screen.page
                t = time.perf_counter()
                await pilot.press(*keys)
                await _painted(pilot, before, 600)
                times[label].append(time.perf_counter() - t)
        # leave the workers nothing to do before the engine goes
        await pilot.pause(0.1)
    engine.dispose()
    return first, {label: statistics.median(ts) for label, ts in times.items() if ts}


def _build_demo(path: Path, today: dt.date) -> None:
    from click.testing import CliRunner

    from duban.cli.main import cli

    result = CliRunner().invoke(
        cli, ["--db", str(path), "demo", "--db", str(path), "--no-open", "--today", today.isoformat()]
    )
    if result.exit_code:
        raise SystemExit(result.output)


def _count(db: Path, table: str) -> int:
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        n = int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    engine.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--national", type=Path, required=True, help="the national database (copied, never written)"
    )
    parser.add_argument(
        "--demo", type=Path, help="a demo database (built in a temporary folder if not given)"
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 1, 15))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--page", type=int, default=100, help="rows per page (the screen shows 100)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="duban-list-"))
    demo = args.demo
    if demo is None:
        demo = folder / "demo.db"
        t = time.perf_counter()
        _build_demo(demo, args.today)
        print(f"built the demo database in {time.perf_counter() - t:.1f} s")
    national = folder / "national.db"
    shutil.copyfile(args.national, national)
    host = PluginHost.load()
    results: dict[str, tuple[float, dict[str, float]]] = {}
    for name, db in (("demo", demo), ("national", national)):
        results[name] = asyncio.run(measure(db, host, args.today, args.repeat, args.page))
        size: Callable[[str], int] = lambda table, db=db: _count(db, table)  # noqa: E731
        print(
            f"{name}: {size('task')} tasks, {size('responsibility')} responsibilities, {size('milestone')} milestones"
        )
    (demo_first, demo_ops), (nat_first, nat_ops) = results["demo"], results["national"]
    print(f"\n{args.page} rows per page, median of {args.repeat}")
    print(f"\n{'operation':<26}{'demo':>10}{'national':>11}{'ratio':>8}")
    print(
        f"{'first load (not rated)':<26}{demo_first * 1000:>8.0f}ms{nat_first * 1000:>9.0f}ms{nat_first / demo_first:>8.1f}"
    )
    ratios = []
    for label, _ in OPERATIONS:
        if label in demo_ops and label in nat_ops:
            ratio = nat_ops[label] / demo_ops[label]
            ratios.append(ratio)
            print(f"{label:<26}{demo_ops[label] * 1000:>8.0f}ms{nat_ops[label] * 1000:>9.0f}ms{ratio:>8.2f}")
        elif label in nat_ops:
            print(f"{label:<26}{'-':>10}{nat_ops[label] * 1000:>9.0f}ms{'-':>8}  (the demo has one page)")
    worst = max(ratios)
    print(f"\nnational/demo ratio: worst {worst:.2f}, median {statistics.median(ratios):.2f} (target ≤ 2)")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
