"""Word (.docx) reader with python-docx: paragraphs and tables in document order, tables also as TableBlocks.

The text is read from the document's XML itself, not from python-docx's ``paragraph.text``, which drops
tracked insertions (``w:ins``) and content controls (``w:sdt``): text inside both is read, deleted text
(``w:del``, ``w:moveFrom``) is not — the document as it reads with every change accepted.

Tables: merged cells are spread over every cell they cover, across (``w:gridSpan``) and down
(``w:vMerge``), so a 牵头单位 cell spanning three rows names the lead of each. A table nested in a cell is
flattened into that cell's text (one line per row); a table of one cell only (a layout frame around the
content) is read as the content itself.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, ReadDocument, TableBlock, hookimpl

EXPECTED = "Word 2007 及以后的 .docx 文件（旧的 .doc 请先另存为 .docx）"

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = {W + "del", W + "moveFrom", W + "delText", W + "instrText", W + "rPr", W + "pPr", MC + "Fallback"}
_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo", W + "smartTag"}


def _unwrap(element: Any) -> Iterator[Any]:
    """The children of ``element``, with content controls and tracked-insertion wrappers opened."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP or tag == W + "sdtPr" or tag == W + "sdtEndPr":
            continue
        if tag in _WRAPPERS:
            yield from _unwrap(child)
        else:
            yield child


def paragraph_text(p: Any) -> str:
    """The text of a ``w:p`` (or any run container): runs, tracked insertions, content controls, hyperlinks
    and fields; tabs as a tab, line breaks as a newline; deleted text skipped."""
    parts: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag == W + "p":  # a paragraph of a text box inside this one
                parts.append("\n")
                walk(child)
            else:
                walk(child)

    walk(p)
    return "".join(parts)


def _int(element: Any, name: str, default: int) -> int:
    if element is None:
        return default
    value = element.get(W + name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _cell_text(tc: Any) -> str:
    """A cell's paragraphs (and nested tables, one line per row) joined by newlines."""
    lines: list[str] = []
    for child in _unwrap(tc):
        if child.tag == W + "p":
            lines.append(paragraph_text(child))
        elif child.tag == W + "tbl":
            for row in _grid(child):
                lines.append(_render(row))
    return "\n".join(line.strip() for line in lines if line.strip())


def _grid(tbl: Any) -> list[list[str]]:
    """The table's cell texts on its grid, merged cells spread, deleted rows left out."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}  # grid column -> text of the cell a vertical merge continues
    for tr in _unwrap(tbl):
        if tr.tag != W + "tr":
            continue
        tr_pr = tr.find(W + "trPr")
        if tr_pr is not None and tr_pr.find(W + "del") is not None:
            continue  # a row deleted with track changes
        row: list[str] = []
        before = tr_pr.find(W + "gridBefore") if tr_pr is not None else None
        row += [""] * _int(before, "val", 0)
        for tc in _unwrap(tr):
            if tc.tag != W + "tc":
                continue
            tc_pr = tc.find(W + "tcPr")
            span = _int(tc_pr.find(W + "gridSpan") if tc_pr is not None else None, "val", 1)
            merge = tc_pr.find(W + "vMerge") if tc_pr is not None else None
            column = len(row)
            if merge is not None and merge.get(W + "val", "continue") == "continue":
                text = above.get(column, "")
            else:
                text = _cell_text(tc)
            for offset in range(max(1, span)):
                above[column + offset] = text
            row += [text] * max(1, span)
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _render(row: list[str]) -> str:
    """A row as one line: cells separated by a space, a cell merged across columns once."""
    cells: list[str] = []
    for cell in row:
        text = " ".join(cell.split())
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return " ".join(cells)


class _Reader:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tables: list[TableBlock] = []

    def block(self, container: Any) -> None:
        for child in _unwrap(container):
            if child.tag == W + "p":
                self.lines += paragraph_text(child).split("\n")
            elif child.tag == W + "tbl":
                self.table(child)

    def table(self, tbl: Any) -> None:
        cells = [tc for tr in _unwrap(tbl) if tr.tag == W + "tr" for tc in _unwrap(tr) if tc.tag == W + "tc"]
        if len(cells) == 1:  # a frame around the content: read what is inside
            self.block(cells[0])
            return
        rows = _grid(tbl)
        if not rows:
            return
        row_lines: list[int] = []
        for row in rows:
            self.lines.append(_render(row))
            row_lines.append(len(self.lines))
        where = f"第 {len(self.tables) + 1} 张表"
        self.tables.append(TableBlock(tuple(tuple(r) for r in rows), tuple(row_lines), where))


def read_docx(path: Path) -> ReadDocument:
    """Paragraph texts, one per line; a table row becomes one line of its cells separated by spaces."""
    import docx  # python-docx; imported here so that listing plugins stays fast
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(f"无法作为 .docx 打开：{exc}", file=str(path), line=1, expected=EXPECTED) from exc
    reader = _Reader()
    reader.block(document.element.body)
    text = "\n".join(reader.lines)
    if not text.strip():
        raise ParseError("文档里没有文字", file=str(path), line=1, expected=EXPECTED)
    return ReadDocument(text, tuple(reader.tables))


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="docx", suffixes=(".docx",), read=read_docx)]
