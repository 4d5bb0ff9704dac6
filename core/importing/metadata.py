"""Document metadata: doc number, title, issuers, date, jurisdiction, level, status, implemented document.

Every finder takes the document's lines and returns what it found with the (1-based) line it found it on,
or None. The parser turns a None into a warning; nothing here guesses silently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from duban.domain.agencies import AgencyRegistry
from duban.domain.jurisdictions import PROVINCES
from duban.importing.dates import parse_date

__all__ = [
    "DOC_NUMBER",
    "comment_deadline",
    "doc_number",
    "government_issuers",
    "implements",
    "is_draft",
    "issued_date",
    "issuer_names",
    "jurisdiction_of",
    "normalize_doc_number",
    "squeeze",
    "title",
]

DOC_NUMBER = re.compile(
    r"(?P<org>[\u4e00-\u9fff]{1,12})\s*[〔［\[【(（]\s*(?P<year>\d{4})\s*[〕］\]】)）]\s*第?\s*(?P<n>\d{1,4})\s*号"
)
_DOC_TYPES = r"(?:意见|方案|通知|办法|规划|计划|决定|细则|规定|纲要|措施|要点|指引|指南|制度|机制|清单|安排)"
_TITLE_END = re.compile(rf"{_DOC_TYPES}(?:（试行）|\(试行\))?$")
_DRAFT_MARK = re.compile(r"[（(]\s*(?:征求意见稿|送审稿|讨论稿|草案|意见征求稿)\s*[）)]")
_DRAFT_WORDS = re.compile(r"征求意见稿|送审稿|讨论稿|意见征集|公开征求意见")
_WRAPPERS = (
    re.compile(r"关于印发《(?P<t>[^《》]{4,80})》的通知"),
    re.compile(r"现将《(?P<t>[^《》]{4,80})》印发"),
    re.compile(r"关于转发《(?P<t>[^《》]{4,80})》的通知"),
)
_ISSUER_PUNCT = re.compile(r"[，,。：:；;、《》“”\"!！?？>·|]")
_DEADLINE = re.compile(r"(?:截止|截至|反馈)(?:时间|日期)?(?:为|是|至)?\s*[:：]?\s*")
_IMPLEMENTS = re.compile(
    r"(?:根据|按照|依据|贯彻|落实|贯彻落实)[^。]{0,160}?[（(]\s*(?P<no>"
    + DOC_NUMBER.pattern.replace("(?P<org>", "(?:").replace("(?P<year>", "(?:").replace("(?P<n>", "(?:")
    + r")\s*[）)]"
)
_SHORT_PROVINCES = {
    re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", n): n for _, n in PROVINCES
}


def squeeze(text: str) -> str:
    """Remove every kind of whitespace (line breaks, full-width spaces)."""
    return "".join(ch for ch in text if not ch.isspace())


def normalize_doc_number(text: str) -> str | None:
    """民发〔2019〕86 号, 民发[2019]86号 … → 民发〔2019〕86号."""
    m = DOC_NUMBER.search(squeeze(text))
    if m is None:
        return None
    return f"{m.group('org')}〔{m.group('year')}〕{int(m.group('n'))}号"


def doc_number(lines: Sequence[str], skip: set[int]) -> tuple[str | None, int | None]:
    """The document's own number: a line that is only a doc number (or 文号：…)."""
    for i, line in enumerate(lines):
        if i in skip:
            continue
        s = squeeze(line)
        if not s or len(s) > 40:
            continue
        s = re.sub(r"^(?:文号|发文字号|索引号)[:：]", "", s)
        m = DOC_NUMBER.fullmatch(s)
        if m is not None:
            return normalize_doc_number(s), i + 1
    return None, None


def implements(lines: Sequence[str], own: str | None) -> tuple[str | None, int | None]:
    """The doc number in 根据/按照…《…》（民发〔2019〕86号）要求 — the document this one implements."""
    joined, starts = [], []
    pos = 0
    for line in lines:
        s = squeeze(line)
        starts.append(pos)
        joined.append(s)
        pos += len(s)
    text = "".join(joined)
    for m in _IMPLEMENTS.finditer(text):
        number = normalize_doc_number(m.group("no"))
        if number and number != own:
            index = max(i for i, start in enumerate(starts) if start <= m.start("no"))
            return number, index + 1
    return None, None


def _clean_title(s: str) -> str:
    s = _DRAFT_MARK.sub("", s)
    if s.startswith("《") and s.endswith("》"):
        s = s[1:-1]
    return s


def title(lines: Sequence[str], before: int) -> tuple[str | None, int | None]:
    """The title: inside 关于印发《…》的通知 / 现将《…》印发, else the first heading-like line."""
    head = [squeeze(line) for line in lines[:before]]
    joined = "".join(head)
    for pattern in _WRAPPERS:
        m = pattern.search(joined)
        if m is not None:
            offset, line = 0, 1
            for i, s in enumerate(head):
                if offset + len(s) > m.start("t"):
                    line = i + 1
                    break
                offset += len(s)
            return _clean_title(m.group("t")), line
    for i, s in enumerate(head):
        candidate = _clean_title(s)
        if not _TITLE_END.search(candidate) or re.search(r"[。，,：:；;]", candidate):
            continue
        if candidate.startswith(("附件", "现将", "为", "根据", "按照")) or len(candidate) > 80:
            continue
        # a title wrapped over several lines: join the fragments above its last line
        first = i
        whole = s.startswith("《") or candidate.startswith("关于")
        while first > 0 and i - first < 4 and not whole and _title_fragment(head[first - 1]):
            first -= 1
            candidate = _clean_title(head[first]) + candidate
        if "《" in candidate and "关于" not in candidate or not 6 <= len(candidate) <= 80:
            continue
        return candidate, first + 1
    return None, None


def _title_fragment(s: str) -> bool:
    """A line that can be the first part of a wrapped title (not a doc number, date, letterhead or note)."""
    return (
        2 <= len(s) <= 40
        and not re.search(r"[。，,：:；;！？]", s)
        and DOC_NUMBER.search(s) is None
        and not re.search(r"\d{4}年\d{1,2}月\d{1,2}日|^\d|^第", s)
        and not s.endswith(("文件", "）", ")"))
        and not s.startswith(("附件", "（", "("))
        and not _TITLE_END.search(s)
        and not _ORGANISATION.fullmatch(s)
    )


_ORGANISATION = re.compile(r"[\u4e00-\u9fff]{2,24}(?:厅|局|部|委|办|会|政府|办公厅|办公室|联合会|委员会)")


_CENTRAL = re.compile(
    r"^(?:中共中央|国务院|中共中央办公厅|国务院办公厅|国务院有关部委|中央军委|全国人大常委会)"
    r"(?:\s+(?:中共中央|国务院|中共中央办公厅|国务院办公厅|中央军委))*$"
)
_PROVINCE_GOVERNMENT = re.compile(
    r"^(?P<p>[\u4e00-\u9fff]{2,8}?(?:省|市|自治区))(?:人民政府|人民政府办公厅|委员会|委办公厅|政府办公厅)$"
)
_CENTRAL_NUMBER = re.compile(r"^(?:国发|国办发|国办函|中发|中办发|国函)〔")


def government_issuers(
    lines: Sequence[str], skip: set[int], number: str | None
) -> list[tuple[str, str, int | None]]:
    """(name as written, jurisdiction, line) for issuers that are no agency: 国务院, 国务院办公厅,
    中共中央办公厅 国务院办公厅 (→ 全国), 四川省人民政府 (→ 四川省); a 国发/国办发 doc number counts too."""
    found: list[tuple[str, str, int | None]] = []
    for i, line in enumerate(lines):
        if i in skip:
            continue
        s = line.strip()
        if not s or len(s) > 40:
            continue
        s = re.sub(r"^(?:发文机关|发文单位)[:：]\s*", "", s)
        if _CENTRAL.match(s):
            found.append((squeeze(s), "全国", i + 1))
            continue
        m = _PROVINCE_GOVERNMENT.match(squeeze(s))
        if m is not None:
            full = next((n for _, n in PROVINCES if n == m.group("p")), None)
            if full is not None:
                found.append((squeeze(s), full, i + 1))
    if number is not None and _CENTRAL_NUMBER.match(number):
        found.append((number, "全国", None))
    return found


def issuer_names(
    lines: Sequence[str], skip: set[int], registry: AgencyRegistry
) -> list[tuple[str, str, int]]:
    """(name as written, agency key, line) for lines made only of agency names (letterheads, signatures)."""
    found: list[tuple[str, str, int]] = []
    for i, line in enumerate(lines):
        if i in skip:
            continue
        s = line.strip()
        if not s or len(s) > 160 or _ISSUER_PUNCT.search(s) or re.search(r"\d", s):
            continue
        tokens = s.split()
        names: list[tuple[str, str]] = []
        if len(tokens) > 1 and all(len(t) >= 3 for t in tokens):
            keys = [registry.resolve(t) for t in tokens]
            if all(keys):
                names = [(t, k) for t, k in zip(tokens, keys, strict=True) if k]
        if not names:
            joined = "".join(tokens)
            if 3 <= len(joined) <= 24 and not _TITLE_END.search(joined):
                key = registry.resolve(joined)
                if key:
                    names = [(joined, key)]
        found += [(name, key, i + 1) for name, key in names]
    return found


def _place(name: str) -> tuple[str | None, str | None]:
    """(jurisdiction, level) that an agency's name implies: 云南省民政厅 → (云南省, province)."""
    for _, full in PROVINCES:
        if name.startswith(full):
            rest = name[len(full) :]
            m = re.match(r"([\u4e00-\u9fff]{1,7}?(?:自治州|市|州|盟|地区))(?=[\u4e00-\u9fff]{2})", rest)
            if m is not None and not re.match(r"(?:市场|州级|市级)", rest):
                return full + m.group(1), "prefecture"
            return full, "province"
    for short, full in _SHORT_PROVINCES.items():
        if len(short) >= 2 and name.startswith(short) and not name.startswith(full):
            return full, "province"
    if re.match(r"(?:省|市|州|县|区|自治区)", name):
        return None, None  # 省民政厅: some province, not said which
    return "全国", "national"


def jurisdiction_of(names: Iterable[str]) -> tuple[str | None, str | None, bool]:
    """(jurisdiction, level, conflicting) from the issuers' names as written."""
    places = Counter(_place(squeeze(n)) for n in names)
    places.pop((None, None), None)
    if not places:
        return None, None, False
    (place, level), _ = places.most_common(1)[0]
    return place, level, len(places) > 1


def issued_date(lines: Sequence[str], skip: set[int]) -> tuple[dt.date | None, int | None]:
    """A line that is only a date (signature), else a 印发 date, else a web page's 时间/发布日期."""
    plain: list[tuple[dt.date, int]] = []
    printed: list[tuple[dt.date, int]] = []
    stamped: list[tuple[dt.date, int]] = []
    for i, line in enumerate(lines):
        if i in skip:
            continue
        s = squeeze(line)
        if not s or len(s) > 40:
            continue
        m = re.fullmatch(r"(.{6,16}日)(印发|发布|制发)?", s)
        if m is not None:
            day, guessed = parse_date(m.group(1))
            if (
                day is not None
                and not guessed
                and re.fullmatch(r"[\d〇零一二三四五六七八九十年月日]+", m.group(1))
            ):
                (printed if m.group(2) else plain).append((day, i + 1))
                continue
        if re.match(r"(?:时间|发布时间|发布日期|成文日期|日期)[:：]", s):
            day, guessed = parse_date(s)
            if day is not None and not guessed:
                stamped.append((day, i + 1))
    for group in (plain, printed, stamped):
        if group:
            return group[0]
    return None, None


def is_draft(lines: Sequence[str], before: int) -> int | None:
    """The line that marks the document a draft for comment (征求意见稿 …), or None."""
    for i, line in enumerate(lines[:before]):
        if _DRAFT_WORDS.search(squeeze(line)):
            return i + 1
    return None


def comment_deadline(lines: Sequence[str]) -> tuple[dt.date | None, int | None, bool]:
    """(deadline, line, guessed) from 意见反馈截止时间… / 截至…; ``guessed`` when digits ran together."""
    for i, line in enumerate(lines):
        s = squeeze(line)
        m = _DEADLINE.search(s)
        if m is None or "意见" not in s and "反馈" not in s:
            continue
        day, guessed = parse_date(s[m.end() : m.end() + 24])
        if day is not None:
            return day, i + 1, guessed
    return None, None, False
