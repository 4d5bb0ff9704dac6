"""Benchmarks: not part of the default run. Run them by hand on a national-scale database:

    duban demo --scale national --db /tmp/duban-national.db --no-open
    DUBAN_PERF=1 DUBAN_PERF_DB=/tmp/duban-national.db pytest tests/perf -s -q

(``pytest_addoption`` only works in the root conftest, so the switch is an environment variable.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PERF = os.environ.get("DUBAN_PERF") == "1"
DB = Path(os.environ.get("DUBAN_PERF_DB", "/tmp/duban-national.db"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PERF:
        return
    skip = pytest.mark.skip(reason="benchmark: set DUBAN_PERF=1 (and DUBAN_PERF_DB) to run")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def national_db() -> Path:
    if not DB.exists():
        pytest.skip(f"{DB} missing: build it with duban demo --scale national --db {DB} --no-open")
    return DB
