"""Schedule hints in a task's text: deadlines, frequencies and holidays.

Each hint is ``{"kind", "rule", "why"}``; ``rule`` uses the schedule syntax of duban.domain.schedule
("once YYYY-MM-DD", "every N months", "quarterly", "yearly MM-DD", "holiday NAME [+/-N]") and ``why``
quotes the words that gave it. Hints are suggestions for the coordinator, never a schedule by themselves.
"""

from __future__ import annotations

import calendar
import re

from duban.importing.numbering import cn_to_int

__all__ = ["ANNUAL_PLAN_RULE", "HOLIDAYS", "schedule_hints"]

# (pattern, canonical name) — the names duban.domain.schedule knows. Longest spellings first.
HOLIDAYS: tuple[tuple[str, str], ...] = (
    (r"元旦", "元旦"),
    (r"春节", "春节"),
    (r"元宵节", "元宵节"),
    (r"(?:“|\")?(?:三八|3[.·．]8)(?:”|\")?\s*(?:国际)?妇女节|国际妇女节|三八节", "三八妇女节"),
    (r"清明节?", "清明节"),
    (r"(?:五一)?(?:国际)?劳动节", "劳动节"),
    (r"母亲节", "母亲节"),
    (r"(?:六一)?(?:国际)?儿童节", "儿童节"),
    (r"端午节?", "端午节"),
    (r"父亲节", "父亲节"),
    (r"中秋节?", "中秋节"),
    (r"国庆节?", "国庆节"),
    (r"重阳节?", "重阳节"),
    (r"(?:国际)?残疾人日", "国际残疾人日"),
)
_HOLIDAY_RE = re.compile("|".join(f"(?P<h{i}>{p})" for i, (p, _) in enumerate(HOLIDAYS)))

_N = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
_PREFIX = r"(?:至少|原则上|一般|每隔)?"
_TAIL = r"[^，。；;,、（）()]{0,10}"
_RECURRENCE = re.compile(
    rf"{_PREFIX}每(?P<unit>半年|个?季度|个?季|年|个?月|(?P<n>{_N})个?(?P<u>月|年|季度))(?:度)?{_TAIL}"
)
_ANNUAL = re.compile(r"年度(?:工作)?(?P<what>计划|要点|总结|报告|考核|评估)")
#: an annual plan (年度工作计划) is due early in the year it plans — the day the shipped agency templates
#: use for their annual-plan duty (``yearly 01-31``), so a task bound to such a template is not proposed
#: a second date; a summary, report or evaluation of a year stays due at its end (``every 12 months``)
ANNUAL_PLAN_RULE = "yearly 01-31"
_YEAR_END = re.compile(r"(?P<y>\d{4})\s*年\s*(?:年底|底|年末|末)(?:以?前|之前)?")
_MONTH_END = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?:底|末|份)(?:以?前|之前)?")
_DAY = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*(?:以?前|之前|止)")
_HALF = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<h>上半年|下半年)(?:以?前|之前)?")
_BY_YEAR = re.compile(r"到\s*(?P<y>\d{4})\s*年\s*(?=[，,])")


def _n(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else cn_to_int(text)


def _once(y: int, m: int, d: int | None = None) -> str | None:
    if not (1 <= m <= 12 and 1900 <= y <= 2200):
        return None
    last = calendar.monthrange(y, m)[1]
    day = last if d is None else d
    if not 1 <= day <= last:
        return None
    return f"once {y:04d}-{m:02d}-{day:02d}"


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def schedule_hints(text: str) -> list[dict[str, str]]:
    """Hints in ``text`` in the order they appear, one per rule."""
    found: list[tuple[int, dict[str, str]]] = []

    for m in _RECURRENCE.finditer(text):
        unit, n, u = m.group("unit"), _n(m.group("n")), m.group("u")
        if unit == "半年":
            rule = "every 6 months"
        elif unit in ("季度", "个季度", "季", "个季"):
            rule = "quarterly"
        elif unit == "年":
            rule = "every 12 months"
        elif unit in ("月", "个月"):
            rule = "every 1 months"
        elif n is not None and u == "月":
            rule = f"every {n} months"
        elif n is not None and u == "年":
            rule = f"every {12 * n} months"
        elif n is not None and u == "季度":
            rule = f"every {3 * n} months"
        else:
            continue
        found.append((m.start(), {"kind": "recurrence", "rule": rule, "why": _squeeze(m.group(0))}))
    for m in _ANNUAL.finditer(text):
        rule = ANNUAL_PLAN_RULE if m.group("what") in ("计划", "要点") else "every 12 months"
        found.append((m.start(), {"kind": "recurrence", "rule": rule, "why": m.group(0)}))

    for pattern in (_DAY, _MONTH_END, _YEAR_END, _HALF, _BY_YEAR):
        for m in pattern.finditer(text):
            parts = m.groupdict()
            y = int(parts["y"])
            if "h" in parts:
                once = _once(y, 6 if parts["h"] == "上半年" else 12)
            elif "d" in parts:
                once = _once(y, int(parts["m"]), int(parts["d"]))
            elif "m" in parts:
                once = _once(y, int(parts["m"]))
            else:
                once = _once(y, 12)
            if once is not None:
                found.append((m.start(), {"kind": "date", "rule": once, "why": _squeeze(m.group(0))}))

    for m in _HOLIDAY_RE.finditer(text):
        name = next(HOLIDAYS[int(k[1:])][1] for k, v in m.groupdict().items() if v is not None)
        found.append((m.start(), {"kind": "holiday", "rule": f"holiday {name}", "why": m.group(0)}))

    hints: list[dict[str, str]] = []
    seen: set[str] = set()
    for _, hint in sorted(found, key=lambda item: item[0]):
        if hint["rule"] not in seen:
            seen.add(hint["rule"])
            hints.append(hint)
    return hints
