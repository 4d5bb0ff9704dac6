"""PDF reader: the text layer of every page (pypdf) and the ruled tables on them (pdfplumber).

Scanned PDFs (no text layer) are refused. A page without a table reads as pypdf extracts it. On a page with
tables, pypdf's text of the table area would mix the columns, so the page is read with pdfplumber instead:
the text above, between and below the tables, and in place of each table its rows, one line per row (cells
separated by a space) — each table also becomes a TableBlock (``where``: 第 N 页). Tables are found by
their ruling lines (pdfplumber's "lines" strategy); merged cells are spread over every cell they cover.
Within a cell, wrapped lines are joined (no break between CJK characters, a space between ASCII words):
a PDF wraps a cell's text wherever the column ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, ReadDocument, TableBlock, hookimpl

EXPECTED = "带文字层的 PDF（扫描件请先做文字识别 OCR，或改用 .docx/.txt）"


def _join_wrapped(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    out = ""
    for line in lines:
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


def _grid(table: Any) -> list[list[str]]:
    """The table's cells with merged cells spread: a position no cell starts at takes the text of the
    cell whose box covers it."""
    texts = table.extract()
    boxes = [row.cells for row in table.rows]
    cells = [
        (box, _join_wrapped(texts[r][c]))
        for r, row in enumerate(boxes)
        for c, box in enumerate(row)
        if box is not None
    ]
    width = max((len(row) for row in boxes), default=0)
    xs: list[tuple[float, float] | None] = []
    for c in range(width):
        spans = [row[c] for row in boxes if c < len(row) and row[c] is not None]
        xs.append((min(b[0] for b in spans), min(b[2] for b in spans)) if spans else None)
    grid: list[list[str]] = []
    for r, row in enumerate(boxes):
        known = [b for b in row if b is not None]
        top = min(b[1] for b in known) if known else None
        bottom = min(b[3] for b in known) if known else None
        out: list[str] = []
        for c in range(width):
            if c < len(row) and row[c] is not None:
                out.append(_join_wrapped(texts[r][c]))
                continue
            x = xs[c]
            if x is None or top is None or bottom is None:
                out.append("")
                continue
            cx, cy = (x[0] + x[1]) / 2, (top + bottom) / 2
            covering = next((t for b, t in cells if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]), "")
            out.append(covering)
        grid.append(out)
    return grid


def _render(row: list[str]) -> str:
    cells: list[str] = []
    for cell in row:
        text = " ".join(cell.split())
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return " ".join(cells)


def _page_with_tables(
    page: Any, found: list[Any], number: int, first_line: int
) -> tuple[str, list[TableBlock]]:
    """The page's text with each table's rows in its place, and the tables (``first_line``: the line of the
    document where this page's text starts)."""
    found = sorted(found, key=lambda t: t.bbox[1])
    lines: list[str] = []
    blocks: list[TableBlock] = []

    def band(top: float, bottom: float) -> None:
        def inside(obj: dict[str, Any]) -> bool:
            if obj.get("object_type") != "char":
                return True
            middle = (obj["top"] + obj["bottom"]) / 2
            return top <= middle < bottom and not any(
                t.bbox[0] <= (obj["x0"] + obj["x1"]) / 2 <= t.bbox[2] and t.bbox[1] <= middle <= t.bbox[3]
                for t in found
            )

        text = page.filter(inside).extract_text() or ""
        lines.extend(text.split("\n") if text.strip() else [])

    top = 0.0
    for table in found:
        band(top, table.bbox[1])
        grid = [row for row in _grid(table) if any(cell.strip() for cell in row)]
        row_lines = []
        for row in grid:
            lines.append(_render(row))
            row_lines.append(first_line + len(lines) - 1)
        if grid:
            blocks.append(
                TableBlock(tuple(tuple(r) for r in grid), tuple(row_lines), f"第 {number} 页的表格")
            )
        top = table.bbox[3]
    band(top, float(page.height) + 1)
    return "\n".join(lines), blocks


def _tables(path: Path, pages: list[str]) -> tuple[list[str], list[TableBlock]]:
    """Replace the text of the pages that hold tables; the tables found."""
    import pdfplumber

    blocks: list[TableBlock] = []
    out = list(pages)
    with pdfplumber.open(str(path)) as pdf:
        for index, page in enumerate(pdf.pages):
            found = [t for t in page.find_tables() if len(t.rows) >= 2]
            if not found:
                continue
            first_line = sum(p.count("\n") + 1 for p in out[:index]) + index + 1  # pages joined by "\n\n"
            text, tables = _page_with_tables(page, found, index + 1, first_line)
            out[index] = text
            blocks += tables
    return out, blocks


def read_pdf(path: Path) -> ReadDocument:
    """The pages' text, pages separated by a blank line; tables in place of their text."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("PDF 已加密，无法读取", file=str(path), line=1, expected="未加密的 PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ParseError(f"无法读取 PDF：{exc}", file=str(path), line=1, expected=EXPECTED) from exc
    if not "".join(pages).strip():
        raise ParseError("PDF 没有文字层（可能是扫描件）", file=str(path), line=1, expected=EXPECTED)
    try:
        pages, tables = _tables(path, pages)
    except Exception as exc:  # pdfplumber/pdfminer raise many types: the text alone is still read
        import logging

        logging.getLogger(__name__).warning("PDF tables not read from %s: %s", path, exc)
        tables = []
    return ReadDocument("\n\n".join(pages), tuple(tables))


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="pdf", suffixes=(".pdf",), read=read_pdf)]
