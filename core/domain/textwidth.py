"""Terminal cell widths, measured as Rich (and so Textual) measures them: ``rich.cells``.

Chinese characters (East Asian Wide and Fullwidth) take two cells, combining marks none. Rich counts
"ambiguous width" characters (``“”…—·①℃``) as one cell, while many zh-CN terminals draw them in two:
that disagreement cannot be measured away, so text meant for fixed-width cells replaces them first
(:func:`duban.tui.text.cell_text`). The numbers here are the ones the dashboard's layout uses.
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

__all__ = ["char_width", "pad", "truncate", "width"]


def char_width(ch: str) -> int:
    """Cells taken by one character (0, 1 or 2)."""
    return get_character_cell_size(ch)


def width(text: str) -> int:
    """Cells taken by ``text``."""
    return cell_len(text)


def truncate(text: str, cells: int, ellipsis: str = "..") -> str:
    """Cut ``text`` to at most ``cells`` cells, marking the cut with ASCII dots."""
    if cell_len(text) <= cells:
        return text
    limit = max(0, cells - cell_len(ellipsis))
    out, used = [], 0
    for ch in text:
        w = get_character_cell_size(ch)
        if used + w > limit:
            break
        out.append(ch)
        used += w
    kept = "".join(out)
    while kept and cell_len(kept) > limit:  # sequences Rich measures as a whole (emoji with ZWJ, VS16)
        kept = kept[:-1]
    return kept + ellipsis


def pad(text: str, cells: int) -> str:
    """Truncate or right-pad ``text`` with spaces to exactly ``cells`` cells."""
    text = truncate(text, cells)
    return text + " " * (cells - cell_len(text))
