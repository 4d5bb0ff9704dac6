"""What the parser returns: frozen dataclasses, and their JSON form (``duban import --json``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import ParseDoubt, PartyKind
from duban.hookspecs import Role

__all__ = [
    "DocumentSource",
    "Doubt",
    "ImportDocument",
    "ParseWarning",
    "ParsedPolicy",
    "ParsedResponsibility",
    "ParsedTask",
    "to_json_dict",
]


@dataclass(frozen=True)
class ParseWarning(JsonResult):
    """Something the parser could not decide or did not find. ``message`` is Chinese."""

    line: int | None
    message: str


@dataclass(frozen=True)
class ParsedResponsibility(JsonResult):
    """One party of a responsibility clause.

    ``name`` is the name as written (whitespace removed); ``agency`` the agency key, or None for a name
    no registered agency claims, for local governments (各省级人民政府) and for vague groups (有关部门),
    which stay as written and are assigned to nobody until a coordinator resolves them. ``party`` says
    which of these it is.
    """

    name: str
    agency: str | None
    role: Role
    party: PartyKind = PartyKind.AGENCY


@dataclass(frozen=True)
class Doubt(JsonResult):
    """One thing the parser was unsure of in a task: its kind, the name it concerns (if any), in Chinese."""

    kind: ParseDoubt
    message: str
    name: str | None = None


@dataclass(frozen=True)
class ParsedTask:
    """A numbered item that carries a responsibility clause.

    ``text`` is the item without its number and without its clause. ``schedule_hints`` are dicts
    ``{"kind": "date"|"recurrence"|"holiday", "rule": <schedule rule>, "why": <the words in the text>}``.
    ``doubts`` are what the parser was unsure of (empty: read with confidence); ``source`` is ``text``
    for an item closed by a clause and ``table`` for a row of a 任务分工 table.
    """

    section: str | None
    number: str
    text: str
    responsibilities: tuple[ParsedResponsibility, ...]
    schedule_hints: tuple[dict[str, str], ...]
    line: int
    doubts: tuple[Doubt, ...] = ()
    source: str = "text"


@dataclass(frozen=True)
class ParsedPolicy:
    """A policy document as parsed. Metadata that could not be found is None (and a warning says so)."""

    doc_number: str | None
    title: str | None
    issuers: tuple[str, ...]
    jurisdiction: str | None  #: 全国, 云南省 …
    level: str | None  #: national, province, prefecture, county
    issued: dt.date | None
    status: str  #: draft or in_force
    comment_deadline: dt.date | None
    implements: str | None  #: doc number of the document this one implements
    tasks: tuple[ParsedTask, ...]
    warnings: tuple[ParseWarning, ...]


@dataclass(frozen=True, slots=True)
class DocumentHeader(JsonResult):
    """The metadata of a parsed document as ``duban import --json`` shows it."""

    doc_number: str | None
    title: str | None
    issuers: tuple[str, ...]
    jurisdiction: str | None
    level: str | None
    issued: dt.date | None
    status: str
    implements: str | None


@dataclass(frozen=True, slots=True)
class DocumentTask(JsonResult):
    """A task of a parsed document as ``duban import --json`` shows it."""

    section: str | None
    number: str
    text: str
    responsibilities: tuple[ParsedResponsibility, ...]
    schedule_hints: tuple[Mapping[str, str], ...]
    line: int | None = None
    doubts: tuple[Doubt, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentSource(JsonResult):
    """The file a parse was made from: its name and the sha256 of its bytes (``--answers`` checks it)."""

    name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ImportDocument(JsonResult):
    """``duban import --json``: the document as parsed, with the parser's (and the import's) warnings.

    ``source`` names the file (None when the parse was not made from a file); the same document, edited,
    is the answers file of ``duban import FILE --answers`` (see docs/import.md).
    """

    policy: DocumentHeader
    tasks: tuple[DocumentTask, ...]
    warnings: tuple[ParseWarning, ...]
    source: DocumentSource | None = None

    @classmethod
    def of(
        cls,
        parsed: ParsedPolicy,
        warnings: Iterable[ParseWarning] = (),
        source: DocumentSource | None = None,
    ) -> ImportDocument:
        return cls(
            policy=DocumentHeader(
                doc_number=parsed.doc_number,
                title=parsed.title,
                issuers=parsed.issuers,
                jurisdiction=parsed.jurisdiction,
                level=parsed.level,
                issued=parsed.issued,
                status=parsed.status,
                implements=parsed.implements,
            ),
            tasks=tuple(
                DocumentTask(
                    t.section, t.number, t.text, t.responsibilities, t.schedule_hints, t.line, t.doubts
                )
                for t in parsed.tasks
            ),
            warnings=(*parsed.warnings, *warnings),
            source=source,
        )


def to_json_dict(parsed: ParsedPolicy) -> dict[str, Any]:
    """The JSON form printed by ``duban import --json``."""
    return ImportDocument.of(parsed).to_json()
