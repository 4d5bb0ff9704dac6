"""Excel (.xlsx) reader with openpyxl: every worksheet as a table, its rows as lines of the text.

Merged cells are spread over every cell they cover (a 牵头单位 cell spanning rows names the lead of each).
Numbers and dates read as the sheet shows them (``1`` not ``1.0``, ``15%``, ``2025年6月30日``). Formula
cells give the value Excel saved with the file; a formula without a saved value (a file written by a
program that does not calculate) is refused with the sheet and cell named, never read as empty.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, ReadDocument, TableBlock, hookimpl

EXPECTED = "Excel 2007 及以后的 .xlsx 文件（旧的 .xls 请先另存为 .xlsx）"
_DECIMALS = re.compile(r"0\.(0+)")


def show(value: Any, number_format: str = "General") -> str:
    """A cell's value as the sheet shows it, near enough for reading a task table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | dt.date):
        fmt = number_format.lower()
        if isinstance(value, dt.datetime) and value.time() != dt.time() and ("h" in fmt or ":" in fmt):
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        if "d" not in fmt and "m" in fmt and "y" in fmt:
            return f"{value.year}年{value.month}月"
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float):
        decimals = _DECIMALS.search(number_format)
        places = len(decimals.group(1)) if decimals else None
        if "%" in number_format:
            scaled = value * 100
            return (f"{scaled:.{places}f}" if places is not None else f"{scaled:g}") + "%"
        if places is not None:
            return f"{value:.{places}f}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return f"{value:.15g}" if isinstance(value, float) else str(value)
    return str(value)


def _render(row: list[str]) -> str:
    cells: list[str] = []
    for cell in row:
        text = " ".join(cell.split())
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return " ".join(cells)


def _uncalculated(path: Path, values: Any) -> tuple[str, str, str] | None:
    """(sheet, cell, formula) of the first formula cell without a saved value, or None."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    formulas = load_workbook(str(path), read_only=True, data_only=False)
    try:
        for ws in formulas.worksheets:
            shown = values[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) != "f":
                        continue
                    if shown.cell(row=cell.row, column=cell.column).value is None:
                        return ws.title, f"{get_column_letter(cell.column or 1)}{cell.row}", str(cell.value)
    finally:
        formulas.close()
    return None


def read_xlsx(path: Path) -> ReadDocument:
    """Each worksheet's rows as lines (cells separated by a space), sheets separated by a blank line."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(str(path), data_only=True)  # not read_only: merged ranges need the full mode
        missing = _uncalculated(path, workbook)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ParseError(f"无法作为 .xlsx 打开：{exc}", file=str(path), line=1, expected=EXPECTED) from exc
    if missing is not None:
        sheet, address, formula = missing
        raise ParseError(
            f"工作表“{sheet}”的单元格 {address} 是公式（{formula}），但文件里没有保存计算结果",
            file=str(path),
            line=1,
            expected="用 Excel 或 WPS 打开并保存过的 .xlsx（保存时会写入公式的结果），或把公式换成数值",
        )
    lines: list[str] = []
    tables: list[TableBlock] = []
    for ws in workbook.worksheets:
        grid: dict[tuple[int, int], str] = {}
        for cells in ws.iter_rows():
            for cell in cells:
                shown = show(cell.value, cell.number_format or "General").strip()
                if shown and cell.row is not None and cell.column is not None:
                    grid[(cell.row, cell.column)] = shown
        for merged in ws.merged_cells.ranges:
            text = grid.get((merged.min_row, merged.min_col), "")
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if text:
                        grid[(r, c)] = text
        if not grid:
            continue
        width = max(c for _, c in grid)
        rows: list[tuple[str, ...]] = []
        row_lines: list[int] = []
        if lines:
            lines.append("")
        for r in sorted({r for r, _ in grid}):
            texts = [grid.get((r, c), "") for c in range(1, width + 1)]
            lines.append(_render(texts))
            rows.append(tuple(texts))
            row_lines.append(len(lines))
        tables.append(TableBlock(tuple(rows), tuple(row_lines), f"工作表“{ws.title}”"))
    workbook.close()
    text = "\n".join(lines)
    if not text.strip():
        raise ParseError("工作簿里没有文字", file=str(path), line=1, expected=EXPECTED)
    return ReadDocument(text, tuple(tables))


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="xlsx", suffixes=(".xlsx", ".xlsm"), read=read_xlsx)]
