"""Responsibility clauses: finding the bracketed group that closes a task, and reading its grammar.

A clause is the last bracketed group of an item that ends a line (or the item) and whose content ends in
负责 (or 牵头, 配合, 参与, 协助), or that lists only known agencies. Brackets may be full- or half-width and
mixed; the text reaches the clause with line breaks already removed, so a clause (or a department name)
split by a page break reads whole. This module knows the grammar only; names are resolved by the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "CLOSE",
    "OPEN",
    "ClauseGrammar",
    "RawParty",
    "find_clause_open",
    "read_clause",
    "read_party_list",
    "split_top",
]

OPEN = "（("
CLOSE = "）)"
SEPARATORS = "，,；;"
MAX_CLAUSE_CHARS = 400

_ACTIONS = r"(?:负责|落实|实施|推进|组织实施)?"
_MANNER = r"(?:按照|按|根据|依据)?(?:各自)?(?:职责|职能)?(?:分工)?(?:共同|分别)?"
_LEAD = re.compile(rf"(?:共同)?牵头{_ACTIONS}$")
_SUPPORT = re.compile(rf"{_MANNER}(?:配合|参与|协助|协同){_ACTIONS}$")
_GENERIC = re.compile(rf"{_MANNER}负责(?:落实|实施|推进)?$")
_ETC = re.compile(r"等(?:有关|相关|其他)?(?:部门|单位|机构|成员单位)?$")
_GROUP = re.compile(r"^(?:各|全体)?(?:有关|相关|其他|其它)?(?:部门|单位|成员单位|职能部门)$")
_GOVERNMENT = re.compile(r"(?:人民政府|政府|党委|各地|地方各级|各级)$|^各地$|^地方")
CLAUSE_WORDS = re.compile(r"(?:负责|牵头|配合|参与|协助|协同)(?:落实|实施|推进|组织实施)?$")


def split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside brackets: 市（州、县）民政局 stays whole."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif ch in separators and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def find_clause_open(text: str, close: int) -> int | None:
    """Index of the bracket that opens the group closed at ``close`` (either width), or None."""
    depth = 0
    for i in range(close, -1, -1):
        ch = text[i]
        if ch in CLOSE:
            depth += 1
        elif ch in OPEN:
            depth -= 1
            if depth == 0:
                return i
        if close - i > MAX_CLAUSE_CHARS:
            return None
    return None


@dataclass(frozen=True)
class RawParty:
    """A party as the clause writes it, before its name is resolved.

    ``kind``: lead (牵头, or the first of A会同B), support (配合/参与/协助, or B of A会同B),
    generic (负责 / 按照职责分工负责), none (no verb at all, e.g. a names-only clause).
    """

    name: str
    kind: str
    group: bool = False  #: 各部门 / 各有关部门: every department of the document
    government: bool = False  #: 各省级人民政府, 各地: a local government, not an agency


@dataclass
class ClauseGrammar:
    """The parties of one clause in the order written, and remarks for warnings."""

    parties: list[RawParty] = field(default_factory=list)
    stray_comma: bool = False
    etc: bool = False
    has_verb: bool = False


def _strip_verb(segment: str) -> tuple[str, str | None]:
    for kind, pattern in (("lead", _LEAD), ("support", _SUPPORT), ("generic", _GENERIC)):
        m = pattern.search(segment)
        if m is not None:
            return segment[: m.start()], kind
    return segment, None


def _names(part: str, grammar: ClauseGrammar) -> list[str]:
    names = []
    for raw in split_top(part, "、/／"):
        name = raw.strip().removeprefix("由")
        m = _ETC.search(name)
        if m is not None and m.start() > 0:
            name = name[: m.start()]
            grammar.etc = True
        if name:
            names.append(name)
    return names


def _party(name: str, kind: str) -> RawParty:
    return RawParty(name, kind, group=bool(_GROUP.match(name)), government=bool(_GOVERNMENT.search(name)))


def read_clause(content: str) -> ClauseGrammar:
    """Read the grammar of a clause's content (without brackets and whitespace)."""
    grammar = ClauseGrammar()
    pending: list[str] = []  # names of segments without a verb, waiting for the next verb
    for segment in (s for s in split_top(content.strip("。.；;，, "), SEPARATORS) if s.strip()):
        names_part, kind = _strip_verb(segment.strip())
        names_part = names_part.replace("牵头会同", "会同")
        if kind is None:
            pending.extend(_names(names_part, grammar))
            continue
        grammar.has_verb = True
        if pending and names_part and kind == "support":
            # （民政部，财政部参与）: the names before the comma do the work, the others take part.
            grammar.parties += [_party(n, "lead") for n in pending]
            pending = []
        elif pending and names_part:
            grammar.stray_comma = True
        if "会同" in names_part:
            head, _, rest = names_part.partition("会同")
            first_kind = "lead" if kind in ("lead", "generic") else kind
            rest_kind = "support" if kind in ("lead", "generic") else kind
            grammar.parties += [_party(n, first_kind) for n in pending + _names(head, grammar)]
            grammar.parties += [_party(n, rest_kind) for n in _names(rest, grammar)]
        else:
            grammar.parties += [_party(n, kind) for n in pending + _names(names_part, grammar)]
        pending = []
    grammar.parties += [_party(n, "none") for n in pending]
    return grammar


def read_party_list(text: str, kind: str) -> ClauseGrammar:
    """Read a list of parties that all have the same ``kind`` (a table's 牵头单位 or 配合单位 cell).

    Names are separated by 、，；/ or line breaks; 等 and vague groups are read as in a clause.
    """
    grammar = ClauseGrammar(has_verb=True)
    for part in split_top(re.sub(r"\s+", "、", text.strip()), SEPARATORS + "、"):
        grammar.parties += [_party(n, kind) for n in _names(part, grammar)]
    return grammar
