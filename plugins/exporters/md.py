"""Markdown exporter: title, ranking, then each department's breakdown and the evidence behind it, and the
charts as text (duban.plugins.exporters.charts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from duban.domain.scoring import Column, result_tables, result_title
from duban.hookspecs import ExporterSpec, hookimpl
from duban.plugins.exporters import display
from duban.plugins.exporters.charts import text_charts


def _cell(column: Column, value: Any) -> str:
    return display(column, value).replace("|", "\\|").replace("\n", " ")


def _table(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(c.header for c in columns) + " |",
        "|" + "|".join("---:" if c.kind != "text" else "---" for c in columns) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c, r.get(c.key)) for c in columns) + " |" for r in rows]
    return lines


def write_md(result: Mapping[str, Any], path: Path) -> None:
    scores, terms, evidence = result_tables(result)
    lines = [f"# {result_title(result)}", ""]
    if result.get("frozen"):
        f = result["frozen"]
        lines += [f"已冻结 #{f['id']}，{f['frozen_by']} 于 {f['frozen_at']}，sha256 `{f['sha256']}`", ""]
    lines += [f"## {scores.title}", "", *_table(scores.columns, scores.rows), ""]
    lines += [f"## {terms.title}", "", *_table(terms.columns, terms.rows), ""]
    lines += [f"## {evidence.title}", ""]
    lines += [*_table(evidence.columns, evidence.rows), ""] if evidence.rows else ["无扣分依据。", ""]
    for title, headers, rows in text_charts(result):
        lines += [
            f"## {title}",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "|".join("---" for _ in headers) + "|",
        ]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows] + [""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


@hookimpl
def duban_register_exporters() -> list[ExporterSpec]:
    return [
        ExporterSpec(
            name="md", suffix=".md", write=write_md, description="考核排名、得分构成和扣分依据（Markdown）"
        )
    ]
