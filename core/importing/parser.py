"""Policy document text → :class:`ParsedPolicy`: metadata, the tasks with their responsibility clauses,
schedule hints and warnings.

The steps:

1. numbered items: markers at the start of a line (一、 （一） 01 1. （1）) that continue their style's
   sequence or restart it; an item runs to the next marker;
2. tasks: the items whose text ends in a responsibility clause (see :mod:`duban.importing.clauses`);
   where an annex (附件 / 任务分工) holds tasks, only the annex's items count;
3. sections: the nearest enclosing heading of an outer style (二、 for （三）, 03 for （一）);
4. roles from the clause grammar, the document's own convention (列第一位者为牵头单位) and its issuers;
5. metadata (see :mod:`duban.importing.metadata`); what is missing stays None and becomes a warning.

Pure: standard library, duban.hookspecs, duban.errors and duban.domain.agencies only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from duban.domain.agencies import AgencyRegistry
from duban.domain.vocabulary import ParseDoubt, PartyKind
from duban.errors import ParseError
from duban.hookspecs import Role, TableBlock
from duban.importing import metadata as meta
from duban.importing.clauses import (
    CLAUSE_WORDS,
    CLOSE,
    MAX_CLAUSE_CHARS,
    OPEN,
    SEPARATORS,
    ClauseGrammar,
    find_clause_open,
    has_label,
    is_remark,
    is_vague_group,
    looks_like_unit,
    plausible_name,
    read_clause,
    split_top,
)
from duban.importing.hints import schedule_hints
from duban.importing.model import (
    Doubt,
    ParsedPolicy,
    ParsedResponsibility,
    ParsedTask,
    ParseWarning,
    to_json_dict,
)
from duban.importing.numbering import STYLE_RANK, Marker, match_marker, typical_width, wraps_into
from duban.importing.script import to_simplified
from duban.importing.tables import TableTask, table_tasks, tables_note

__all__ = [
    "NO_TASKS_EXPECTED",
    "ParseWarning",
    "ParsedPolicy",
    "ParsedResponsibility",
    "ParsedTask",
    "parse_policy",
    "to_json_dict",
]

NO_TASKS_EXPECTED = "以（…负责）结尾的任务条目"

_ANNEX = re.compile(r"^(?:附件[0-9一二三四五六七八九十]*[:：]?|(?:《[^》]+》)?任务分工(?:表|方案|清单)?)$")
_CONVENTION = re.compile(
    r"(?:列|排|排列|排名)(?:在)?(?:第一|首)(?:位|个|名)?的?(?:者|单位|部门)?(?:为|是)牵头(?:单位|部门)"
    r"|第一个?(?:单位|部门)为牵头(?:单位|部门)"
)
_CONVENTION_TAIL = re.compile(r"[，,；;]?(?:以下均同|以下同|下同)")
_SENTENCE_END = "。；;！!？?"
_UNBROKEN = re.compile(
    r"(?<=[。；;）)\s])[ \t\u3000]*"
    r"(?=[（(][一二三四五六七八九十]{1,4}[）)]|[一二三四五六七八九十]{1,4}、|[1-9][0-9]{0,2}[.．、](?![0-9]))"
)
_TRAILING = set("。.;；，,、 ")
_NON_ASCII_SPACE = re.compile(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ")


# --------------------------------------------------------------------------- text helpers


def _clean_line(line: str) -> str:
    line = re.sub(r"\s+", " ", line.replace("\ufeff", "")).strip()
    return _NON_ASCII_SPACE.sub("", line)


@dataclass
class _Flat:
    """An item's text with line breaks removed, remembering each character's line."""

    text: str
    line_of: list[int]
    line_last: dict[int, int]  # line number -> index of its last character

    @classmethod
    def build(cls, lines: list[str], start: int, end: int, first_col: int) -> _Flat:
        parts: list[str] = []
        line_of: list[int] = []
        line_last: dict[int, int] = {}
        for i in range(start, end):
            raw = lines[i][first_col:] if i == start else lines[i]
            chunk = _clean_line(raw)
            if not chunk:
                continue
            if (
                parts
                and parts[-1][-1:].isascii()
                and parts[-1][-1:].isalnum()
                and chunk[0].isascii()
                and chunk[0].isalnum()
            ):
                chunk = " " + chunk
            parts.append(chunk)
            line_of.extend([i + 1] * len(chunk))
            line_last[i + 1] = len(line_of) - 1
        return cls("".join(parts), line_of, line_last)

    def __post_init__(self) -> None:
        # line number -> index of its last character that is not trailing punctuation
        self._significant: dict[int, int] = {}
        for line, last in self.line_last.items():
            first = last
            while first > 0 and self.line_of[first - 1] == line:
                first -= 1
            end = last
            while end > first and self.text[end] in _TRAILING:
                end -= 1
            self._significant[line] = end

    def ends_line(self, pos: int) -> bool:
        """True when only punctuation follows ``pos`` on its line."""
        return pos >= self._significant[self.line_of[pos]]

    def spans(self) -> list[tuple[int, int, int]]:
        """(line number, start, end) of every line's characters in :attr:`text`, in order."""
        result, start = [], 0
        for line, last in self.line_last.items():
            result.append((line, start, last + 1))
            start = last + 1
        return result


@dataclass
class _Item:
    marker: Marker
    start: int  # line index
    end: int  # line index (exclusive)
    section: str | None


@dataclass
class _Clause:
    open: int
    close: int  # index after the clause
    content: str  #: the clause as written (for warnings)
    reading: str  #: the part to read: conventions and remarks (年内持续推进, 下同) taken out
    closed: bool
    remarks: str = ""  #: what the clause says besides parties (deadlines), for the schedule hints
    cut: bool = False  #: the file (or the item) ends inside the clause
    end: int = -1  #: index where the task's text ends (the clause's opening bracket, or a label line)


@dataclass
class _Task:
    """A task before its names are resolved, from a numbered item closed by a clause or a table row."""

    section: str | None
    number: str
    text: str
    clause: str  #: the clause's content (or the table cells the parties came from), for warnings
    grammar: ClauseGrammar
    line: int  #: 1-based line where the task starts
    clause_line: int  #: 1-based line of the clause
    lines: range  #: 0-based indices of the lines the task covers (kept out of the metadata search)
    source: str = "text"
    hint_text: str = ""  #: more text for the schedule hints (a table's 完成时限, a clause's deadline)
    doubts: tuple[Doubt, ...] = ()
    earlier: tuple[ClauseGrammar, ...] = ()  #: the item's other clauses, one per sentence (several clauses)
    cut: bool = False  #: the clause is cut (no closing bracket, or the file ends inside it)


# --------------------------------------------------------------------------- items


def _items(lines: list[str], warnings: list[ParseWarning]) -> list[_Item]:
    marks: list[tuple[int, Marker]] = []
    last: dict[str, int] = {}
    width = typical_width(lines)
    previous_line = ""
    for i, line in enumerate(lines):
        marker = match_marker(line)
        if marker is not None and wraps_into(previous_line, line, marker, width, last.get(marker.style, 0)):
            marker = None  # 一对\n一、面对面: a PDF line wrap, not a number
        if line.strip() and not re.fullmatch(r"[\s\-—–·\dPp.第页/]*", line):
            previous_line = line
        if marker is None:
            continue
        previous = last.get(marker.style, 0)
        if marker.value != 1 and marker.value <= previous:
            continue  # 二、 in the middle of a list that is already at 五: not a number
        if marker.value > previous + 1 and previous and marker.style != "C":
            warnings.append(ParseWarning(i + 1, f"编号不连续：{marker.label}之前缺少编号"))
        last[marker.style] = marker.value
        marks.append((i, marker))

    items: list[_Item] = []
    enclosing: dict[int, str] = {}  # rank -> label of the latest heading of that rank
    for n, (i, marker) in enumerate(marks):
        rank = STYLE_RANK[marker.style]
        for deeper in [r for r in enclosing if r >= rank]:
            del enclosing[deeper]
        outer = [r for r in enclosing if r < rank]
        section = enclosing[max(outer)] if outer else None
        enclosing[rank] = marker.label
        end = marks[n + 1][0] if n + 1 < len(marks) else len(lines)
        items.append(_Item(marker, i, end, section))
    return items


# --------------------------------------------------------------------------- clauses


def _reading(content: str, is_names_only: Callable[[str], bool]) -> tuple[str, str] | None:
    """(what to read, remarks) when ``content`` is a responsibility clause, else None.

    A clause may hold more than one sentence: （A负责。列第一位者为牵头单位，下同）,
    〔责任单位：A、B按职责分工负责。具体任务均涉及相关市(州)人民政府,不再做分工,下同。〕 — the sentences that
    are clauses are read, the others are remarks (a convention, a deadline, a note) and name nobody.
    """
    if not content or len(content) > MAX_CLAUSE_CHARS:
        return None
    kept: list[str] = []
    remarks: list[str] = []
    for sentence in content.split("。"):
        sentence = _strip_convention(sentence)
        if not sentence:
            continue
        segments = [x for x in split_top(sentence, SEPARATORS) if x.strip()]
        while segments and is_remark(segments[-1].strip()):
            remarks.insert(0, segments.pop().strip())
        core = "，".join(segments).rstrip("".join(_TRAILING))
        if core and (has_label(core) or CLAUSE_WORDS.search(core) or is_names_only(core)):
            kept.append(core)
        elif len(sentence) > 80:
            return None
        else:
            remarks.append(sentence)
    if not kept:
        return None
    return "，".join(kept), "，".join(remarks)


def _strip_convention(content: str) -> str:
    content = _CONVENTION_TAIL.sub("", _CONVENTION.sub("", content))
    return content.strip("，,；; ")


def _bracket_clause(flat: _Flat, close: int, is_names_only: Callable[[str], bool]) -> _Clause | None:
    start = find_clause_open(flat.text, close)
    if start is None:
        return None
    content = meta.squeeze(flat.text[start + 1 : close])
    reading = _reading(content, is_names_only)
    if reading is None:
        return None
    return _Clause(start, close + 1, content, reading[0], True, reading[1], end=start)


def _label_clause(flat: _Flat, is_names_only: Callable[[str], bool]) -> _Clause | None:
    """Labelled lines after the item's text: 牵头单位：A / 责任单位：B、C (牵头负责领导：a person is skipped)."""
    spans = flat.spans()
    for n, (_line, start, end) in enumerate(spans):
        chunk = flat.text[start:end]
        # a label opens a line, or follows the end of a sentence on the item's first line
        for m in re.finditer(r"(?:^|(?<=[。；;]))(?=[^。；;]{0,12}[:：])", chunk):
            at = start + m.start()
            if at == 0 or not has_label(flat.text[at:end]) or _depth(flat.text[:at]):
                continue
            parts = [flat.text[at:end]]
            last = end
            for _line2, s2, e2 in spans[n + 1 :]:
                if not has_label(flat.text[s2:e2]):
                    break
                parts.append(flat.text[s2:e2])
                last = e2
            content = "；".join(meta.squeeze(x).strip("。；;，, ") for x in parts)
            grammar = read_clause(content)
            if not grammar.parties:
                return None
            return _Clause(at, last, content, content, True, "，".join(grammar.remarks), end=at)
    return None


def _depth(text: str) -> int:
    return sum(ch in OPEN for ch in text) - sum(ch in CLOSE for ch in text)


_SENTENCE_CLAUSE = re.compile(
    r"(?:^|(?<=[，,。；;]))(?:并|均|统一)?由(?P<lead>[^，,。；;]{2,40}?)(?P<with>会同[^。；;]{2,300}?)?"
    r"(?P<verb>负责|牵头|研究|组织|提出|制定|落实|推进|实施|办理|承担)[^，,。；;（(]{0,20}[。；;]?$"
)


def _sentence_clause(flat: _Flat) -> _Clause | None:
    """A clause without brackets ending a line of the item: …的问题，由A会同B、C等部门研究提出落实意见。"""
    for _line, _start, end in reversed(flat.spans()):
        text = flat.text[:end].rstrip()
        m = _SENTENCE_CLAUSE.search(text)
        if m is None:
            continue
        lead = m.group("lead")
        names = [n for n in split_top(lead, "、") if n]
        if not names or not all(looks_like_unit(re.sub("等$", "", n)) for n in names):
            return None
        verb = "牵头" if m.group("verb") == "牵头" else "负责"
        content = f"{lead}{m.group('with') or ''}{verb}"
        return _Clause(m.start(), end, meta.squeeze(text[m.start() :]), content, True, end=m.start())
    return None


def _cut_clause(flat: _Flat, is_names_only: Callable[[str], bool]) -> _Clause | None:
    """An opening bracket that is never closed.

    民政部负责 at the end of a line is a clause that lost its closing bracket. （民政部牵头，财政部、 where the
    item (or the file) ends is a cut clause: it is read up to the last whole name, and is no clause at all
    when the text breaks off inside a name (县农业农) — what the names were cannot be read then.
    """
    text = flat.text
    for last in sorted(flat.line_last.values(), reverse=True):
        end = last + 1
        while end > 0 and text[end - 1] in _TRAILING:
            end -= 1
        if end > 0 and CLAUSE_WORDS.search(text, max(0, end - 12), end):
            start = _unmatched_open(text, end)
            if start is not None:
                content = meta.squeeze(text[start + 1 : end])
                reading = _reading(content, is_names_only)
                if reading is not None:
                    return _Clause(start, len(text), content, reading[0], False, reading[1], end=start)
            break
    end = len(text)
    while end > 0 and text[end - 1] in _TRAILING:
        end -= 1
    i = _unmatched_open(text, end)
    if i is None:
        return None
    content = meta.squeeze(text[i + 1 : end])
    segments = [x for x in split_top(content, SEPARATORS + "、") if x.strip()]
    if not segments or not (
        has_label(content) or CLAUSE_WORDS.search(segments[0]) or is_names_only(segments[0])
    ):
        return None
    if text[end:].strip()[:1] not in ("、", "，", ",", "；", ";"):
        # no separator after the last name: keep it only when it reads whole (not 县农业农)
        tail = re.sub(r"^[^:：]*[:：]", "", segments[-1])
        tail = _strip_verb_words(tail)
        if not tail or not is_names_only(tail) or not (looks_like_unit(tail) or is_vague_group(tail)):
            return None
    grammar = read_clause(content)
    if not any(p.kind in ("lead", "generic") for p in grammar.parties):
        return None
    return _Clause(i, len(text), content, content, False, cut=True, end=i)


def _unmatched_open(text: str, end: int) -> int | None:
    """The opening bracket before ``end`` that nothing closes (within a clause's length), or None."""
    depth = 0
    for i in range(end - 1, max(-1, end - 1 - MAX_CLAUSE_CHARS), -1):
        if text[i] in CLOSE:
            depth += 1
        elif text[i] in OPEN:
            if depth == 0:
                return i
            depth -= 1
    return None


def _strip_verb_words(name: str) -> str:
    return re.sub(r"(?:牵头|负责|配合|参与|协助)+$", "", name)


def _earlier_clauses(flat: _Flat, before: int, is_names_only: Callable[[str], bool]) -> list[_Clause]:
    """The item's other clauses: a bracketed clause at the end of a sentence (before 。 or a line end)."""
    found: list[_Clause] = []
    text = flat.text
    i = before - 1
    while i >= 0:
        if text[i] in CLOSE:
            after = text[i + 1 : i + 2]
            start = find_clause_open(text, i)
            if start is not None:
                before_open = text[start - 1 : start] if start > 0 else ""
                ends_sentence = (
                    (after and after in _SENTENCE_END)
                    or (before_open and before_open in _SENTENCE_END)
                    or flat.ends_line(i)
                )
                if ends_sentence:
                    clause = _bracket_clause(flat, i, is_names_only)
                    if clause is not None:
                        found.insert(0, clause)
                i = start
        i -= 1
    return found


def _find_clause(flat: _Flat, is_names_only: Callable[[str], bool]) -> _Clause | None:
    labelled = _label_clause(flat, is_names_only)
    if labelled is not None:
        return labelled
    text = flat.text
    for close in range(len(text) - 1, -1, -1):
        if text[close] not in CLOSE or not flat.ends_line(close):
            continue
        clause = _bracket_clause(flat, close, is_names_only)
        if clause is not None:
            return clause
    return _sentence_clause(flat) or _cut_clause(flat, is_names_only)


# --------------------------------------------------------------------------- roles


@dataclass
class _Context:
    registry: AgencyRegistry
    source: str
    strict: bool
    warnings: list[ParseWarning]


def _resolve(name: str, line: int, ctx: _Context) -> str | None:
    key = _lookup(ctx.registry, name)
    if key is not None:
        return key
    hints = ctx.registry.suggest(name)
    closest = f"；相近的名称：{'、'.join(hints)}" if hints else ""
    message = f"责任单位“{name}”不是已登记的部门，按原文保留{closest}"
    if ctx.strict:
        raise ParseError(message, file=ctx.source, line=line, expected="已登记部门的名称")
    ctx.warnings.append(ParseWarning(line, message))
    return None


def _lookup(registry: AgencyRegistry, name: str) -> str | None:
    """The agency key of a name; a district's agency (区财政局) is looked up as a county's (县财政局)."""
    key = registry.resolve(name)
    if key is None and name.startswith("区") and len(name) > 2:
        key = registry.resolve("县" + name[1:])
    return key


_STRENGTH = {Role.LEAD: 3, Role.JOINT: 2, Role.SUPPORT: 1}


def _clause_roles(grammar: ClauseGrammar, first_leads: bool) -> tuple[list[Role], bool]:
    """Each party's role in one clause, and whether the convention decided a role."""
    parties = grammar.parties
    explicit_lead = any(p.kind == "lead" for p in parties)
    named = [i for i, p in enumerate(parties) if not (p.group or p.vague)]
    doers = [p for p in parties if p.kind in ("generic", "none")]
    roles: list[Role] = []
    by_convention = False
    for index, party in enumerate(parties):
        if party.kind == "lead":
            roles.append(Role.LEAD)
        elif party.kind == "support":
            roles.append(Role.SUPPORT)
        elif explicit_lead:
            roles.append(Role.SUPPORT)
        elif first_leads and named:
            by_convention = True
            roles.append(Role.LEAD if index == named[0] else Role.SUPPORT)
        elif len(doers) == 1 and not (party.group or party.vague):
            roles.append(Role.LEAD)  # （A负责）, （A负责，B配合）: the one who does it leads
        else:
            roles.append(Role.JOINT)
    return roles, by_convention


def _roles(
    task: _Task, first_leads: bool, everyone: list[str], ctx: _Context
) -> tuple[tuple[ParsedResponsibility, ...], list[Doubt]]:
    result: dict[str, ParsedResponsibility] = {}
    doubts: list[Doubt] = []

    def doubt(kind: ParseDoubt, message: str, name: str | None = None) -> None:
        if not any(d.kind == kind and d.name == name for d in doubts):
            doubts.append(Doubt(kind, message, name))

    def add(name: str, agency: str | None, role: Role, party: PartyKind) -> None:
        ident = agency or f"name:{name}"
        old = result.get(ident)
        if old is None or _STRENGTH[role] > _STRENGTH[old.role]:
            result[ident] = ParsedResponsibility(old.name if old else name, agency, role, party)

    grammars = [*task.earlier, task.grammar]
    for grammar in grammars:
        roles, by_convention = _clause_roles(grammar, first_leads)
        if by_convention:
            doubt(ParseDoubt.GUESSED_ROLE, "条款没有写明牵头单位，按文件约定“列第一位者为牵头单位”理解")
        elif grammar.stray_comma:
            doubt(ParseDoubt.GUESSED_ROLE, "条款中有多余的逗号，逗号前的单位按与其后单位共同负责理解")
        elif grammar.parties and all(p.kind == "none" for p in grammar.parties):
            doubt(ParseDoubt.GUESSED_ROLE, "条款只列出单位名称，没有写明谁牵头，按共同负责理解")
        if grammar.etc:
            doubt(ParseDoubt.OPEN_LIST, "条款以“等”列举，可能还有未列出的单位")
        leads = {
            _lookup(ctx.registry, p.name) for p, r in zip(grammar.parties, roles, strict=True) if r == "lead"
        }
        for party, role in zip(grammar.parties, roles, strict=True):
            if party.group and everyone:
                for key in everyone:
                    if key not in leads:
                        add(party.name, key, role, PartyKind.AGENCY)
                whom = "全部发文单位" if len(everyone) > 1 else "文件中出现的全部部门"
                doubt(ParseDoubt.EXPANDED_GROUP, f"“{party.name}”按{whom}理解", party.name)
                continue
            agency = None if party.group else _lookup(ctx.registry, party.name)
            if agency is not None:
                add(party.name, agency, role, PartyKind.AGENCY)
            elif party.government:
                add(party.name, None, role, PartyKind.GOVERNMENT)
                if party.vague:
                    doubt(
                        ParseDoubt.VAGUE_GROUP, f"“{party.name}”泛指地方政府，未指明哪一级哪一个", party.name
                    )
            elif party.group or party.vague or is_vague_group(party.name):
                add(party.name, None, role, PartyKind.GROUP)
                doubt(
                    ParseDoubt.VAGUE_GROUP,
                    f"“{party.name}”泛指有关单位，未指明具体部门，待协调人确定",
                    party.name,
                )
            else:
                add(party.name, _resolve(party.name, task.clause_line, ctx), role, PartyKind.UNREGISTERED)
                doubt(ParseDoubt.UNRESOLVED_NAME, f"“{party.name}”不是已登记的部门，按原文保留", party.name)
    if len(grammars) > 1:
        doubt(ParseDoubt.SPLIT_CLAUSE, f"条目中有 {len(grammars)} 个责任条款，各条款的单位都已计入")
    if task.cut:
        doubt(ParseDoubt.CUT_CLAUSE, "责任条款不完整（缺少右括号或文件在条款中间结束），只读出了写明的单位")
    return tuple(result.values()), doubts


def _paragraph_tasks(
    lines: list[str], item: _Item, is_names_only: Callable[[str], bool], warnings: list[ParseWarning]
) -> list[_Task]:
    """Unnumbered paragraphs under a heading, each ending in its own clause, are tasks numbered 1, 2 ….

    一、努力扩大内需 / 认真落实…。（财政厅牵头） / 加强银政合作…。（人行牵头）: the 分工 form of many
    government work-report documents. The heading must read as a heading (a short first line, much shorter
    than the paragraphs, without a clause of its own) and at least two paragraphs must end in a clause (or
    one, when the file is cut inside the next): a title line over one paragraph (（三）强化就业帮扶 /
    加强…（人社部负责）) and a first line cut short by a page break stay one task.
    """
    if item.end - item.start < 3:
        return []
    head = _Flat.build(lines, item.start, item.start + 1, item.marker.end)
    rest = [_clean_line(lines[i]) for i in range(item.start + 1, item.end)]
    rest = [r for r in rest if r]
    if not head.text or not rest or len(head.text) > 40 or head.text[-1] in "，,、；;：:":
        return []
    if len(head.text) > 0.7 * max(len(r) for r in rest) or _find_clause(head, is_names_only) is not None:
        return []
    chunks: list[tuple[int, int, _Flat, _Clause]] = []
    begin = item.start + 1
    for i in range(item.start + 1, item.end):
        line = _clean_line(lines[i]).rstrip("。.;； ")
        if not line or line[-1] not in CLOSE:
            continue
        flat = _Flat.build(lines, begin, i + 1, 0)
        clause = _find_clause(flat, is_names_only)
        if clause is None or not clause.closed or clause.close < len(flat.text.rstrip("。.;； ")):
            continue
        if not flat.text[: clause.end].strip():
            return []  # a clause on a line of its own: it closes the item, not a paragraph
        chunks.append((begin, i + 1, flat, clause))
        begin = i + 1
    remainder = [i for i in range(begin, item.end) if _clean_line(lines[i])]
    # one paragraph with a clause is enough only when the next one is cut by the end of the file
    cut_after_one = (
        len(chunks) == 1
        and bool(remainder)
        and item.end == len(lines)
        and len(_clean_line(lines[remainder[-1]])) >= 40  # a paragraph, not a signature or a date
        and _clean_line(lines[remainder[-1]])[-1:] not in "。.；;）)"
    )
    if len(chunks) < 2 and not cut_after_one:
        return []
    tasks = []
    for position, (start, _end, flat, clause) in enumerate(chunks, start=1):
        clause_line = flat.line_of[min(clause.open, len(flat.line_of) - 1)]
        tasks.append(
            _Task(
                section=item.marker.label,
                number=str(position),
                text=flat.text[: clause.end].strip(),
                clause=clause.content,
                grammar=read_clause(clause.reading),
                line=start + 1,
                clause_line=clause_line,
                lines=range(start, max(clause_line, start + 1)),
                hint_text=clause.remarks,
                doubts=(
                    Doubt(
                        ParseDoubt.UNNUMBERED,
                        f"“{item.marker.label}、”下的第 {position} 段没有编号，按位置编为“{position}”",
                    ),
                ),
            )
        )
    if remainder:
        warnings.append(
            ParseWarning(
                remainder[0] + 1,
                f"第{remainder[0] + 1}行起的段落没有责任条款（或文件在此截断），未作为任务导入",
            )
        )
    return tasks


def _lift_to_parents(
    tasks: list[_Task],
    items: list[_Item],
    untasked: list[tuple[_Item, str, bool]],
    lines: list[str],
    warnings: list[ParseWarning],
) -> None:
    """A clause on a line of its own after sub-items, none of which has a clause, belongs to their parent.

    1.完善应急预案体系 / (1)… (2)… (3)… (4)… / (责任单位：…): the task is item 1 with its sub-items as its
    text, not sub-item (4). Said in a warning, since the reading is the parser's.
    """
    open_items = {id(item) for item, _text, _cut in untasked}
    for n, task in enumerate(tasks):
        index = next((k for k, item in enumerate(items) if item.start + 1 == task.line), None)
        if index is None or task.source != "text" or task.clause_line <= task.line:
            continue
        clause_text = _clean_line(lines[task.clause_line - 1])
        if not clause_text or not (clause_text[0] in OPEN or has_label(clause_text)):
            continue  # the clause ends a line of the sub-item's own text
        item = items[index]
        rank = STYLE_RANK[item.marker.style]
        parent_index = next(
            (k for k in range(index - 1, -1, -1) if STYLE_RANK[items[k].marker.style] < rank), None
        )
        if parent_index is None:
            continue
        parent = items[parent_index]
        between = items[parent_index + 1 : index]
        following = items[index + 1] if index + 1 < len(items) else None
        if (
            id(parent) not in open_items
            or not between
            or any(b.marker.style != item.marker.style or id(b) not in open_items for b in between)
            or (following is not None and following.marker.style == item.marker.style)
        ):
            continue
        flat = _Flat.build(lines, parent.start, task.clause_line - 1, parent.marker.end)
        tasks[n] = replace(
            task,
            section=parent.section,
            number=parent.marker.label,
            text=flat.text.strip(),
            line=parent.start + 1,
            lines=range(parent.start, task.clause_line),
        )
        lifted = {id(parent), *(id(b) for b in between)}
        untasked[:] = [u for u in untasked if id(u[0]) not in lifted]
        warnings.append(
            ParseWarning(
                task.clause_line,
                f"第{task.clause_line}行的责任条款单独成行、跟在{len(between) + 1}个子项之后，"
                f"按属于上一级条目“{parent.marker.label}”理解，子项并入其正文",
            )
        )


def _report_untasked(
    tasks: list[_Task],
    items: list[_Item],
    untasked: list[tuple[_Item, str, bool]],
    warnings: list[ParseWarning],
) -> None:
    """Warn about every numbered item at the tasks' level that did not become a task.

    Such an item is a sibling of a task (same numbering style, same enclosing section) inside the task
    list: between its first and last task, or right after the last one while the numbers go on. A heading
    whose sub-items follow it (一、总体要求 with （一）… below) is not warned about.
    """
    by_line = {item.start + 1: item for item in items}
    task_items = [by_line[t.line] for t in tasks if t.source == "text" and t.line in by_line]
    if not task_items:
        return
    keys = {(i.marker.style, i.section) for i in task_items}
    first, last = min(i.start for i in task_items), max(i.start for i in task_items)
    following = {id(a): b for a, b in zip(items, items[1:], strict=False)}
    value_at_end = {
        key: max(i.marker.value for i in task_items if (i.marker.style, i.section) == key) for key in keys
    }
    for item, text, cut in untasked:
        key = (item.marker.style, item.section)
        if key not in keys or item.start < first:
            continue
        if item.start > last:
            if item.marker.value <= value_at_end[key]:
                continue
            value_at_end[key] = item.marker.value
        after = following.get(id(item))
        if after is not None and STYLE_RANK[after.marker.style] > STYLE_RANK[item.marker.style]:
            continue  # a heading with sub-items
        snippet = text[:24] + ("…" if len(text) > 24 else "")
        if cut:
            message = (
                f"第{item.start + 1}行的条目“{snippet}”在责任条款中间被截断（文件不完整），未作为任务导入"
            )
        else:
            message = f"第{item.start + 1}行的条目“{snippet}”没有责任条款，未作为任务导入"
        warnings.append(ParseWarning(item.start + 1, message))


# --------------------------------------------------------------------------- the parser


def parse_policy(
    text: str,
    registry: AgencyRegistry,
    *,
    source: str = "<text>",
    strict: bool = False,
    tables: Sequence[TableBlock] = (),
) -> ParsedPolicy:
    """Parse a policy document's text.

    :param text: the document as plain text (see :mod:`duban.importing.readers` for files).
    :param registry: the agencies that department plugins registered.
    :param source: the file name, for warnings and errors.
    :param strict: raise :class:`ParseError` for a department no registered agency claims, instead of
        keeping it as written with a warning.
    :param tables: the document's tables as its reader found them (their rows are also lines of ``text``);
        a 任务分工 table's rows become tasks.
    :raises ParseError: when the text holds no recognisable task.
    """
    return _parse(text, registry, source=source, strict=strict, tables=tables, resplit=False)


def _of_table(row: TableTask) -> _Task:
    return _Task(
        section=row.section,
        number=row.number,
        text=row.text,
        clause=row.clause,
        grammar=row.grammar,
        line=row.line,
        clause_line=row.line,
        lines=range(row.line - 1, row.line),
        source="table",
        hint_text=row.deadline or "",
        doubts=row.doubts,
    )


def _parse(
    text: str,
    registry: AgencyRegistry,
    *,
    source: str,
    strict: bool,
    tables: Sequence[TableBlock],
    resplit: bool,
) -> ParsedPolicy:
    if not isinstance(text, str):
        raise ParseError("输入不是文本", file=source, line=1, expected="文本")
    text, traditional = to_simplified(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    warnings: list[ParseWarning] = []
    if traditional and not resplit:
        warnings.append(ParseWarning(None, "原文为繁体字，已按简体字解析（任务正文也以简体保存）"))
    ctx = _Context(registry, source, strict, warnings)

    def is_names_only(content: str) -> bool:
        names = [n for part in split_top(content, "，,；;") for n in split_top(part, "、")]
        if not names or not all(names):
            return False
        known = [_lookup(registry, n) is not None for n in names]
        readable = all(
            k or is_vague_group(n) or looks_like_unit(n) for n, k in zip(names, known, strict=True)
        )
        sane = all(k or plausible_name(n) for n, k in zip(names, known, strict=True))
        return readable and sane and (any(known) or all(len(n) >= 4 for n in names))

    # --- tasks
    tasks: list[_Task] = []
    untasked: list[tuple[_Item, str, bool]] = []  # numbered items without a clause: (item, text, cut)
    items = _items(lines, warnings)
    for item in items:
        paragraphs = _paragraph_tasks(lines, item, is_names_only, warnings)
        if paragraphs:
            tasks += paragraphs
            continue
        flat = _Flat.build(lines, item.start, item.end, item.marker.end)
        if not flat.text:
            continue
        clause = _find_clause(flat, is_names_only)
        if clause is None:
            cut = any(ch in OPEN for ch in flat.text[-MAX_CLAUSE_CHARS:]) and item.end == len(lines)
            untasked.append((item, flat.text, cut))
            continue
        tail = flat.text.rstrip()
        if item.end == len(lines) and clause.close >= len(tail) and tail[-1:] not in "。.；;）)〕]】":
            # the file ends in the clause: a last name that is no whole unit (责任单位：区) was cut inside it
            last = read_clause(clause.reading).parties[-1:]
            cut_name = last and not (last[0].government or last[0].group or last[0].vague)
            if cut_name and not looks_like_unit(last[0].name) and registry.resolve(last[0].name) is None:
                untasked.append((item, flat.text, True))
                continue
        if clause.closed and item.end == len(lines) and tail[-1:] in "，,、；;" and clause.close >= len(tail):
            # 部门分工：省财政厅牵头， and then the file ends: the clause is cut after a whole name
            clause = replace(clause, closed=False, cut=True)
        earlier = _earlier_clauses(flat, clause.end, is_names_only) if clause.closed else []
        body, position = "", 0
        for other in earlier:
            body += flat.text[position : other.open]
            position = other.close
        body = (body + flat.text[position : clause.end]).strip()
        if not body:
            untasked.append((item, flat.text, False))  # [联合发文单位]: a bracket alone is no task
            continue
        clause_line = flat.line_of[min(clause.open, len(flat.line_of) - 1)]
        if clause.cut and item.end == len(lines):
            warnings.append(
                ParseWarning(
                    clause_line,
                    f"文件在责任条款中间结束：“{clause.content}”，只读出了已写明的单位，请核对",
                )
            )
        elif not clause.closed:
            warnings.append(ParseWarning(clause_line, f"责任条款缺少右括号：“{clause.content}”"))
        remarks = "，".join(x for x in [*(c.remarks for c in earlier), clause.remarks] if x)
        tasks.append(
            _Task(
                section=item.section,
                number=item.marker.label,
                text=body,
                clause=clause.content,
                grammar=read_clause(clause.reading),
                line=item.start + 1,
                clause_line=clause_line,
                lines=range(item.start, max(clause_line, item.start + 1)),
                hint_text=remarks,
                earlier=tuple(read_clause(c.reading) for c in earlier),
                cut=not clause.closed,
            )
        )

    _lift_to_parents(tasks, items, untasked, lines, warnings)
    table_rows = [_of_table(row) for row in table_tasks(tables, warnings)]
    if table_rows:
        rendered = {i for t in table_rows for i in t.lines}
        outside = [t for t in tasks if not set(t.lines) & rendered]
        if outside:
            warnings.append(
                ParseWarning(
                    outside[0].line,
                    f"正文中有 {len(outside)} 条带责任条款的条目，以任务分工表为准，正文条目未导入",
                )
            )
        tasks = table_rows

    if not tasks:
        broken = _UNBROKEN.sub("\n", text)
        if broken != text and not resplit:
            # A web page or a PDF that lost its line breaks: break before each number and try once more.
            reparsed = _parse(broken, registry, source=source, strict=strict, tables=tables, resplit=True)
            note = ParseWarning(None, "原文没有分行，已在每个编号前断行后解析；警告中的行号按断行后的文字计")
            return replace(reparsed, warnings=(note, *reparsed.warnings))
        about_tables = tables_note(tables)  # a table was there: say which and what its header lacks
        message = "没有找到任何带责任条款的任务条目" + (f"；{about_tables}" if about_tables else "")
        raise ParseError(message, file=source, line=1, expected=NO_TASKS_EXPECTED)

    annex = next((i for i, line in enumerate(lines) if _ANNEX.match(meta.squeeze(line))), None)
    if annex is not None:
        before = [t for t in tasks if t.line <= annex]
        after = [t for t in tasks if t.line > annex]
        if before and after:
            warnings.append(
                ParseWarning(
                    annex + 1,
                    f"正文中有 {len(before)} 条带责任条款的条目，以附件任务分工为准，正文条目未导入",
                )
            )
            tasks = after

    task_lines = {i for t in tasks for i in t.lines}
    first_task_line = min(t.line - 1 for t in tasks)

    # --- metadata
    number, _ = meta.doc_number(lines, task_lines)
    if number is None:
        warnings.append(ParseWarning(None, "未找到发文字号（如 民发〔2019〕86号），文号留空"))
    title, _ = meta.title(lines, first_task_line)
    if title is None:
        warnings.append(ParseWarning(None, "未找到文件标题，标题留空"))
    found = meta.issuer_names(lines, task_lines, registry)
    issuers = tuple(dict.fromkeys(key for _, key, _ in found))
    governments = meta.government_issuers(lines, task_lines, number)
    if not issuers and governments:
        names = "、".join(dict.fromkeys(name for name, _, line in governments if line is not None))
        if names:
            warnings.append(ParseWarning(None, f"发文单位“{names}”不是已登记的部门，发文单位留空"))
    elif not issuers:
        warnings.append(ParseWarning(None, "未找到发文单位（文头或落款），发文单位留空"))
    jurisdiction, level, conflicting = meta.jurisdiction_of(name for name, _, _ in found)
    if jurisdiction is None and governments:
        places = [place for _, place, _ in governments]
        jurisdiction = max(set(places), key=places.count)
        level = "national" if jurisdiction == "全国" else "province"
    if jurisdiction is None:
        warnings.append(ParseWarning(None, "无法从发文单位判断所属地区（全国或哪个省），地区留空"))
    elif conflicting:
        warnings.append(ParseWarning(None, f"发文单位分属不同地区，按多数取“{jurisdiction}”"))
    issued, _ = meta.issued_date(lines, task_lines)
    if issued is None:
        warnings.append(ParseWarning(None, "未找到成文日期，日期留空"))
    draft_line = meta.is_draft(lines, first_task_line)
    deadline = None
    if draft_line is not None:
        deadline, deadline_line, guessed = meta.comment_deadline(lines)
        if deadline is None:
            warnings.append(ParseWarning(draft_line, "征求意见稿未写明意见反馈截止日期"))
        elif guessed:
            warnings.append(
                ParseWarning(
                    deadline_line, f"意见反馈截止日期写法不规范，按 {deadline.isoformat()} 理解，请核对"
                )
            )
    implemented, _ = meta.implements(lines, number)
    if implemented is None and level not in (None, "national"):
        warnings.append(ParseWarning(None, "地方文件未写明所依据的上级文件文号，“依据文件”留空"))

    # --- roles
    convention = next((i + 1 for i, line in enumerate(lines) if _CONVENTION.search(meta.squeeze(line))), None)
    if convention is not None:
        if convention > max(t.clause_line for t in tasks):
            convention = 0  # a footnote after the list: it governs the whole list
        warnings.append(
            ParseWarning(
                convention or None,
                "文件约定“列第一位者为牵头单位”：未写“牵头”的条款按第一位牵头、其余配合理解",
            )
        )
    named = {_lookup(registry, p.name) for t in tasks for g in (*t.earlier, t.grammar) for p in g.parties}
    named.discard(None)
    named |= set(issuers)
    # 各部门: every issuer; with a single issuer, every department the document names; with no known
    # issuer it is not expanded (a vague group)
    everyone = list(issuers) if len(issuers) > 1 else [k for k in registry.keys() if k in named and issuers]

    _report_untasked(tasks, items, untasked, warnings)

    parsed: list[ParsedTask] = []
    seen_ids: set[tuple[str | None, str]] = set()
    for task in tasks:
        first_leads = convention is not None and task.clause_line >= convention
        for grammar in (*task.earlier, task.grammar):
            if grammar.stray_comma and not first_leads:
                warnings.append(
                    ParseWarning(
                        task.clause_line,
                        f"责任条款“{task.clause}”中有多余的逗号，逗号前的单位按与其后单位共同负责理解",
                    )
                )
            if grammar.etc:
                warnings.append(
                    ParseWarning(task.clause_line, f"责任条款“{task.clause}”以“等”列举，可能还有未列出的单位")
                )
        if not any(g.parties for g in (*task.earlier, task.grammar)):
            warnings.append(ParseWarning(task.clause_line, f"责任条款“{task.clause}”没有写明责任单位"))
        if any(p.group for p in task.grammar.parties) and not everyone:
            warnings.append(ParseWarning(task.clause_line, "“各部门”无法展开：未找到发文单位，按泛指保留"))
        responsibilities, doubts = _roles(task, first_leads, everyone, ctx)
        if responsibilities and all(r.role == "support" for r in responsibilities):
            warnings.append(ParseWarning(task.clause_line, "责任条款只有配合单位，没有牵头或负责单位"))
        ident = (task.section, task.number)
        if ident in seen_ids:
            where = f"第{ident[0]}部分" if ident[0] else "文件中"
            warnings.append(ParseWarning(task.line, f"{where}任务编号“{ident[1]}”重复"))
        seen_ids.add(ident)
        hint_source = f"{task.text}（{task.hint_text}）" if task.hint_text else task.text
        parsed.append(
            ParsedTask(
                section=task.section,
                number=task.number,
                text=task.text,
                responsibilities=responsibilities,
                schedule_hints=tuple(schedule_hints(hint_source)),
                line=task.line,
                doubts=(*task.doubts, *doubts),
                source=task.source,
            )
        )

    return ParsedPolicy(
        doc_number=number,
        title=title,
        issuers=issuers,
        jurisdiction=jurisdiction,
        level=level,
        issued=issued,
        status="draft" if draft_line is not None else "in_force",
        comment_deadline=deadline,
        implements=implemented,
        tasks=tuple(parsed),
        warnings=tuple(warnings),
    )
