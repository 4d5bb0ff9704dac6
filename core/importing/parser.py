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
from duban.domain.vocabulary import PartyKind
from duban.errors import ParseError
from duban.hookspecs import Role, TableBlock
from duban.importing import metadata as meta
from duban.importing.clauses import (
    CLAUSE_WORDS,
    CLOSE,
    MAX_CLAUSE_CHARS,
    OPEN,
    ClauseGrammar,
    find_clause_open,
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
from duban.importing.numbering import STYLE_RANK, Marker, match_marker
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
    r"(?:列|排|排列)(?:在)?(?:第一|首)(?:位|个)的?(?:者|单位|部门)?(?:为|是)牵头(?:单位|部门)"
    r"|第一个?(?:单位|部门)为牵头(?:单位|部门)"
)
_CONVENTION_TAIL = re.compile(r"[，,；;]?(?:以下同|下同)")
_UNBROKEN = re.compile(
    r"(?<=[。；;）)\s])[ \t\u3000]*(?=[（(][一二三四五六七八九十]{1,4}[）)]|[一二三四五六七八九十]{1,4}、)"
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
    content: str
    closed: bool


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
    hint_text: str = ""  #: more text for the schedule hints (a table's 完成时限)
    doubts: tuple[Doubt, ...] = ()


# --------------------------------------------------------------------------- items


def _items(lines: list[str], warnings: list[ParseWarning]) -> list[_Item]:
    marks: list[tuple[int, Marker]] = []
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        marker = match_marker(line)
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


def _find_clause(flat: _Flat, is_names_only: Callable[[str], bool]) -> _Clause | None:
    text = flat.text
    for close in range(len(text) - 1, -1, -1):
        if text[close] not in CLOSE or not flat.ends_line(close):
            continue
        start = find_clause_open(text, close)
        if start is None:
            continue
        content = meta.squeeze(text[start + 1 : close])
        if _is_clause(content, is_names_only):
            return _Clause(start, close + 1, content, True)
    # An unclosed clause: 民政部负责 at the end of a line, after an unmatched opening bracket.
    for last in sorted(flat.line_last.values(), reverse=True):
        end = last + 1
        while end > 0 and text[end - 1] in _TRAILING:
            end -= 1
        if end == 0 or not CLAUSE_WORDS.search(text, max(0, end - 12), end):
            continue
        depth = 0
        for i in range(end - 1, max(-1, end - 1 - MAX_CLAUSE_CHARS), -1):
            if text[i] in CLOSE:
                depth += 1
            elif text[i] in OPEN:
                if depth == 0:
                    content = meta.squeeze(text[i + 1 : end])
                    if _is_clause(content, is_names_only):
                        return _Clause(i, end, content, False)
                    break
                depth -= 1
        break
    return None


def _is_clause(content: str, is_names_only: Callable[[str], bool]) -> bool:
    if not content or len(content) > MAX_CLAUSE_CHARS or "。" in content:
        return False
    content = _strip_convention(content)
    return bool(CLAUSE_WORDS.search(content.rstrip("".join(_TRAILING)))) or is_names_only(content)


def _strip_convention(content: str) -> str:
    content = _CONVENTION_TAIL.sub("", _CONVENTION.sub("", content))
    return content.strip("，,；; ")


# --------------------------------------------------------------------------- roles


@dataclass
class _Context:
    registry: AgencyRegistry
    source: str
    strict: bool
    warnings: list[ParseWarning]


def _resolve(name: str, government: bool, line: int, ctx: _Context) -> str | None:
    key = ctx.registry.resolve(name)
    if key is not None or government:
        return key
    hints = ctx.registry.suggest(name)
    closest = f"；相近的名称：{'、'.join(hints)}" if hints else ""
    message = f"责任单位“{name}”不是已登记的部门，按原文保留{closest}"
    if ctx.strict:
        raise ParseError(message, file=ctx.source, line=line, expected="已登记部门的名称")
    ctx.warnings.append(ParseWarning(line, message))
    return None


def _roles(
    task: _Task, first_leads: bool, everyone: list[str], ctx: _Context
) -> tuple[ParsedResponsibility, ...]:
    parties = task.grammar.parties
    explicit_lead = any(p.kind == "lead" for p in parties)
    result: list[ParsedResponsibility] = []
    seen: set[str] = set()

    def add(name: str, agency: str | None, role: Role, government: bool = False) -> None:
        ident = agency or f"name:{name}"
        if ident not in seen:
            seen.add(ident)
            if agency is not None:
                party = PartyKind.AGENCY
            else:
                party = PartyKind.GOVERNMENT if government else PartyKind.UNREGISTERED
            result.append(ParsedResponsibility(name, agency, role, party))

    leads = {ctx.registry.resolve(p.name) for p in parties if p.kind == "lead" and not p.group}
    for index, party in enumerate(parties):
        role: Role
        if party.kind == "lead":
            role = Role.LEAD
        elif party.kind == "support":
            role = Role.SUPPORT
        elif explicit_lead:
            role = Role.SUPPORT
        elif first_leads:
            role = Role.LEAD if index == 0 else Role.SUPPORT
        elif len(parties) == 1 and not party.group:
            role = Role.LEAD
        else:
            role = Role.JOINT
        if party.group:
            for key in everyone:
                if key not in leads:
                    add(party.name, key, role)
            continue
        add(party.name, _resolve(party.name, party.government, task.clause_line, ctx), role, party.government)
    return tuple(result)


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
        return bool(names) and all(n and registry.resolve(n) for n in names)

    # --- tasks
    tasks: list[_Task] = []
    for item in _items(lines, warnings):
        flat = _Flat.build(lines, item.start, item.end, item.marker.end)
        if not flat.text:
            continue
        clause = _find_clause(flat, is_names_only)
        if clause is None:
            continue
        body = flat.text[: clause.open].strip()
        clause_line = flat.line_of[clause.open]
        if not clause.closed:
            warnings.append(ParseWarning(clause_line, f"责任条款缺少右括号：“{clause.content}”"))
        tasks.append(
            _Task(
                section=item.section,
                number=item.marker.label,
                text=body,
                clause=clause.content,
                grammar=read_clause(_strip_convention(clause.content)),
                line=item.start + 1,
                clause_line=clause_line,
                lines=range(item.start, clause_line),
            )
        )

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
    if not issuers:
        warnings.append(ParseWarning(None, "未找到发文单位（文头或落款），发文单位留空"))
    jurisdiction, level, conflicting = meta.jurisdiction_of(name for name, _, _ in found)
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
    named = {registry.resolve(p.name) for t in tasks for p in t.grammar.parties if not p.group}
    named |= set(issuers)
    everyone = list(issuers) if len(issuers) > 1 else [k for k in registry.keys() if k in named]

    parsed: list[ParsedTask] = []
    seen_ids: set[tuple[str | None, str]] = set()
    for task in tasks:
        first_leads = convention is not None and task.clause_line >= convention
        grammar = task.grammar
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
        if not grammar.parties:
            warnings.append(ParseWarning(task.clause_line, f"责任条款“{task.clause}”没有写明责任单位"))
        if any(p.group for p in grammar.parties) and not everyone:
            warnings.append(ParseWarning(task.clause_line, "“各部门”无法展开：未找到发文单位"))
        responsibilities = _roles(task, first_leads, everyone, ctx)
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
                doubts=task.doubts,
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
