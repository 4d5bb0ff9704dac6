"""Importing policy documents: bytes → text, files → text via reader plugins, text → tasks.

Pure: the standard library, duban.hookspecs, duban.errors and duban.domain only (no storage, UI or
notification libraries). ``duban import`` calls :func:`read_document` then :func:`parse_policy`.
"""

from __future__ import annotations

from duban.importing.decode import decode_bytes
from duban.importing.model import ParsedPolicy, ParsedResponsibility, ParsedTask, ParseWarning, to_json_dict
from duban.importing.parser import NO_TASKS_EXPECTED, parse_policy
from duban.importing.readers import read_document, reader_for

__all__ = [
    "NO_TASKS_EXPECTED",
    "ParseWarning",
    "ParsedPolicy",
    "ParsedResponsibility",
    "ParsedTask",
    "decode_bytes",
    "parse_policy",
    "read_document",
    "reader_for",
    "to_json_dict",
]
