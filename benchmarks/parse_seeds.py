"""Time the parser on the five seed documents.

    python benchmarks/parse_seeds.py [--repeat N]

Prints, per seed and in total, the time to read the file (bytes → text) and to parse it, per run in ms,
and the ratio parse / read. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from duban.domain.agencies import AgencyRegistry  # noqa: E402
from duban.importing import decode_bytes, parse_policy  # noqa: E402

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
KEYS = (
    "minzheng gongan sifa caizheng renshe nongye wenlv weijian tiyu fupin fuergongwei fulian canlian".split()
)


def registry() -> AgencyRegistry:
    return AgencyRegistry(
        s for k in KEYS for s in importlib.import_module(f"duban_{k}").plugin.duban_register_agencies()
    )


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="runs per seed (default 20)")
    args = parser.parse_args()
    reg = registry()
    seeds = sorted(SEEDS.glob("*.txt"))
    total_read = total_parse = 0.0
    print(f"{'seed':<28}{'chars':>7}{'tasks':>7}{'read ms':>10}{'parse ms':>10}{'ratio':>9}")
    for path in seeds:
        text = decode_bytes(path.read_bytes(), file=str(path))
        tasks = len(parse_policy(text, reg).tasks)
        read = best_of(args.repeat, lambda p=path: decode_bytes(p.read_bytes(), file=str(p)))
        parse = best_of(args.repeat, lambda t=text: parse_policy(t, reg))
        total_read += read
        total_parse += parse
        print(
            f"{path.name:<28}{len(text):>7}{tasks:>7}{read * 1e3:>10.3f}{parse * 1e3:>10.2f}{parse / read:>8.0f}×"
        )
    print(
        f"{'all five':<28}{'':>7}{'':>7}{total_read * 1e3:>10.3f}{total_parse * 1e3:>10.2f}"
        f"{total_parse / total_read:>8.0f}×"
    )
    print(f"(best of {args.repeat} runs each; registry built once)")


if __name__ == "__main__":
    main()
