"""The declared limits of every value that crosses duban's boundary (CLI, configuration, Excel, indicators).

One place, so that the CLI's types, the configuration schema, the Excel import and the indicator checks
refuse the same values with the same words, and docs/errors.md can list them. Every check returns the
cleaned value or raises :class:`~duban.errors.ValidationError` naming the thing and what was expected.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final

from duban.errors import ValidationError

#: record ids: 1 … 2^31-1 (the tables' ids are SQL INTEGER columns: a larger id cannot exist)
ID_MIN: Final = 1
ID_MAX: Final = 2**31 - 1

#: every date a person types or imports: deadlines, report dates, --as-of, extensions, indicators
DATE_MIN: Final = dt.date(2000, 1, 1)
DATE_MAX: Final = dt.date(2100, 12, 31)

#: an indicator's number (people, households, yuan): |value| ≤ 10^12
INDICATOR_MAX: Final = 10**12

#: counts a person types (--limit, --days, warning_days …)
COUNT_MAX: Final = 1_000_000

#: text sizes in characters
NAME_MAX: Final = 64  #: user names, agency keys, template keys, tags
LINE_MAX: Final = 2_000  #: one-line text: reasons, progress notes, titles
TEXT_MAX: Final = 20_000  #: report text

#: C0 and C1 control characters (tab and newline are allowed in multi-line text)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: characters that reorder or hide text on a terminal (bidirectional overrides, zero-width joiners excepted)
_INVISIBLE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def check_id(value: int, what: str) -> int:
    if not ID_MIN <= value <= ID_MAX:
        raise ValidationError(f"{what} {value} 超出范围：编号应为 {ID_MIN}–{ID_MAX} 的整数")
    return value


def check_date(value: dt.date, what: str) -> dt.date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            f"{what} {value.isoformat()} 超出范围：日期应在 {DATE_MIN.isoformat()} 至 {DATE_MAX.isoformat()} 之间"
        )
    return value


def check_number(
    value: float, what: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A finite number within ``minimum`` … ``maximum`` (and never beyond ±INDICATOR_MAX)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{what} 的值 {value} 不是有限的数")
    low = -INDICATOR_MAX if minimum is None else max(minimum, -INDICATOR_MAX)
    high = INDICATOR_MAX if maximum is None else min(maximum, INDICATOR_MAX)
    if not low <= value <= high:
        raise ValidationError(f"{what} 的值 {value} 超出范围：应在 {_num(low)} 至 {_num(high)} 之间")
    return value


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def has_surrogates(text: str) -> bool:
    """Undecodable bytes from argv or a file arrive as lone surrogates (PEP 383)."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def check_text(text: str, what: str, *, maximum: int = LINE_MAX, multiline: bool = False) -> str:
    """Text within ``maximum`` characters, valid UTF-8, without control characters (tab and newline allowed
    when ``multiline``) or characters that reorder a terminal line."""
    if has_surrogates(text):
        raise ValidationError(f"{what}含有无效的 UTF-8 字节：请用 UTF-8 编码输入")
    if len(text) > maximum:
        raise ValidationError(f"{what}过长：{len(text)} 个字符，最多 {maximum} 个")
    allowed = "\t\n\r" if multiline else ""
    bad = next((ch for ch in _CONTROL.findall(text) if ch not in allowed), None)
    if bad is None:
        bad = next(iter(_INVISIBLE.findall(text)), None)
    if bad is not None:
        raise ValidationError(f"{what}含有控制字符 {escape(bad)}：不能包含终端控制字符、换行或方向控制符")
    return text


def check_name(text: str, what: str) -> str:
    """A name (user, key, tag): one line, at most NAME_MAX characters, not blank."""
    check_text(text, what, maximum=NAME_MAX)
    if not text.strip():
        raise ValidationError(f"{what}不能为空")
    return text


def escape(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe for a terminal: control characters, lone surrogates and direction overrides written as
    ``\\u001b`` / ``\\u202e`` (also a valid escape inside a JSON string); tab and newline kept when
    ``keep_newlines``."""
    if not needs_escape(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or _INVISIBLE.match(ch):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def needs_escape(text: str) -> bool:
    return bool(_CONTROL.search(text) or _INVISIBLE.search(text) or has_surrogates(text))
