"""Task numbering: Chinese numerals and the markers that open a numbered item at the start of a line.

Styles, from the outermost: ``C`` (01/02/03 headings), ``A`` (一、), ``B`` (（一）/(一)), ``D`` (1. / 1、),
``E`` (（1）). A marker counts only at the start of a line, so 一对一、面对面 inside a sentence is never
a number, and only when it continues its style's sequence (or restarts it at 1).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Marker",
    "STYLE_RANK",
    "cn_to_int",
    "display_width",
    "int_to_cn",
    "match_marker",
    "typical_width",
    "wraps_into",
]

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100}
CN_NUMERAL = "零〇一二两三四五六七八九十百"

STYLE_RANK = {"C": 0, "A": 1, "B": 2, "D": 3, "E": 4}

_A = re.compile(rf"^\s*([{CN_NUMERAL}]{{1,4}})\s*、")
_B = re.compile(rf"^\s*[（(]\s*([{CN_NUMERAL}]{{1,4}})\s*[）)]")
_C = re.compile(r"^\s*(0[1-9])\s*([\u4e00-\u9fff][^。，,；;：:]{1,24})\s*$")
_D = re.compile(r"^\s*([1-9][0-9]{0,2})\s*[、.．](?![0-9])")
_E = re.compile(r"^\s*[（(]\s*([1-9][0-9]?)\s*[）)]")


def cn_to_int(text: str) -> int | None:
    """一 → 1, 十 → 10, 二十三 → 23, 一百零五 → 105; None for anything that is not a numeral."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, current = 0, None
    for ch in text:
        if ch in "零〇":
            continue
        if ch in _DIGITS:
            if current is not None:  # two digits in a row (一一) is not a numeral here
                return None
            current = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            total += (1 if current is None else current) * unit
            current = None
    total += current or 0
    return total or None


def int_to_cn(value: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 一百零五 (1 ≤ value < 1000)."""
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value - 10] if value > 10 else "")
    if value < 100:
        tens, ones = divmod(value, 10)
        return digits[tens] + "十" + (digits[ones] if ones else "")
    hundreds, rest = divmod(value, 100)
    tail = (
        ""
        if rest == 0
        else (
            "零" + digits[rest] if rest < 10 else (("一" + int_to_cn(rest)) if rest < 20 else int_to_cn(rest))
        )
    )
    return digits[hundreds] + "百" + tail


@dataclass(frozen=True)
class Marker:
    """A numbering marker at the start of a line."""

    style: str  #: C, A, B, D or E
    value: int
    label: str  #: the number as it is reported: 二十三, 03, 5
    end: int  #: column where the item's text starts


def match_marker(line: str) -> Marker | None:
    """The numbering marker that opens ``line``, if any."""
    for style, pattern in (("B", _B), ("E", _E), ("A", _A), ("C", _C), ("D", _D)):
        m = pattern.match(line)
        if m is None:
            continue
        raw = m.group(1)
        if style in ("A", "B"):
            value = cn_to_int(raw)
            if value is None:
                continue
            return Marker(style, value, int_to_cn(value), m.end())
        if style == "C":
            return Marker(style, int(raw), raw, m.start(2))
        return Marker(style, int(raw), str(int(raw)), m.end())
    return None


# --------------------------------------------------------------------------- line wraps

#: 二、三级机构, 一、二类: a numeral right after the marker, then a measure word — an enumeration, not a number
_ENUMERATION = re.compile(r"[一二三四五六七八九十两]+[级类档层批等星线期个次]")
_OPEN_ENDING = "，,、"
_CLOSED_ENDING = '。；;：:！!？?）)〕]】”"」』'


def display_width(text: str) -> int:
    """Width in half-width cells: a Chinese character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def typical_width(lines: Sequence[str]) -> int | None:
    """The width at which a PDF or a hard-wrapped text breaks its lines, or None for a text whose lines
    are paragraphs (no common width). A line this wide that ends inside a sentence was wrapped."""
    widths = [w for w in (display_width(line.strip()) for line in lines) if w >= 30]
    if len(widths) < 10:
        return None
    counts = Counter(widths)
    best, covered = 0, 0
    for width in counts:
        n = sum(c for w, c in counts.items() if width - 4 <= w <= width)
        if n > covered or (n == covered and width > best):
            best, covered = width, n
    return best if best >= 50 and covered >= 0.5 * len(widths) else None


def wraps_into(previous: str, line: str, marker: Marker, width: int | None, last_value: int) -> bool:
    """True when the marker at the start of ``line`` is text that a line wrap put there, not a number.

    It is text when it opens an enumeration (二、三级机构), or when the line before ends inside a
    sentence: after a comma or 、, or — for a marker that does not simply continue its sequence
    (``last_value`` is the style's last number) — at full width without closing punctuation
    (…提供一对 / 一、面对面).
    """
    if marker.style == "A" and _ENUMERATION.match(line[marker.end :].lstrip()):
        return True
    before = previous.strip()
    if not before:
        return False
    last = before[-1]
    if last in _OPEN_ENDING:
        return True
    if width is None or last in _CLOSED_ENDING or not (last.isalnum() or "\u4e00" <= last <= "\u9fff"):
        return False
    if marker.value == last_value + 1:
        return False  # it continues its sequence: a number
    return display_width(before) >= width - 4
