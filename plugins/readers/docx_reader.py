"""Word (.docx) reader with python-docx: paragraphs and table rows in document order."""

from __future__ import annotations

import zipfile
from pathlib import Path

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, hookimpl

EXPECTED = "Word 2007 及以后的 .docx 文件（旧的 .doc 请先另存为 .docx）"


def read_docx(path: Path) -> str:
    """Paragraph texts, one per line; a table row becomes one line of its cells separated by spaces."""
    import docx  # python-docx; imported here so that listing plugins stays fast
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(f"无法作为 .docx 打开：{exc}", file=str(path), line=1, expected=EXPECTED) from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat: keep each text once per row
                    text = cell.text.strip()
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                lines.append(" ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise ParseError("文档里没有文字", file=str(path), line=1, expected=EXPECTED)
    return text


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="docx", suffixes=(".docx",), read=read_docx)]
