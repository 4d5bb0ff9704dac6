"""任务分工 tables (序号 / 重点任务 / 牵头单位 / 配合单位 / 完成时限) → tasks.

A reader that finds tables in a document (docx, xlsx, pdf, html) hands them over as
:class:`duban.hookspecs.TableBlock`, merged cells already spread over every cell they cover; this module
finds each table's header row, reads each task row's number, text, parties (through the clause grammar's
list reader) and deadline.

The reading, in order (docs/import.md “表格形式的任务分工” says the same for a person):

1. the header is the first row among a table's first twelve that names at least two known columns, one of
   them a task or a responsibility column; a second header row right below it (责任单位 over 牵头单位 |
   配合单位) refines the columns it names. A title row above the header is skipped;
2. a table whose header names no responsibility column (牵头 / 配合 / 责任单位 …) is not a task table;
   a table without a header continues the task table before it when it has as many columns (a table
   broken over PDF pages, with or without the header repeated: repeated header rows are skipped);
3. a row whose filled cells all hold the same text (一、优化营商环境 across the table), or a numbered row
   without any party that is followed by rows numbered one level deeper, is a group row: it sets the
   section of the rows below; numbering as in the text parser (一、（一）1.), sections from outer levels;
4. the task's text is its text columns read left to right (考核指标：考核内容); rows that repeat the
   previous row's number and first text cell (a task cell merged over rows, each row with its own units)
   are one task with the rows' units united, a lead staying lead; so are rows that share a merged 序号
   with different texts (the document numbers them as one item): texts and units joined, with a doubt;
   a header naming responsible units but no task column takes its longest unnamed text column as the
   task's text, with a warning and a doubt;
5. every other row with a task text is a task: a row without a number is numbered by its position, a row
   whose responsibility cells are empty is kept with a doubt and a warning, nothing is dropped.

Pure: standard library, duban.hookspecs and duban.importing only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from duban.domain.vocabulary import ParseDoubt
from duban.hookspecs import TableBlock
from duban.importing.clauses import ClauseGrammar, read_clause, read_party_list
from duban.importing.model import Doubt, ParseWarning
from duban.importing.numbering import STYLE_RANK, Marker, cn_to_int, int_to_cn, match_marker
from duban.importing.script import to_simplified

__all__ = ["HEADERS", "TableTask", "table_tasks", "tables_note"]


@dataclass(frozen=True)
class TableTask:
    """One task row of a 任务分工 table, before its parties' names are resolved.

        ``grammar`` holds the parties with their kinds (lead from 牵头单位, support from 配合单位, generic from a
        lone 责任单位 column); ``deadline`` is the 完成时限 cell as written, a bare date made a due date
    (2030年6月 → 2030年6月底前), for the schedule hints;
        ``line`` the document line of the row; ``clause`` the cells the parties came from, for warnings.
    """

    section: str | None
    number: str
    text: str
    grammar: ClauseGrammar
    line: int
    clause: str
    deadline: str | None = None
    doubts: tuple[Doubt, ...] = ()


# --------------------------------------------------------------------------- headers

_LEVEL = r"(?:[省市县区乡镇州盟旗]级|[省市县区]直)?"
_UNIT = r"(?:单位|部门|科室|处室|机构|主体)"
#: Column kinds and the header texts (whitespace removed) that name them, checked in this order.
#: ``generic`` is a lone 责任单位 column; beside a 牵头 column it is read as ``support``.
HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "lead",
        re.compile(rf"^{_LEVEL}(?:牵头|主要责任|主责|主办|牵头责任|责任牵头|总牵头)(?:负责|责任)?{_UNIT}"),
    ),
    (
        "support",
        re.compile(
            rf"^{_LEVEL}(?:配合|参与|协办|协同|协助|协作|共同责任|其他责任|其他参与|指导)(?:责任)?{_UNIT}"
        ),
    ),
    (
        "generic",
        re.compile(
            rf"^{_LEVEL}(?:责任|负责|承办|落实|办理|主体责任|具体责任|责任主体){_UNIT}|^责任分工$|^分工$"
        ),
    ),
    ("ignore", re.compile(r"领导|责任人|联系人|电话|备注|说明|分值|评分|监督|实施|考核项目|考核方式")),
    (
        "deadline",
        re.compile(
            r"^(?:完成|办结|落实)?(?:时限|时间|期限)(?:要求|安排|节点|进度)?"
            r"|^时间(?:进度|安排|节点|要求)|^进度安排|^计划完成"
        ),
    ),
    ("number", re.compile(r"^(?:序号|编号|序|号|No\.?|项次|任务编号)$", re.IGNORECASE)),
    ("area", re.compile(r"^(?:重点|主要|工作)?(?:领域|类别|方面|板块|类型)$")),
    ("target", re.compile(r"^(?:主要|工作|预期|任务|年度)?目标(?:任务)?$")),
    (
        "task",
        re.compile(r"任务|措施|举措|事项|内容|重点工作|工作要点|工作安排|要求|名称|指标|工作|标准"),
    ),
)
_RESPONSIBLE = {"lead", "support", "generic"}
_MAX_HEADER_ROW = 12
_MAX_HEADER_CELL = 16
#: the average length a column's cells need to be taken as the task column when no header says so
_MIN_GUESSED_TASK_CHARS = 6
_TRAILING = "。.;；，,、 "
_NOTE = re.compile(r"^(?:注|备注|说明|附注)[:：]|^注[0-9一二三四五六七八九十]")
_SPACE = re.compile(r"\s+")
_LABELLED = re.compile(
    r"(?P<label>牵头(?:单位|部门)?|配合(?:单位|部门)?|参与(?:单位|部门)?|协办(?:单位|部门)?"
    r"|责任(?:单位|部门)|指导(?:单位|部门))\s*[:：]"
)
_MARKED = re.compile(
    r"(?P<name>[^、，,；;\s（()）]+)\s*[（(](?P<mark>牵头|主责|配合|参与|协办)(?:单位|部门)?[）)]"
)
_CLAUSE_HINT = re.compile(r"牵头|配合|负责|参与|协助|协办|会同")
_DIGITS = re.compile(r"^[0-9]{1,3}$")


def _squeeze(text: str) -> str:
    return _SPACE.sub("", text)


def _kind_of(header: str) -> str | None:
    text = _squeeze(header).strip(":：*")
    if not text or len(text) > _MAX_HEADER_CELL or match_marker(text) is not None:
        return None  # 二、完善保障措施 is a group row, not a header
    for kind, pattern in HEADERS:
        if pattern.search(text):
            return kind
    return None


@dataclass
class _Columns:
    """What each column of a task table holds."""

    kinds: list[str | None]
    header: list[str]
    number: int | None = None
    texts: list[int] = field(default_factory=list)  #: the task's text, read left to right
    area: int | None = None  #: 领域 / 类别: the section
    lead: list[int] = field(default_factory=list)
    support: list[int] = field(default_factory=list)
    generic: list[int] = field(default_factory=list)
    deadline: int | None = None
    #: the header of the column taken as the task's text although no header names it a task column
    guessed_task: str | None = None

    @property
    def responsible(self) -> bool:
        return bool(self.lead or self.support or self.generic)

    @property
    def task(self) -> int | None:
        return self.texts[0] if self.texts else None

    def names(self, indices: Sequence[int]) -> str:
        return "、".join(self.header[i] for i in indices)


def _header_score(row: Sequence[str]) -> tuple[int, list[str | None]]:
    kinds = [_kind_of(cell) for cell in row]
    # a merged header cell repeats: count each distinct header once
    seen: set[str] = set()
    score = 0
    for cell, kind in zip(row, kinds, strict=True):
        if kind is not None and kind != "ignore" and _squeeze(cell) not in seen:
            seen.add(_squeeze(cell))
            score += 1
    return score, kinds


def _find_header(table: TableBlock) -> tuple[int, list[str | None], list[str]] | None:
    """(index of the last header row, column kinds, column headers), or None."""
    for index, row in enumerate(table.rows[:_MAX_HEADER_ROW]):
        score, kinds = _header_score(row)
        if score < 2 or not ({"task", "lead", "support", "generic"} & set(filter(None, kinds))):
            continue
        headers = [_squeeze(c) for c in row]
        if index + 1 < len(table.rows):  # 责任单位 over 牵头单位 | 配合单位
            below = table.rows[index + 1]
            below_kinds = [_kind_of(c) for c in below]
            refines = any(
                k is not None and _squeeze(b) != h
                for k, b, h in zip(below_kinds, below, headers, strict=True)
            )
            all_header = all(
                k is not None or not _squeeze(b) or _squeeze(b) == h
                for k, b, h in zip(below_kinds, below, headers, strict=True)
            )
            distinct = {_squeeze(b) for b in below if _squeeze(b)}
            if refines and all_header and len(distinct) >= 2:
                for i, (k, b) in enumerate(zip(below_kinds, below, strict=True)):
                    if k is not None:
                        kinds[i] = k
                        headers[i] = _squeeze(b)
                index += 1
        return index, kinds, headers
    return None


def _columns(kinds: list[str | None], headers: list[str], table: TableBlock, start: int) -> _Columns:
    cols = _Columns(kinds, headers)
    tasks: list[int] = []
    targets: list[int] = []
    for i, kind in enumerate(kinds):
        if kind == "number" and cols.number is None:
            cols.number = i
        elif kind == "lead":
            cols.lead.append(i)
        elif kind == "support":
            cols.support.append(i)
        elif kind == "generic":
            cols.generic.append(i)
        elif kind == "deadline" and cols.deadline is None:
            cols.deadline = i
        elif kind == "area" and cols.area is None:
            cols.area = i
        elif kind == "task":
            tasks.append(i)
        elif kind == "target":
            targets.append(i)
    # a merged header spans columns: keep one column per distinct header of a kind
    for attr in ("lead", "support", "generic"):
        kept: list[int] = []
        for i in getattr(cols, attr):
            if (
                not kept
                or headers[i] != headers[kept[-1]]
                or _column(table, i, start) != _column(table, kept[-1], start)
            ):
                kept.append(i)
        setattr(cols, attr, kept)
    if cols.generic and cols.lead:  # 牵头单位 + 责任单位: the 责任单位 column names the others
        cols.support += cols.generic
        cols.generic = []
    # the task's text: the task columns (重点任务 + 具体措施, 考核指标 + 考核内容) left to right; 目标 columns
    # only when there is no task column (a 目标责任分解 table)
    texts = tasks or targets
    cols.texts = [
        i
        for n, i in enumerate(texts)
        if not any(_column(table, i, start) == _column(table, j, start) for j in texts[:n])
    ]
    if not cols.texts and cols.responsible:
        # 民生实事, 项目 …: no header names the task column; the unnamed column with the longest texts is it
        taken = {cols.number, cols.area, cols.deadline, *cols.lead, *cols.support, *cols.generic}
        best, best_length = None, 0.0
        for i, kind in enumerate(kinds):
            if kind is not None or i in taken:
                continue
            values = [_squeeze(v) for v in _column(table, i, start) if _squeeze(v)]
            length = sum(len(v) for v in values) / len(values) if values else 0.0
            if length > best_length:
                best, best_length = i, length
        if best is not None and best_length >= _MIN_GUESSED_TASK_CHARS:
            cols.texts = [best]
            cols.guessed_task = headers[best] or f"第 {best + 1} 列"
    if cols.number is None:  # a first column without a header (or an unusual one) that holds 1, 2, 3 …
        for i in range(cols.texts[0] if cols.texts else 0):
            values = [v.strip() for v in _column(table, i, start) if v.strip()]
            numbered = [v for v in values if len(v) <= 6 and _number(v)[0] is not None]
            if kinds[i] is None and values and len(numbered) >= 0.8 * len(values):
                cols.number = i
                break
    return cols


def _column(table: TableBlock, index: int, start: int) -> tuple[str, ...]:
    return tuple(row[index] if index < len(row) else "" for row in table.rows[start:])


# --------------------------------------------------------------------------- cells


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _one_line(text: str) -> str:
    """A cell's lines joined: no break between CJK characters, a space between ASCII words."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out = ""
    for line in lines:
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


_BARE_DATE = re.compile(
    r"(?P<y>20[0-9]{2})\s*(?:年|[-./])\s*(?:(?P<m>[0-9]{1,2})\s*(?:月|[-./])?\s*(?:(?P<d>[0-9]{1,2})\s*日?)?)?"
)


def _deadline(cell: str) -> str | None:
    """The 完成时限 cell for the schedule hints: a bare date in this column is the date the task is due by,
    so 2030年 reads as 2030年底前, 2030年6月 (or 2030-06) as 2030年6月底前, 2030年6月30日 as
    2030年6月30日前; any other wording (2030年6月底前, 长期坚持, 每季度) is kept as written."""
    text = _one_line(cell)
    if not text:
        return None
    bare = _BARE_DATE.fullmatch(_squeeze(text).rstrip("。.;；"))
    if bare is None:
        return text
    year, month, day = bare.group("y"), bare.group("m"), bare.group("d")
    if month is None:
        return f"{year}年底前"
    if day is None:
        return f"{year}年{int(month)}月底前"
    return f"{year}年{int(month)}月{int(day)}日前"


def _number(cell: str) -> tuple[Marker | None, str]:
    """The numbering marker of a 序号 cell (1 / 一 / （一） / 1.), or the cell as written."""
    text = _squeeze(cell).strip(_TRAILING)
    if not text:
        return None, ""
    if _DIGITS.match(text):
        return Marker("D", int(text), str(int(text)), len(text)), str(int(text))
    value = cn_to_int(text)
    if value is not None:
        return Marker("A", value, int_to_cn(value), len(text)), int_to_cn(value)
    marker = match_marker(_squeeze(cell))
    if marker is not None and not _squeeze(cell)[marker.end :].strip(_TRAILING):
        return marker, marker.label
    return None, text


def _parties(cell: str, kind: str) -> ClauseGrammar:
    """A responsibility cell's parties: names of ``kind``; a cell that says who leads is read as written.

    ``A（牵头）、B`` marks A as lead; ``牵头单位：A；配合单位：B`` labels its lists; ``A牵头，B配合`` is a
    clause and read with the clause grammar.
    """
    text = cell.strip()
    if not text:
        return ClauseGrammar(has_verb=True)
    if _LABELLED.search(text):
        grammar = ClauseGrammar(has_verb=True)
        matches = list(_LABELLED.finditer(text))
        head = text[: matches[0].start()].strip(_TRAILING + "\n")
        if head:
            _merge(grammar, read_party_list(head, kind))
        for n, m in enumerate(matches):
            end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
            label = m.group("label")
            part_kind = (
                "lead" if label.startswith("牵头") else "generic" if label.startswith("责任") else "support"
            )
            if part_kind == "generic":
                part_kind = kind
            _merge(grammar, read_party_list(text[m.end() : end].strip(_TRAILING + "\n"), part_kind))
        return grammar
    flat = "，".join(_squeeze(line) for line in text.splitlines() if line.strip())
    if _CLAUSE_HINT.search(re.sub(r"[（(](?:牵头|配合|参与|协办)(?:单位|部门)?[）)]", "", flat)):
        clause = read_clause(flat)
        if clause.has_verb and clause.parties:
            return clause
    marks: dict[str, str] = {}

    def unmark(m: re.Match[str]) -> str:
        marks[m.group("name")] = "lead" if m.group("mark") in ("牵头", "主责") else "support"
        return m.group("name")

    grammar = read_party_list(_MARKED.sub(unmark, text), kind)
    grammar.parties = [replace(p, kind=marks.get(p.name, p.kind)) for p in grammar.parties]
    return grammar


def _merge(into: ClauseGrammar, other: ClauseGrammar) -> None:
    into.parties += other.parties
    into.etc = into.etc or other.etc
    into.stray_comma = into.stray_comma or other.stray_comma


# --------------------------------------------------------------------------- rows


@dataclass
class _State:
    """What carries from row to row and from a table to its continuation."""

    columns: _Columns | None = None
    width: int = 0
    header_row: tuple[str, ...] = ()
    enclosing: dict[int, str] = field(default_factory=dict)  # rank -> label of the latest group row
    group: str | None = None  # the latest unnumbered group row
    position: int = 0
    previous: tuple[str, str] | None = None  # (number cell, first text cell) of the last task row
    rows_in_last: int = 0  # how many rows the last task was gathered from


def _enter(state: _State, marker: Marker) -> None:
    rank = STYLE_RANK[marker.style]
    for deeper in [r for r in state.enclosing if r >= rank]:
        del state.enclosing[deeper]
    state.enclosing[rank] = marker.label


def _section(state: _State, marker: Marker | None) -> str | None:
    rank = STYLE_RANK[marker.style] if marker is not None else None
    outer = [r for r in state.enclosing if rank is None or r < rank]
    if outer:
        return state.enclosing[max(outer)]
    return state.group


def _group_row(text: str, state: _State) -> None:
    text = _one_line(text)
    if _NOTE.match(text):
        return  # 注：列第一位者为牵头单位 — the parser reads it from the text
    marker = match_marker(text)
    if marker is not None:
        _enter(state, marker)
        state.group = None
    elif len(text) <= 30:
        state.group = text
        state.enclosing.clear()


def _row_marker(row: Sequence[str], columns: _Columns) -> Marker | None:
    if columns.number is not None and _cell(row, columns.number):
        return _number(_cell(row, columns.number))[0]
    return match_marker(_one_line(_cell(row, columns.task)))


def _is_heading(rows: Sequence[Sequence[str]], index: int, columns: _Columns, marker: Marker | None) -> bool:
    """A numbered row without parties or deadline is a heading when the next numbered row is a level deeper."""
    if marker is None:
        return False
    for row in rows[index + 1 :]:
        following = _row_marker(row, columns)
        if following is not None:
            return STYLE_RANK[following.style] > STYLE_RANK[marker.style]
    return False


def _simplified(table: TableBlock) -> TableBlock:
    """The table in simplified characters when it is written in traditional ones (as the parser does with
    the text: 牽頭單位 is 牵头单位, 農業農村部 is 农业农村部)."""
    block = "\n".join("\t".join(c.replace("\n", "\x1e") for c in row) for row in table.rows)
    converted, changed = to_simplified(block)
    if not changed:
        return table
    rows = tuple(tuple(c.replace("\x1e", "\n") for c in line.split("\t")) for line in converted.split("\n"))
    if [len(r) for r in rows] != [len(r) for r in table.rows]:
        return table
    return replace(table, rows=rows)


def table_tasks(tables: Sequence[TableBlock], warnings: list[ParseWarning]) -> list[TableTask]:
    """The task rows of every table that looks like a 任务分工 (has a header naming responsible units)."""
    tasks: list[TableTask] = []
    state = _State()
    for table in (_simplified(t) for t in tables):
        if not table.rows:
            continue
        width = max(len(r) for r in table.rows)
        found = _find_header(table)
        continued = False
        if found is not None:
            start, kinds, headers = found
            kinds += [None] * (width - len(kinds))
            headers += [""] * (width - len(headers))
            columns = _columns(kinds, headers, table, start + 1)
            where = table.where or "表格"
            named = "、".join(h for h in dict.fromkeys(headers) if h)
            if columns.guessed_task is not None:
                warnings.append(
                    ParseWarning(
                        table.row_lines[start],
                        f"{where}的表头（{named}）没有认得的任务列，按文字最长的“{columns.guessed_task}”列"
                        "作为任务正文，请核对",
                    )
                )
            if not columns.responsible or columns.task is None:
                if columns.task is not None or columns.responsible:
                    missing = (
                        "“牵头单位”“责任单位”或“配合单位”列"
                        if not columns.responsible
                        else "“重点任务”“工作任务”之类的任务列"
                    )
                    warnings.append(
                        ParseWarning(
                            table.row_lines[start],
                            f"{where}的表头（{named}）没有{missing}，不作为任务分工表读取",
                        )
                    )
                state = _State()
                continue
            continued = state.columns is not None and state.width == width and state.columns.kinds == kinds
            if not continued:
                state = _State()
            state.columns, state.width = columns, width
            state.header_row = tuple(_squeeze(c) for c in table.rows[start])
            first = start + 1
        elif state.columns is not None and state.width == width:
            first, continued = 0, True  # a task table going on after a page break, header not repeated
        else:
            numbered = any(_number(next((c for c in r if c.strip()), ""))[0] is not None for r in table.rows)
            if state.columns is not None and numbered:
                warnings.append(
                    ParseWarning(
                        table.row_lines[0],
                        f"{table.where or '表格'}紧接在任务分工表之后，但没有表头、列数（{width}）也与上表"
                        f"（{state.width}）不同，没有作为任务读取：请核对是否漏了任务",
                    )
                )
            state = _State()
            continue
        _rows(table, first, continued, state, tasks, warnings)
    return tasks


def _join(pieces: Sequence[str]) -> str:
    """Text cells of one task, left to right: 考核指标 + 考核内容 → 指标：内容."""
    out = ""
    for piece in pieces:
        if out and out[-1] not in "。；;：:，,！!？?":
            out += "："
        out += piece
    return out


@dataclass
class _Row:
    """One table row as the task it describes."""

    index: int
    number_cell: str
    first: str  #: the text as written that ties the rows of one merged task (see _read_row)
    pieces: list[str]
    marker: Marker | None
    number: str
    responsible: bool
    deadline: str | None
    heading: str | None = None  #: the section a numbered group cell of the row gives


def _read_row(row: Sequence[str], index: int, columns: _Columns) -> _Row:
    number_cell = _cell(row, columns.number)
    pieces: list[str] = []
    for i in columns.texts:
        piece = _one_line(_cell(row, i))
        if piece and piece not in pieces:
            pieces.append(piece)
    # the key that ties the rows of one task: the first text cell when the text columns are one (their
    # header merged across, 主要目标 | 主要目标: a goal and its indicators), else every text cell
    same_header = len({columns.header[i] for i in columns.texts}) <= 1
    first = (pieces[0] if pieces else "") if same_header else "｜".join(pieces)
    marker, number = _number(number_cell) if number_cell else (None, "")
    if not number_cell and pieces:
        inline = match_marker(pieces[0])
        if inline is not None:
            marker, number = inline, inline.label
            pieces[0] = pieces[0][inline.end :].strip()
            pieces = [p for p in pieces if p]
    heading = None
    if number_cell and len(pieces) > 1:
        # 序号 | 一、强化关爱 (merged) | 建立台账: the numbered group cell is the section, not the text
        group = match_marker(pieces[0])
        if group is not None:
            heading = group.label
            pieces = pieces[1:]
    responsible = any(_cell(row, i) for i in columns.lead + columns.generic + columns.support)
    deadline = _one_line(_cell(row, columns.deadline)) or None
    return _Row(index, number_cell, first, pieces, marker, number, responsible, deadline, heading)


def _rows(
    table: TableBlock,
    first: int,
    continued: bool,
    state: _State,
    tasks: list[TableTask],
    warnings: list[ParseWarning],
) -> None:
    columns = state.columns
    assert columns is not None
    rows = table.rows
    where = table.where or "表格"
    for index in range(first, len(rows)):
        row = rows[index]
        line = table.row_lines[index]
        filled = [c.strip() for c in row if c.strip()]
        if not filled:
            continue
        if tuple(_squeeze(c) for c in row) == state.header_row:
            continue  # the header repeated on the next page
        if _continues_header(row, state.header_row, columns):
            continue  # 进展情况 over 一季度 … 四季度: the header's second row, its other cells spread down
        if len(set(filled)) == 1 and (len(filled) > 1 or _cell(row, columns.task) != filled[0]):
            _group_row(filled[0], state)
            continue
        read = _read_row(row, index, columns)
        if not read.pieces:
            if read.responsible:
                warnings.append(
                    ParseWarning(line, f"{where}第 {index + 1} 行有责任单位但没有任务内容，未导入")
                )
            continue
        if not read.responsible and not read.deadline:
            if _is_heading(rows, index, columns, read.marker):
                assert read.marker is not None
                _enter(state, read.marker)
                continue
            if continued and index == first and not read.number_cell and tasks:
                # the rest of a row cut by a page break: its text belongs to the last task
                last = tasks[-1]
                tasks[-1] = replace(last, text=last.text + _join(read.pieces))
                warnings.append(
                    ParseWarning(line, f"{where}第 {index + 1} 行接续上一页的任务“{last.text[:20]}”")
                )
                continue
        if tasks and state.previous == (read.number_cell, read.first) and read.first:
            # the task's cell merged over several rows, each with its own units: one task, units united
            tasks[-1] = _more(tasks[-1], table, read, row, state)
            continue
        if (
            tasks
            and read.number_cell
            and state.previous is not None
            and state.previous[0] == read.number_cell
        ):
            # the 序号 merged over rows with different texts (开工建设养护楼 / 开工建设老年大学): the document
            # numbers them as one item, so one task with the rows' texts and units joined
            tasks[-1] = _more(tasks[-1], table, read, row, state)
            state.previous = (read.number_cell, read.first)
            continue
        tasks.append(_task(table, read, row, state, warnings))


def _continues_header(row: Sequence[str], header: tuple[str, ...], columns: _Columns) -> bool:
    """A row whose task and responsibility cells repeat the header's: the header's merged second row."""
    keys = [i for i in (*columns.texts, *columns.lead, *columns.support, *columns.generic) if i < len(header)]
    return bool(keys) and all(header[i] and _squeeze(_cell(row, i)) == header[i] for i in keys)


def _parties_of(row: Sequence[str], columns: _Columns) -> tuple[ClauseGrammar, list[str]]:
    grammar = ClauseGrammar(has_verb=True)
    written: list[str] = []
    for indices, kind in ((columns.lead, "lead"), (columns.generic, "generic"), (columns.support, "support")):
        for i in indices:
            cell = _cell(row, i)
            if cell:
                _merge(grammar, _parties(cell, kind))
                written.append(f"{columns.header[i]}：{_one_line(cell)}")
    return grammar, written


def _responsible(columns: _Columns) -> list[int]:
    """The columns whose emptiness a warning names: 牵头单位 if there is one, else 责任单位, else 配合单位."""
    return columns.lead or columns.generic or columns.support


def _more(task: TableTask, table: TableBlock, read: _Row, row: Sequence[str], state: _State) -> TableTask:
    """``task`` with one more of its rows: the row's units (a lead stays lead), its text and deadline."""
    assert state.columns is not None
    grammar, written = _parties_of(row, state.columns)
    united = ClauseGrammar(has_verb=True, etc=task.grammar.etc or grammar.etc)
    united.stray_comma = task.grammar.stray_comma or grammar.stray_comma
    every = task.grammar.parties + grammar.parties
    leads = [p for p in every if p.kind == "lead"]
    lead_names = {p.name for p in leads}
    seen: set[tuple[str, str]] = set()
    for party in leads + [p for p in every if p.kind != "lead" and p.name not in lead_names]:
        if (party.name, party.kind) not in seen:
            seen.add((party.name, party.kind))
            united.parties.append(party)
    text = task.text
    for piece in read.pieces:
        if piece not in text:
            text = _join([text, piece])
    deadline = task.deadline
    row_deadline = _deadline(_cell(row, state.columns.deadline))
    if row_deadline and row_deadline != deadline:
        deadline = f"{deadline}；{row_deadline}" if deadline else row_deadline
    # the doubts about this task's units are decided again on the united units
    doubts = [d for d in task.doubts if not d.message.startswith("任务跨") and "为空" not in d.message]
    if not united.parties:
        doubts.append(Doubt(ParseDoubt.TABLE_CELL, f"{state.columns.names(_responsible(state.columns))}为空"))
    elif state.columns.lead and not any(p.kind == "lead" for p in united.parties):
        doubts.append(
            Doubt(ParseDoubt.TABLE_CELL, f"{state.columns.names(state.columns.lead)}为空，只有其他单位")
        )
    state.rows_in_last += 1
    doubts.append(
        Doubt(
            ParseDoubt.TABLE_CELL,
            f"任务跨 {state.rows_in_last} 行（合并单元格），各行的责任单位已合并",
        )
    )
    clause = "；".join(filter(None, [task.clause, *written]))
    return replace(task, text=text, grammar=united, deadline=deadline, doubts=tuple(doubts), clause=clause)


def _task(
    table: TableBlock, read: _Row, row: Sequence[str], state: _State, warnings: list[ParseWarning]
) -> TableTask:
    columns = state.columns
    assert columns is not None
    index, marker, number = read.index, read.marker, read.number
    line = table.row_lines[index]
    text = _join(read.pieces)
    doubts: list[Doubt] = []
    section = _section(state, marker)
    area = _one_line(_cell(row, columns.area))
    if read.heading is not None:
        section = read.heading
    elif area:
        inline = match_marker(area)
        section = inline.label if inline is not None else area
    state.position += 1
    state.rows_in_last = 1
    if not number:
        number = str(state.position)
        doubts.append(Doubt(ParseDoubt.TABLE_CELL, f"表格第 {index + 1} 行没有序号，按位置编为“{number}”"))
    elif marker is not None:
        for deeper in [r for r in state.enclosing if r >= STYLE_RANK[marker.style]]:
            del state.enclosing[deeper]
    state.previous = (read.number_cell, read.first)

    grammar, written = _parties_of(row, columns)
    if columns.guessed_task is not None:
        doubts.append(
            Doubt(ParseDoubt.TABLE_CELL, f"任务正文取自“{columns.guessed_task}”列（表头未写明任务列）")
        )
    if not grammar.parties:
        missing = columns.names(_responsible(columns))
        warnings.append(
            ParseWarning(
                line,
                f"{table.where or '表格'}中任务“{text[:20]}”的{missing}为空：任务已保留，请补充责任单位",
            )
        )
        doubts.append(Doubt(ParseDoubt.TABLE_CELL, f"{missing}为空"))
        written.append(f"{missing}：（空）")
    elif columns.lead and not any(p.kind == "lead" for p in grammar.parties):
        doubts.append(Doubt(ParseDoubt.TABLE_CELL, f"{columns.names(columns.lead)}为空，只有其他单位"))
    return TableTask(
        section=section,
        number=number,
        text=text,
        grammar=grammar,
        line=line,
        clause="；".join(written),
        deadline=_deadline(_cell(row, columns.deadline)),
        doubts=tuple(doubts),
    )


def tables_note(tables: Sequence[TableBlock]) -> str | None:
    """Why the tables of a document gave no task, for the no-tasks error (None when it has no table)."""
    if not tables:
        return None
    notes: list[str] = []
    for n, table in enumerate(tables, 1):
        if not table.rows:
            continue
        where = table.where or f"第 {n} 张表"
        found = _find_header(table)
        if found is None:
            continue
        start, kinds, headers = found
        named = "、".join(h for h in dict.fromkeys(headers) if h)
        if not _RESPONSIBLE & set(filter(None, kinds)):
            notes.append(f"{where}的表头“{named}”缺少“牵头单位”或“责任单位”列")
        elif "task" not in kinds and "target" not in kinds:
            notes.append(f"{where}的表头“{named}”缺少“重点任务”之类的任务列")
        else:
            notes.append(f"{where}的表头“{named}”下没有任务行")
    count = sum(1 for t in tables if t.rows)
    if not notes:
        return f"文件中有 {count} 张表格，但都没有“序号、重点任务、牵头单位、配合单位”之类的表头"
    return f"文件中有 {count} 张表格：" + "；".join(notes[:3]) + ("……" if len(notes) > 3 else "")
