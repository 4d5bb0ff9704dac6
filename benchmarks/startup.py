"""Start-up budget (issue 20, item 5): `duban --help` and every read command on an empty database, as ratios
to `python -c pass` measured in the same run.

    python benchmarks/startup.py [--runs 9] [--keep DIR]

Builds one migrated, empty SQLite database, then times each command as a fresh process N times (the
commands and the baseline interleaved, so that a load spike on a shared machine hits both) and prints the
median of each and its ratio to the median of `python -c pass`. Targets: `--help` ≤ 3×, read commands ≤ 5×.
A benchmark, not a test: it asserts nothing (tests/cli/test_startup.py checks the import graph instead).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, arguments after ``duban``, target ratio); the read commands run against the empty database
HELP: list[tuple[str, list[str], float]] = [("--help", ["--help"], 3.0)]
READS: list[tuple[str, list[str], float]] = [
    (name, name.split(), 5.0)
    for name in (
        "status",
        "overdue",
        "policies",
        "tasks",
        "inbox",
        "findings",
        "agencies",
        "jurisdictions",
        "milestones",
        "assess list",
        "assess schemes",
        "notify log",
        "audit log",
        "user list",
        "db current",
        "plugins",
    )
]


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (the median is reported)")
    parser.add_argument("--keep", type=Path, help="build the empty database in DIR and keep it")
    parser.add_argument("--only", nargs="*", help="only these commands (labels as printed)")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="duban-startup-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "empty.db"
    # bytecode caches are written and used, as in an installed duban (any value of PYTHONDONTWRITEBYTECODE,
    # even "0", switches them off, and duban's own modules would be compiled on every run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DUBAN_DATABASE_URL"] = f"sqlite:///{db}"
    duban = [sys.executable, "-m", "duban"]
    if not db.exists():
        subprocess.run([*duban, "--db", str(db), "db", "upgrade"], env=env, check=True, capture_output=True)

    cases = HELP + READS
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    baseline_argv = [sys.executable, "-c", "pass"]
    for _label, extra, _target in cases:  # warm the bytecode caches and the page cache once
        _time([*duban, "--db", str(db), *extra], env)
    _time(baseline_argv, env)

    # the floor every database command stands on: SQLAlchemy's ORM and duban's models, imported and nothing else
    floors = {
        "import sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
        "import duban.storage.models": [sys.executable, "-c", "import duban.storage.models"],
    }
    baseline: list[float] = []
    timings: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    floor_timings: dict[str, list[float]] = {label: [] for label in floors}
    for _ in range(args.runs):
        for label, extra, _target in cases:
            baseline.append(_time(baseline_argv, env))
            timings[label].append(_time([*duban, "--db", str(db), *extra], env))
        for label, argv in floors.items():
            floor_timings[label].append(_time(argv, env))
    base = statistics.median(baseline)

    print(f"python -c pass: median {base * 1000:.0f} ms over {len(baseline)} runs")
    print(f"{'command':<16} {'median ms':>10} {'ratio':>7} {'target':>7}  verdict")
    worst = 0.0
    for label, _extra, target in cases:
        median = statistics.median(timings[label])
        ratio = median / base
        worst = max(worst, ratio / target)
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{'duban ' + label:<16} {median * 1000:>10.0f} {ratio:>7.2f} {target:>6.1f}×  {verdict}")
    print(f"worst ratio / target: {worst:.2f}")
    for label in floors:
        median = statistics.median(floor_timings[label])
        print(f"floor: python -c '{label}' {median * 1000:.0f} ms, ratio {median / base:.2f}")


if __name__ == "__main__":
    main()
