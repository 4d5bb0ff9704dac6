"""Responsibility clauses: finding the bracketed group that closes a task, and reading its grammar.

A clause is the last bracketed group of an item that ends a line (or the item) and whose content ends in
负责 (or 牵头, 配合, 参与, 协助 …), carries labels (牵头单位：… 责任单位：…), or lists only unit names.
Brackets may be （）, (), 〔〕, [] or 【】, full- or half-width and mixed; the text reaches the clause with
line breaks already removed, so a clause (or a department name) split by a page break reads whole.

This module knows the grammar only; names are resolved by the parser. Every party keeps its name as
written; the grammar says how it was written: a verb's kind (lead, support, generic, none), whether it is
the expandable 各部门, a vague group (有关部门, 各有关单位, 国务院相关部门), or a local government
(各省级人民政府, 各乡镇, 各县（市、区）).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "CLAUSE_WORDS",
    "CLOSE",
    "MAX_CLAUSE_CHARS",
    "OPEN",
    "ClauseGrammar",
    "RawParty",
    "find_clause_open",
    "has_label",
    "is_government",
    "is_remark",
    "is_vague_group",
    "looks_like_unit",
    "plausible_name",
    "read_clause",
    "read_party_list",
    "split_top",
]

OPEN = "（(〔[【［"
CLOSE = "）)〕]】］"
SEPARATORS = "，,；;"
MAX_CLAUSE_CHARS = 400

# --------------------------------------------------------------------------- verbs

_TAIL = r"(?:负责|落实|实施|推进|组织实施|抓总|组织|做好|抓好|推动|办理|执行|相关工作|工作){0,3}"
_LEAD = re.compile(rf"(?:(?:共同|总)?牵头{_TAIL}|负总责|主责|主抓)$")
_SUPPORT = re.compile(rf"(?:配合|参与|协助|协同|协办|支持|指导){_TAIL}$")
_GENERIC = re.compile(rf"(?:负责|落实|承担|实施|执行|推进|抓落实|组织实施){_TAIL}$")
#: adverbs between the names and the verb: 按照职责分工, 分别, 共同, 具体 …
_MANNER = re.compile(
    r"(?:(?:按照|按|根据|依据|依照|依|结合)(?:各自|部门|工作)?(?:职能职责|工作职责|部门职责|职责|职能)?(?:分工)?"
    r"|(?:职责)?分工|各自|分别|共同|具体|积极|切实|认真|主动|全力|统筹|协调)+$"
)
CLAUSE_WORDS = re.compile(
    r"(?:负责|牵头|配合|参与|协助|协同|协办|负总责)(?:落实|实施|推进|组织实施|相关工作|工作)?$"
)

# --------------------------------------------------------------------------- labels

_PERSON_LABEL = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:领导|同志|负责人|责任人|联系人)[:：]")
_DIVISION_LABEL = re.compile(r"^(?:部门|责任|任务|职责)?分工[:：]")
_TIME_LABEL = re.compile(r"^(?:完成|办结)?(?:时限|时间)(?:要求|节点)?[:：]|^时间节点[:：]")
_PARTY_LABEL = re.compile(
    r"^(?P<q>(?:主要|牵头|主办|主责|责任|配合|协同|协办|协作|协调|参与|协助|支持|指导|实施|落实|承办|具体|负责)*)"
    r"(?:单位|部门|主体)(?:[（(][^（()）]{1,6}[）)])?[:：]"
)
_SUPPORT_WORDS = ("配合", "协同", "协办", "协作", "协调", "参与", "协助", "支持", "指导")
#: a role written after a name: 县民政局（牵头）、县财政局（配合）
_ROLE_MARK = re.compile(r"[（(](?P<role>牵头|主办|牵头单位|配合|协办|配合单位|参与|负责)[）)]$")

# --------------------------------------------------------------------------- remarks

_REMARK = re.compile(
    r"^(?:\d{4}\s*年|\d{4}[-—–~至]|年内|年底|年末|今年|明年|当年|长期|持续|常态化|定期|每年|每季|每月|每半年"
    r"|按季度|按月|逐年|分年度|[一二三四五六七八九十\d]{1,2}月|上半年|下半年|到\d{4}|力争|下同|以下同"
    r"|排名不分先后|不分先后|不再)"
)

# --------------------------------------------------------------------------- groups and governments

_PLACE = r"(?:自治区|直辖市|自治州|自治县|街道|地区|社区|乡镇|[省市县区乡镇州旗盟村])"
_LISTED_PLACE = r"(?:自治区|直辖市|自治州|自治县|[省市县区州旗盟])"
_PLACE_LIST = re.compile(rf"各?{_LISTED_PLACE}(?:、{_LISTED_PLACE})+(?![、\u4e00-\u9fff]{{0,2}}[直各])")
_EXPANDABLE = re.compile(r"^各(?:部门|单位|成员单位)$")
_QUAL = r"(?:各有关|各相关|各|全体|所有|有关|相关|其他|其它|其余|涉及|责任|成员|职能|主管|行业)"
_NOUN = r"(?:企事业单位|成员单位|职能部门|直属机构|部门单位|部门|单位|机构|部委|组织|方面|主体|专班)"
_VAGUE = re.compile(
    rf"^[\u4e00-\u9fff]{{0,8}}?{_QUAL}+[\u4e00-\u9fff]{{0,4}}?{_NOUN}(?:(?:和|及|与|、){_QUAL}*{_NOUN})*$"
)
_BARE = re.compile(
    r"^(?:部门|单位|机构|部委|成员单位|部门单位|单位部门|部门和单位|单位和部门|部门及单位|方面"
    r"|[\d一二三四五六七八九十]+个?(?:部门|单位))$"
)
_GOV_END = re.compile(r"(?:人民政府|政府|党委|党委和政府|党委政府|管委会|管理委员会|办事处)$")
_GOV_PLACE = re.compile(rf"^(?:地方)?各(?:地|级|{_PLACE}|县市区|市县|市州|县区)+$")
_VAGUE_GOV = re.compile(r"^(?:各|有关|相关|地方|全体|所有)|级|[（(、]")
_BRACKETED = re.compile(r"[（(][^（()）]*[）)]")
_JOINER = re.compile(r"以及|和|及|与")
_UNIT_END = re.compile(
    r"(?:部|厅|局|委|办|会|院|署|行|中心|政府|单位|部门|公司|集团|海关|联|室|处|站|队|所|区|街道|乡|镇)$"
)
_NOT_IN_NAMES = re.compile(r"[的之将要应把向是为在了含]|工作|任务|此项|其中|包括|简称|以下|涉及|不再")


def split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside brackets: 市（州、县）民政局 stays whole, and so does a list of place
    words that names one group (各县、市、区政府, 省、自治区、直辖市人民政府)."""
    protected: set[int] = set()
    if "、" in separators:
        for m in _PLACE_LIST.finditer(text):
            if m.start() == 0 or text[m.start() - 1] in SEPARATORS + "、：:" + OPEN:
                protected.update(range(m.start(), m.end()))
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif ch in separators and depth == 0 and i not in protected:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def find_clause_open(text: str, close: int) -> int | None:
    """Index of the bracket that opens the group closed at ``close`` (any width or shape), or None."""
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


def _plain(name: str) -> str:
    previous = None
    while previous != name:
        previous, name = name, _BRACKETED.sub("", name)
    return name


def is_government(name: str) -> bool:
    """A local government (or several): 县人民政府, 各省级人民政府, 各地, 各乡镇（街道）, 各县、市、区."""
    plain = _plain(name).replace("、", "")
    return bool(_GOV_END.search(plain) or _GOV_PLACE.match(plain))


def is_vague_group(name: str) -> bool:
    """A group the document does not spell out: 有关部门, 各有关单位, 国务院相关部门, 各省级人民政府."""
    if _EXPANDABLE.match(name):
        return False
    if is_government(name):
        return bool(_VAGUE_GOV.search(name))
    return bool(_VAGUE.match(_plain(name)))


def plausible_name(name: str) -> bool:
    """No words that a unit's name never holds (的, 任务, 工作, 包括 …) and no sentence punctuation."""
    plain = _plain(name)
    return not _NOT_IN_NAMES.search(plain) and not re.search(r"[，,。；;“”\"]", plain)


def looks_like_unit(name: str) -> bool:
    """A name that reads like an organisation's (ends in 部/厅/局/委/办/中心/政府 …), for names-only clauses."""
    plain = _plain(name)
    return (
        2 <= len(plain) <= 30
        and bool(_UNIT_END.search(plain))
        and not _NOT_IN_NAMES.search(plain)
        and not re.search(r"[\d，,。；;：:“”\"]", plain)
    )


def is_remark(segment: str) -> bool:
    """A part of a clause that names nobody: a deadline (年内持续推进, 2025年底前完成) or 下同."""
    return bool(_REMARK.match(segment))


def has_label(content: str) -> bool:
    """Whether a clause's content opens with a label (牵头单位：, 责任单位：, 牵头负责领导：)."""
    return _label(content.strip()) is not None


@dataclass(frozen=True)
class RawParty:
    """A party as the clause writes it, before its name is resolved.

    ``kind``: lead (牵头, or the first of A会同B), support (配合/参与/协助, or B of A会同B),
    generic (负责 / 按照职责分工负责), none (no verb at all, e.g. a names-only clause).
    """

    name: str
    kind: str
    group: bool = False  #: 各部门 / 各成员单位: every department of the document (the seeds' rule)
    government: bool = False  #: 各省级人民政府, 各地, 县人民政府: a local government, not an agency
    vague: bool = False  #: 有关部门, 各有关单位, 各省级人民政府: a group the document does not spell out


@dataclass
class ClauseGrammar:
    """The parties of one clause in the order written, and remarks for warnings."""

    parties: list[RawParty] = field(default_factory=list)
    stray_comma: bool = False
    etc: bool = False
    has_verb: bool = False
    labelled: bool = False  #: the parties came with labels (牵头单位：…)
    remarks: list[str] = field(default_factory=list)  #: parts naming nobody (年内持续推进), for the hints


def _label(segment: str) -> tuple[str, str] | None:
    """(kind, the rest) when ``segment`` opens with a label; kind is lead/support/generic/person/time."""
    m = _PERSON_LABEL.match(segment)
    if m is not None:
        return "person", segment[m.end() :]
    m = _TIME_LABEL.match(segment)
    if m is not None:
        return "time", segment[m.end() :]
    m = _DIVISION_LABEL.match(segment)
    if m is not None:
        return "generic", segment[m.end() :]
    m = _PARTY_LABEL.match(segment)
    if m is None:
        return None
    q = m.group("q")
    if any(w in q for w in _SUPPORT_WORDS):  # 主要协作单位 supports: the support word wins over 主要
        kind = "support"
    elif any(w in q for w in ("牵头", "主要", "主办", "主责")):
        kind = "lead"
    else:
        kind = "generic"
    return kind, segment[m.end() :]


def _strip_verb(segment: str) -> tuple[str, str | None]:
    for kind, pattern in (("lead", _LEAD), ("support", _SUPPORT), ("generic", _GENERIC)):
        m = pattern.search(segment)
        if m is not None and m.start() > 0:
            names = segment[: m.start()]
            manner = _MANNER.search(names)
            if manner is not None:
                names = names[: manner.start()]
            return names, kind
    return segment, None


def _is_group_like(name: str) -> bool:
    return bool(_EXPANDABLE.match(name) or is_vague_group(name) or is_government(name))


def _top_positions(text: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    depth, inside = 0, []
    for ch in text:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        inside.append(depth > 0)
    return [m for m in pattern.finditer(text) if not inside[m.start()]]


def _split_joined(name: str) -> list[str]:
    """商务部和各有关省级人民政府 → 商务部, 各有关省级人民政府; 市级各有关部门及各县市区政府 → both groups;
    文化和旅游部, 有关部门和单位, 各级党委和政府 stay whole."""
    for m in _top_positions(name, _JOINER):
        left, right = name[: m.start()], name[m.end() :]
        if len(left) < 2 or len(right) < 3:
            continue
        both_units = len(left) >= 3 and _UNIT_END.search(left) and _UNIT_END.search(right)
        if _is_group_like(right) or both_units and not _is_group_like(name):
            return _split_joined(left) + _split_joined(right)
    return [name]


def _names(part: str, grammar: ClauseGrammar) -> list[str]:
    names: list[str] = []
    for raw in split_top(part, "、/／"):
        name = re.sub(r"^(?:并|均|分别|具体|统一)?由", "", raw.strip())
        extra: list[str] = []
        for m in reversed(_top_positions(name, re.compile("等"))):
            i = m.start()
            if i == 0 or name[i - 1] in "高中初同平对相均":
                continue
            rest = name[i + 1 :]
            if not rest or _BARE.match(rest):
                grammar.etc = True
                name = name[:i]
                break
            rest = re.sub(r"^(?:以及|和|及|与)", "", rest)
            if _is_group_like(rest) or _is_group_like(_split_joined(rest)[0]):
                grammar.etc = True
                extra = _split_joined(rest)
                name = name[:i]
                break
        names += [n for n in _split_joined(name) if n] if name else []
        names += extra
    return names


def _party(name: str, kind: str) -> RawParty:
    mark = _ROLE_MARK.search(name)
    if mark is not None and mark.start() > 0:
        role = mark.group("role")
        name = name[: mark.start()]
        if role.startswith(("牵头", "主办")):
            kind = "lead"
        elif role != "负责":
            kind = "support"
    return RawParty(
        name,
        kind,
        group=bool(_EXPANDABLE.match(name)),
        government=is_government(name),
        vague=is_vague_group(name),
    )


def read_clause(content: str) -> ClauseGrammar:
    """Read the grammar of a clause's content (without brackets and whitespace)."""
    grammar = ClauseGrammar()
    pending: list[str] = []  # names of segments without a verb, waiting for the next verb
    mode: str | None = None  # the kind a label gave: lead, support, generic, or person (skip)
    for segment in (s.strip() for s in split_top(content.strip("。.；;，, "), SEPARATORS)):
        if not segment:
            continue
        label = _label(segment)
        if label is not None:
            mode, segment = label
            segment = segment.strip()
            if mode in ("lead", "support", "generic"):
                grammar.labelled = True
                grammar.has_verb = True
            if mode == "time":
                grammar.remarks.append(segment)
                mode = None
                continue
            if not segment:
                continue
        if mode == "person":
            continue
        if is_remark(segment):
            grammar.remarks.append(segment)
            continue
        names_part, kind = _strip_verb(segment)
        names_part = names_part.replace("牵头会同", "会同")
        if kind is None and mode is not None:
            grammar.parties += [_party(n, mode) for n in _names(names_part, grammar)]
            continue
        if kind is None:
            pending.extend(_names(names_part, grammar))
            continue
        if mode in ("lead", "support") and kind == "generic":
            kind = mode
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
