"""Exporters: each module is a plugin registering an ExporterSpec (entry points exporter_*).

``write(result, path)`` receives an assessment result (the plain data of ``duban assess --json``) and writes
it; the printable tables (考核得分 / 得分构成 / 扣分依据, with Chinese headers) come from
:func:`duban.domain.scoring.result_tables`, so every format shows the same columns.
"""

from __future__ import annotations

from typing import Any

from duban.domain.scoring import Column

#: columns whose empty value means 不适用 (nothing was due), never 0
NOT_APPLICABLE_KEYS = frozenset({"score", "on_time_rate"})


def display(column: Column, value: Any) -> str:
    """A cell as text (md, csv): percentages as 75.0%, 不适用 for a missing rate or score, empty for None."""
    if value is None:
        return "不适用" if column.key in NOT_APPLICABLE_KEYS else ""
    if column.kind == "percent":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
