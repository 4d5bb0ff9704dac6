"""Calibrate the 考核 scheme on the demo database: score against on-time rate and against workload.

    python benchmarks/calibrate_assessment.py [--scheme default] [--period 2025] [--today 2026-01-15]
                                              [--db demo.db] [--markdown]

Builds the demo database (``duban demo``: the same seed, and a fixed "today" so that anyone gets the same
numbers) in a temporary file — or reads the one at ``--db`` — assesses ``--period`` with ``--scheme`` and
prints, for every department, its score, grade, on-time rate and workload (milestones due), then the Pearson
correlations of the score with the on-time rate and with the workload. ``--markdown`` prints the table as
docs/assessment.md shows it. The issue's targets: r(score, on-time rate) ≥ 0.8, |r(score, workload)| ≤ 0.3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from duban.config import shipped_defaults, sqlite_url  # noqa: E402
from duban.plugin_host import PluginHost  # noqa: E402
from duban.services import assessment  # noqa: E402
from duban.services.assessment_results import AssessmentResult  # noqa: E402
from duban.services.demo import build_demo  # noqa: E402
from duban.storage.db import make_engine, session_factory  # noqa: E402

#: the demo's "today" for the calibration: two weeks after the 2025 year closed
TODAY = dt.date(2026, 1, 15)


@dataclass(frozen=True)
class Row:
    agency: str
    jurisdiction: str
    score: float
    grade: str
    on_time_rate: float
    due: int


@dataclass(frozen=True)
class Calibration:
    scheme: str
    period: str
    rows: tuple[Row, ...]
    r_on_time: float  #: Pearson r of score and on-time rate
    r_workload: float  #: Pearson r of score and milestones due
    not_applicable: int  #: departments with nothing due (no score)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def assess_db(url: str, *, scheme: str, period: str) -> AssessmentResult:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            result = assessment.assess(
                session,
                actor=None,
                host=PluginHost.load(),
                period=period,
                config=shipped_defaults()["scoring"],
                scheme=scheme,
                evidence=False,
            )
            session.rollback()  # the responsibility checks' findings stay out of the demo database
            return result
    finally:
        engine.dispose()


def calibrate_result(result: AssessmentResult) -> Calibration:
    rows = tuple(
        Row(d.agency_name, d.jurisdiction_name, d.score, d.grade, d.on_time_rate, d.due)
        for d in result.departments
        if d.score is not None and d.on_time_rate is not None
    )
    return Calibration(
        result.scheme,
        result.period,
        rows,
        pearson([r.score for r in rows], [r.on_time_rate for r in rows]),
        pearson([r.score for r in rows], [float(r.due) for r in rows]),
        sum(1 for d in result.departments if d.score is None),
    )


def build_demo_db(path: Path, *, today: dt.date = TODAY) -> str:
    url = sqlite_url(path)
    engine = make_engine(url)
    try:
        build_demo(engine, host=PluginHost.load(), today=today)
    finally:
        engine.dispose()
    return url


def calibrate(
    *, db: Path | None = None, scheme: str = "default", period: str = "2025", today: dt.date = TODAY
) -> Calibration:
    """Assess the demo database (built afresh unless ``db`` is given) and correlate."""
    if db is not None:
        return calibrate_result(assess_db(sqlite_url(db), scheme=scheme, period=period))
    with tempfile.TemporaryDirectory() as tmp:
        url = build_demo_db(Path(tmp) / "demo.db", today=today)
        return calibrate_result(assess_db(url, scheme=scheme, period=period))


def markdown(cal: Calibration) -> str:
    lines = [
        "| 名次 | 部门 | 辖区 | 得分 | 等次 | 按时率 | 应报节点 |",
        "|---:|---|---|---:|---|---:|---:|",
    ]
    for i, r in enumerate(cal.rows, start=1):
        lines.append(
            f"| {i} | {r.agency} | {r.jurisdiction} | {r.score:.2f} | {r.grade} | {r.on_time_rate:.1%} | {r.due} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scheme", default="default")
    parser.add_argument("--period", default="2025")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=TODAY, help="the demo's today")
    parser.add_argument("--db", type=Path, help="an existing demo database instead of a fresh one")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    cal = calibrate(db=args.db, scheme=args.scheme, period=args.period, today=args.today)
    if args.markdown:
        print(markdown(cal))
    else:
        for r in cal.rows:
            print(
                f"{r.agency:<10}\t{r.jurisdiction:<6}\t{r.score:6.2f}\t{r.grade}\t{r.on_time_rate:6.1%}\t{r.due:4d}"
            )
    print(
        f"\nscheme {cal.scheme}, period {cal.period}: {len(cal.rows)} departments scored"
        f" ({cal.not_applicable} not applicable)"
    )
    print(f"r(score, on-time rate) = {cal.r_on_time:+.3f}   (target ≥ +0.80)")
    print(f"r(score, workload)     = {cal.r_workload:+.3f}   (target |r| ≤ 0.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
