"""Peak memory of `duban assess --json` (issue 20, item 4), measured with tracemalloc, on one or more databases.

    python benchmarks/assess_memory.py DB [DB ...] [--period 2025]

For each database (a SQLite file built by `duban demo`, or by `duban demo --scale national`, possibly for a few
provinces) it measures, each in a fresh tracemalloc window:

- service: `assess()` with its evidence (what every JSON output needs to hold);
- json (whole): the service plus the JSON the way the CLI printed it before, `json.dumps(to_jsonable(result))`;
- json (streamed): the service plus `duban.cli.state.iter_json`, written to /dev/null piece by piece;

and prints the rows (departments, evidence rows), the peaks in MB and the streamed/whole ratio. A benchmark: it
asserts nothing. Python allocations only (tracemalloc does not see SQLite's own page cache).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duban.cli.state import iter_json  # noqa: E402
from duban.config import shipped_defaults  # noqa: E402
from duban.domain.jsonable import to_jsonable  # noqa: E402
from duban.plugin_host import PluginHost  # noqa: E402
from duban.services.assessment import assess  # noqa: E402
from duban.storage.db import make_engine, read_only_session  # noqa: E402


def peak(work: Callable[[], Any]) -> tuple[float, Any]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        value = work()
        _current, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top / 2**20, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs="+", type=Path)
    parser.add_argument("--period", default="2025")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    host = PluginHost.load()
    config = shipped_defaults().get("scoring", {})

    print(
        f"{'database':<28} {'departments':>11} {'evidence':>9} {'service MB':>10} {'whole MB':>9} "
        f"{'streamed MB':>11} {'ratio':>6}"
    )
    for db in args.databases:
        engine = make_engine(f"sqlite:///{db}")

        def run(engine: Any = engine) -> Any:
            with read_only_session(engine) as session:
                return assess(
                    session, actor=None, host=host, period=args.period, config=config, as_of=args.as_of
                )

        run()  # warm up: plugin fingerprints, calendars and imports are not the result's memory
        service_mb, result = peak(run)

        def whole(engine: Any = engine) -> int:
            r = run(engine)
            return len(json.dumps(to_jsonable(r), ensure_ascii=False, indent=2))

        def streamed(engine: Any = engine) -> int:
            r = run(engine)
            n = 0
            with open(os.devnull, "w", encoding="utf-8") as sink:
                for chunk in iter_json(r):
                    sink.write(chunk)
                    n += len(chunk)
            return n

        whole_mb, n_whole = peak(whole)
        streamed_mb, n_streamed = peak(streamed)
        assert n_whole + 1 == n_streamed + 1, "the streamed JSON differs in length from the whole one"
        engine.dispose()
        print(
            f"{db.name:<28} {len(result.departments):>11} {len(result.evidence):>9} {service_mb:>10.1f} "
            f"{whole_mb:>9.1f} {streamed_mb:>11.1f} {streamed_mb / whole_mb:>6.2f}"
        )


if __name__ == "__main__":
    main()
