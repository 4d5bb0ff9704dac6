"""PDF reader with pypdf: the text layer of every page. Scanned PDFs (no text layer) are refused."""

from __future__ import annotations

from pathlib import Path

from duban.errors import ParseError
from duban.hookspecs import DocumentReaderSpec, hookimpl

EXPECTED = "带文字层的 PDF（扫描件请先做文字识别 OCR，或改用 .docx/.txt）"


def read_pdf(path: Path) -> str:
    """The pages' text, pages separated by a blank line."""
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
    text = "\n\n".join(pages)
    if not text.strip():
        raise ParseError("PDF 没有文字层（可能是扫描件）", file=str(path), line=1, expected=EXPECTED)
    return text


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="pdf", suffixes=(".pdf",), read=read_pdf)]
