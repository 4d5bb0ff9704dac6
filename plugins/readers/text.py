"""Plain-text reader: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK."""

from __future__ import annotations

from pathlib import Path

from duban.hookspecs import DocumentReaderSpec, hookimpl
from duban.importing.decode import decode_bytes


def read_text(path: Path) -> str:
    """The file's text; ParseError (file, line, expected encodings) when it is not text."""
    return decode_bytes(path.read_bytes(), file=str(path))


@hookimpl
def duban_register_document_readers() -> list[DocumentReaderSpec]:
    return [DocumentReaderSpec(name="text", suffixes=(".txt", ".text"), read=read_text)]
