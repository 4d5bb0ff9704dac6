"""Web page (.html/.htm) reader with the standard library's html.parser: the visible text and the tables.

Government sites publish most 任务分工 as web pages. The page's visible text becomes lines: block elements
(p, div, br, li, h1-h6, tr …) break lines, script/style/head and hidden elements are dropped, entities are
decoded. The encoding comes from a BOM, else the page's ``<meta charset>`` (gb2312/gbk read as GB18030),
else UTF-8 with GB18030 as the fallback (duban.importing.decode).

Tables: a table that holds no other table is a data table: its rows become lines (cells separated by a
space) and a TableBlock, rowspan/colspan spread over every cell they cover. A table that holds other tables
is page layout: its cells are read as ordinary blocks.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, ReadDocument, TableBlock, hookimpl
from duban.importing.decode import decode_bytes

EXPECTED = "网页文件（.html/.htm，UTF-8 或 GB18030/GBK 编码）"

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
_DROP = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object", "select", "button"}
_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
}
#: an open element that a new start tag closes implicitly (HTML's optional end tags)
_CLOSES = {
    "p": {"p"},
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "thead": {"tbody", "thead", "tfoot", "tr", "td", "th"},
    "tbody": {"tbody", "thead", "tfoot", "tr", "td", "th"},
    "tfoot": {"tbody", "thead", "tfoot", "tr", "td", "th"},
}
_MAX_DEPTH = 200
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SOURCE_WRAP = re.compile(r"(?<=[^\x00-\x7f])[ \t\r]*\n\s*(?=[^\x00-\x7f])")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """A forgiving tree: optional end tags closed implicitly, stray end tags ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def _close_to(self, index: int) -> None:
        del self.stack[index:]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        closes = _CLOSES.get(tag)
        if closes:
            # close the implied element, but never beyond the nearest table (a table inside a cell)
            for i in range(len(self.stack) - 1, 0, -1):
                open_tag = self.stack[i].tag
                if open_tag == "table":
                    break
                if open_tag in closes:
                    self._close_to(i)
                    break
        if tag in _BLOCK and tag != "p":
            # a block start closes an open <p> (not across a table cell)
            for i in range(len(self.stack) - 1, 0, -1):
                if self.stack[i].tag in ("td", "th", "table", "li", "div"):
                    break
                if self.stack[i].tag == "p":
                    self._close_to(i)
                    break
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID and (len(self.stack) < _MAX_DEPTH or tag in _BLOCK):
            # thousands of unclosed <font> on a broken page: inline tags stop nesting (their text stays)
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[i].tag
            if open_tag == tag:
                self._close_to(i)
                return
            if open_tag == "table" and tag in ("td", "th", "tr", "tbody", "thead", "tfoot"):
                return  # a stray cell end inside a nested table: ignore

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _hidden(node: Node) -> bool:
    return node.tag in _DROP or "hidden" in node.attrs or bool(_HIDDEN.search(node.attrs.get("style", "")))


def _has_table(node: Node) -> bool:
    return any(isinstance(c, Node) and (c.tag == "table" or _has_table(c)) for c in node.children)


def _span(node: Node, name: str) -> int:
    try:
        return max(1, min(int(node.attrs.get(name, "1").strip() or 1), 1000))
    except ValueError:
        return 1


class _Reader:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current = ""
        self.tables: list[TableBlock] = []

    def _break(self) -> None:
        # a line break of the page's source between two CJK characters is no space on screen
        line = _SOURCE_WRAP.sub("", self.current)
        line = " ".join(line.replace("\xa0", " ").replace("\u3000", " ").split())
        if line:
            self.lines.append(line)
        self.current = ""

    def block(self, node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.current += child
                continue
            if _hidden(child):
                continue
            if child.tag == "br":
                self._break()
            elif child.tag == "table" and not _has_table(child):
                self._break()
                self.table(child)
            elif child.tag in _BLOCK:
                self._break()
                self.block(child)
                self._break()
            else:
                self.block(child)

    def table(self, table: Node) -> None:
        rows: list[list[str]] = []
        pending: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text) from a rowspan
        for tr in _rows(table):
            row: list[str] = []
            for cell in (c for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")):
                _fill(row, pending)
                text = _cell_text(cell)
                rowspan, colspan = _span(cell, "rowspan"), _span(cell, "colspan")
                for _ in range(colspan):
                    if rowspan > 1:
                        pending[len(row)] = (rowspan, text)
                    row.append(text)
            _fill(row, pending)
            for column in sorted(c for c in pending if c >= len(row)):  # covered beyond the last cell
                row += [""] * (column - len(row))
                _fill(row, pending)
            for column, (left, text) in list(pending.items()):
                if left <= 1:
                    del pending[column]
                else:
                    pending[column] = (left - 1, text)
            rows.append(row)
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            return
        width = max(len(r) for r in rows)
        grid = tuple(tuple(r + [""] * (width - len(r))) for r in rows)
        row_lines = []
        for texts in grid:
            shown: list[str] = []
            for value in texts:
                squeezed = " ".join(value.split())
                if squeezed and (not shown or shown[-1] != squeezed):
                    shown.append(squeezed)
            self.lines.append(" ".join(shown))
            row_lines.append(len(self.lines))
        self.tables.append(TableBlock(grid, tuple(row_lines), f"第 {len(self.tables) + 1} 张表"))


def _fill(row: list[str], pending: dict[int, tuple[int, str]]) -> None:
    """Append the texts of the cells a rowspan from above covers at the row's current end."""
    while len(row) in pending and pending[len(row)][0] > 0:
        left, text = pending[len(row)]
        row.append(text)


def _rows(table: Node) -> list[Node]:
    out: list[Node] = []
    for child in table.children:
        if not isinstance(child, Node) or _hidden(child):
            continue
        if child.tag == "tr":
            out.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            out += _rows(child)
    return out


def _cell_text(cell: Node) -> str:
    reader = _Reader()
    reader.block(cell)
    reader._break()
    return "\n".join(reader.lines)


def decode_html(data: bytes, file: str) -> str:
    """The page's text: BOM, else ``<meta charset>``, else UTF-8 with GB18030 as the fallback."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data, file=file)
    declared = _CHARSET.search(data[:4096])
    if declared is not None:
        name = declared.group(1).decode("ascii").lower()
        if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936"):
            name = "gb18030"
        try:
            return data.decode(name).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: fall back to guessing
    return decode_bytes(data, file=file)


def read_html(path: Path) -> ReadDocument:
    """The page's visible text, one block per line, and its data tables."""
    text = decode_html(path.read_bytes(), str(path))
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    reader = _Reader()
    try:
        reader.block(builder.root)
    except RecursionError as exc:
        raise ParseError(
            "网页的元素嵌套太深，无法读取", file=str(path), line=1, expected="结构正常的网页（或另存为 .txt）"
        ) from exc
    reader._break()
    out = "\n".join(reader.lines)
    if not out.strip():
        raise ParseError("网页里没有可见的文字", file=str(path), line=1, expected=EXPECTED)
    return ReadDocument(out, tuple(reader.tables))


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="html", suffixes=(".html", ".htm"), read=read_html)]
