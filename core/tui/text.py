"""Text for fixed-width cells: no ambiguous-width characters, widths counted in terminal cells.

``“”…—·①℃`` are "ambiguous width": one cell in Rich, two in many zh-CN terminals, so a column holding them
drifts. Table cells and status lines go through :func:`cell_text`, which swaps them for wide (「」) or
ASCII equivalents; widths are counted by duban.domain.textwidth, which measures with rich.cells as Textual does.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text

from duban.domain import textwidth

#: ambiguous-width characters common in Chinese official documents → unambiguous stand-ins
REPLACEMENTS = {
    "“": "「",
    "”": "」",
    "‘": "『",
    "’": "』",
    "…": "...",
    "—": "-",
    "–": "-",
    "―": "-",
    "·": "・",
    "•": "・",
    "×": "x",
    "÷": "/",
    "°": "度",
    "℃": "度C",
    "※": "*",
    "§": "S",
    "№": "No.",
    "→": "->",
    "←": "<-",
    "↑": "^",
    "↓": "v",
    "○": "O",
    "●": "*",
    "★": "*",
    "☆": "*",
    "■": "#",
    "□": "[]",
    "△": "^",
    "▲": "^",
    "√": "V",
    "±": "+/-",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "\u00a0": " ",
    "\u3000": "  ",
}
LIGHT_MARK = {"red": "红", "yellow": "黄", "green": "绿", "done": "结"}
LIGHT_NAMES = {"red": "红", "yellow": "黄", "green": "绿", "done": "已办结"}
LIGHT_STYLE = {
    "red": "bold white on dark_red",
    "yellow": "bold black on yellow",
    "green": "bold white on dark_green",
    "done": "bold white on grey37",
}
ELLIPSIS = ".."


def is_ambiguous(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) == "A"


def cell_text(value: object) -> str:
    """``value`` as text safe for a fixed-width cell: one line, no ambiguous-width characters."""
    text = "" if value is None else str(value)
    out = []
    for ch in " ".join(text.split()):
        if ch in REPLACEMENTS:
            out.append(REPLACEMENTS[ch])
        elif is_ambiguous(ch):
            folded = unicodedata.normalize("NFKC", ch)  # ①→1, Ⅱ→II
            out.append(folded if folded != ch and not any(is_ambiguous(c) for c in folded) else "?")
        else:
            out.append(ch)
    return "".join(out)


def block_text(value: object) -> str:
    """Like :func:`cell_text` but keeps line breaks (for the detail pane's full text)."""
    text = "" if value is None else str(value)
    return "\n".join(cell_text(line) for line in text.splitlines())


def clip(value: object, cells: int) -> str:
    """:func:`cell_text`, cut to at most ``cells`` terminal cells (marked with ASCII dots)."""
    return textwidth.truncate(cell_text(value), cells, ELLIPSIS)


def pad(value: object, cells: int) -> str:
    """Clip or right-pad to exactly ``cells`` cells (no ambiguous characters remain, so the widths agree)."""
    return textwidth.pad(cell_text(value), cells)


def light(name: str | None, *, long: bool = False) -> Text:
    """A light as colour *and* its character (never colour alone)."""
    key = name or "green"
    label = (LIGHT_NAMES if long else LIGHT_MARK).get(key, key)
    return Text(label, style=LIGHT_STYLE.get(key, ""))


def join_names(names: list[str], cells: int) -> str:
    return clip("、".join(names) if names else "-", cells)


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"
