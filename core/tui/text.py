"""Text for fixed-width cells: no ambiguous-width characters, widths counted in terminal cells.

``“”…—·①℃`` are "ambiguous width": one cell in Rich, two in many zh-CN terminals, so a column holding them
drifts. Table cells and status lines go through :func:`cell_text`, which swaps them for wide (「」) or
ASCII equivalents; widths are counted by duban.domain.textwidth, which measures with rich.cells as Textual does.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from rich.text import Text

from duban.domain import textwidth
from duban.domain.vocabulary import Light

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
LIGHT_STYLE = {
    Light.RED: "bold white on dark_red",
    Light.YELLOW: "bold black on yellow",
    Light.GREEN: "bold white on dark_green",
    Light.DONE: "bold white on grey37",
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


def light(value: Light | str | None, *, long: bool = False) -> Text:
    """A light as colour *and* its character (never colour alone)."""
    key = Light(value or Light.GREEN)
    return Text(key.label if long else key.mark, style=LIGHT_STYLE.get(key, ""))


def day(value: dt.date | None, empty: str = "-") -> str:
    """A date as YYYY-MM-DD (``empty`` for none)."""
    return value.isoformat() if value is not None else empty


def moment(value: dt.datetime | None, tz: str | None = None, empty: str = "-") -> str:
    """A time as YYYY-MM-DD HH:MM (in ``tz`` when given, else as stored: UTC)."""
    if value is None:
        return empty
    if tz is not None:
        value = value.astimezone(ZoneInfo(tz))
    return value.strftime("%Y-%m-%d %H:%M")


def local_day(value: dt.datetime, tz: str) -> str:
    """The local date (in ``tz``) of a UTC time, as YYYY-MM-DD."""
    return value.astimezone(ZoneInfo(tz)).date().isoformat()


def join_names(names: Sequence[str], cells: int) -> str:
    return clip("、".join(names) if names else "-", cells)


#: the arrows of a sorted column's header: ▴ ascending, ▾ descending (▲▼ are ambiguous-width, these are not)
SORT_UP, SORT_DOWN = "▴", "▾"


def sorted_label(label: str, *, active: bool, descending: bool) -> str:
    """A column header with the sort arrow when the table is sorted by it: 下次到期▴."""
    if not active:
        return label
    return label + (SORT_DOWN if descending else SORT_UP)


def percent(rate: float | None) -> str:
    """A share as a whole percentage; 不适用 when there is none (nothing was due: never 0 % or a dash)."""
    return "不适用" if rate is None else f"{rate * 100:.0f}%"
