"""Build (if needed) the national-scale demo database and run the benchmarks in tests/perf.

python benchmarks/national.py [/tmp/duban-national.db]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    db = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/duban-national.db")
    bindir = Path(sys.executable).parent
    if not db.exists():
        subprocess.run(
            [
                str(bindir / "duban"),
                "demo",
                "--scale",
                "national",
                "--db",
                str(db),
                "--no-open",
                "--today",
                "2026-03-16",
            ],
            check=True,
        )
    env = {**os.environ, "DUBAN_PERF": "1", "DUBAN_PERF_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/perf", "-s", "-q", "-p", "no:randomly"],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
