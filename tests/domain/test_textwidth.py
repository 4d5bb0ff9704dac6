"""Cell widths come from rich.cells, so the CLI's columns and the dashboard's layout count the same way."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from duban.domain.textwidth import char_width, pad, truncate, width

OFFICIAL = "省人力资源和社会保障厅（民政厅）：巾帼家政ABC12"


def test_chinese_is_two_cells_latin_one_combining_none() -> None:
    assert width("民政厅") == 6 and width("ABC") == 3 and width("（）") == 4
    assert char_width("e\u0301"[1]) == 0 and width("e\u0301") == 1
    assert width(OFFICIAL) == cell_len(OFFICIAL)


@pytest.mark.parametrize("ch", list("“”…—·①℃"))
def test_ambiguous_width_characters_count_one_cell_as_in_rich(ch: str) -> None:
    """Rich (and so Textual) lays them out in one cell; many zh-CN terminals draw two. The widths here
    follow Rich, and duban.tui.text.cell_text keeps such characters out of fixed-width cells."""
    assert char_width(ch) == 1 == cell_len(ch)


@pytest.mark.parametrize("cells", range(0, 40))
def test_truncate_and_pad_never_overflow(cells: int) -> None:
    cut = truncate(OFFICIAL, cells)
    assert cut == OFFICIAL if width(OFFICIAL) <= cells else cut.endswith("..")
    if cells >= 2:
        assert cell_len(cut) <= cells
        assert cell_len(pad(OFFICIAL, cells)) == cells


def test_a_wide_character_that_does_not_fit_is_dropped_not_split() -> None:
    assert truncate("民政厅民政厅", 7) == "民政.."  # 4 + 2 cells; a third character would need 2 more
    assert pad("民政厅民政厅", 7) == "民政.. "
    assert pad("民政", 7) == "民政   "
