"""Excel exporter: sheets 考核得分 (ranking), 得分构成 (every term) and 扣分依据 (evidence), ready to print, and
图表 (charts of the on-time rates, scores and, with ``trend``, each department's lights over the quarters).

Chinese headers in row 1 (repeated on every printed page, frozen on screen), A4 landscape fitted to the
page width, the title in the page header and page numbers in the footer.

openpyxl is imported when a workbook is written, not when the plugin is registered: every command loads
the plugins, and a read command must not pay for openpyxl (issue 20, start-up budget).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duban.domain.scoring import Table, result_tables, result_title
from duban.hookspecs import ExporterSpec, hookimpl
from duban.plugins.exporters import NOT_APPLICABLE_KEYS
from duban.plugins.exporters.charts import add_xlsx_charts

if TYPE_CHECKING:
    from openpyxl import Workbook


def _sheet(wb: Workbook, table: Table, title: str, first: bool) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    ws = wb.active if first else wb.create_sheet()
    # a new workbook's sheets are worksheets, with page-setup properties, header and footer (the stubs
    # allow None for each)
    assert isinstance(ws, Worksheet)
    fit, header, footer = ws.sheet_properties.pageSetUpPr, ws.oddHeader, ws.oddFooter
    assert fit is not None and header is not None and footer is not None
    ws.title = table.title
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=col, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = column.width
    for r, row in enumerate(table.rows, start=2):
        for col, column in enumerate(table.columns, start=1):
            value = row.get(column.key)
            if value is None and column.key in NOT_APPLICABLE_KEYS and table.title == "考核得分":
                value = "不适用"
            data = ws.cell(row=r, column=col, value=value)
            data.border = border
            if column.kind == "percent":
                data.number_format = "0.0%"
            elif column.kind == "number" and isinstance(value, float):
                data.number_format = "0.00"
            data.alignment = Alignment(vertical="top", wrap_text=column.kind == "text")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    fit.fitToPage = True
    ws.print_options.gridLines = False
    header.center.text = f"{title} — {table.title}"
    footer.center.text = "第 &P 页，共 &N 页"
    if table.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


def write_xlsx(result: Mapping[str, Any], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    title = result_title(result)
    for i, table in enumerate(result_tables(result)):
        _sheet(wb, table, title, first=i == 0)
    add_xlsx_charts(wb, result)
    wb.properties.title = title
    wb.save(Path(path))


@hookimpl
def duban_register_exporters() -> list[ExporterSpec]:
    return [
        ExporterSpec(
            name="xlsx",
            suffix=".xlsx",
            write=write_xlsx,
            description="考核得分、得分构成、扣分依据三张工作表和图表（Excel，可直接打印）",
        )
    ]
