"""CSV exporter: the ranking (考核得分) with Chinese headers, UTF-8 with BOM so Excel opens it correctly."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from duban.domain.scoring import result_tables
from duban.hookspecs import ExporterSpec, hookimpl
from duban.plugins.exporters import display


def write_csv(result: Mapping[str, Any], path: Path) -> None:
    table = result_tables(result)[0]
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in table.columns])
        for row in table.rows:
            writer.writerow([display(c, row.get(c.key)) for c in table.columns])


@hookimpl
def duban_register_exporters() -> list[ExporterSpec]:
    return [
        ExporterSpec(name="csv", suffix=".csv", write=write_csv, description="考核排名（CSV，UTF-8 BOM）")
    ]
