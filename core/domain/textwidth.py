"""Terminal cell widths for Chinese text: wide (W/F) characters take two cells."""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def truncate(text: str, cells: int, ellipsis: str = "..") -> str:
    """Cut ``text`` to at most ``cells`` cells, marking the cut with ASCII dots."""
    if width(text) <= cells:
        return text
    out, used = [], 0
    limit = max(0, cells - len(ellipsis))
    for ch in text:
        w = char_width(ch)
        if used + w > limit:
            break
        out.append(ch)
        used += w
    return "".join(out) + ellipsis


def pad(text: str, cells: int) -> str:
    """Truncate or right-pad ``text`` with spaces to exactly ``cells`` cells."""
    text = truncate(text, cells)
    return text + " " * (cells - width(text))
