"""Word exporter: the 考核 ranking and the charts as text pictures (bars and sparklines; no plotting library
is installed with duban), A4 ready to print. python-docx is imported when a file is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from duban.domain.scoring import result_tables, result_title
from duban.hookspecs import ExporterSpec, hookimpl
from duban.plugins.exporters import display
from duban.plugins.exporters.charts import text_charts

#: the ranking's columns in the document (keys of the 考核得分 table), the rest stay in xlsx
RANKING_KEYS = ("rank", "agency_name", "jurisdiction_name", "score", "grade", "on_time_rate")


def _table(doc: Any, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def write_docx(result: Mapping[str, Any], path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        qn("w:eastAsia"), "宋体"
    )  # Chinese in a Chinese font
    title = result_title(result)
    doc.core_properties.title = title
    doc.add_heading(title, level=1)
    scores = result_tables(result)[0]
    columns = [c for key in RANKING_KEYS for c in scores.columns if c.key == key]
    doc.add_heading(scores.title, level=2)
    _table(
        doc,
        [c.header for c in columns],
        [[display(c, row.get(c.key)) for c in columns] for row in scores.rows],
    )
    for chart_title, headers, rows in text_charts(result):
        doc.add_heading(chart_title, level=2)
        _table(doc, headers, rows)
    doc.add_paragraph(
        "图示为文字条形和迷你折线（▁ 低 … █ 高，各部门按自身最小值到最大值缩放）；数字见左侧各列。"
    )
    doc.save(str(path))


@hookimpl
def duban_register_exporters() -> list[ExporterSpec]:
    return [
        ExporterSpec(
            name="docx",
            suffix=".docx",
            write=write_docx,
            description="考核排名和图表（Word，A4 横向，可直接打印）",
        )
    ]
