"""Columns of Chinese text line up: no ambiguous-width characters in cells, widths counted with cell_len."""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from sqlalchemy import select
from textual.widgets import DataTable

from duban.storage.models import Task
from duban.tui.text import cell_text, clip, pad
from tests.tui.helpers import settle, sync
from tests.tui.world import COORD

PUNCTUATED = "开展“巾帼家政”培训——组织留守妇女参加…；“两癌”筛查·①"


def test_cell_text_replaces_ambiguous_width_characters() -> None:
    text = cell_text(PUNCTUATED)
    assert not [ch for ch in text if unicodedata.east_asian_width(ch) == "A"]
    assert text == "开展「巾帼家政」培训--组织留守妇女参加...；「两癌」筛查・1"
    assert cell_len(pad(PUNCTUATED, 21)) == 21 and cell_len(clip(PUNCTUATED, 20)) <= 20


@sync
async def test_task_table_columns_line_up_on_seed_text(make_app, sessions) -> None:
    with sessions() as s:
        quoted = [t.text for t in s.scalars(select(Task)) if "“" in t.text]
    assert quoted, "the seeds have tasks with “” in their text"
    app = make_app(COORD, start="tasks")
    async with app.run_test(size=(150, 60)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"最美家庭", "enter")  # tasks with “最美家庭” early in their text
        await settle(pilot)
        table = app.screen.query_one("#tasks", DataTable)
        assert table.row_count >= 2
        widths = [c.get_render_width(table) for c in table.columns.values()]
        starts = [sum(widths[:i]) for i in range(len(widths))]
        seen_quoted = 0
        await pilot.pause(0.3)
        strips = app.screen._compositor.render_strips()  # what the terminal shows
        visible = min(table.row_count, table.region.height - 1)
        for y in range(visible):
            row = [str(v) for v in table.get_row_at(y)]
            text = strips[table.region.y + 1 + y].text  # the header line comes first
            for value, start in zip(row, starts, strict=True):
                assert not [ch for ch in value if unicodedata.east_asian_width(ch) == "A"], value
                offset = text.find(value)
                assert offset >= 0, (value, text)
                # every column starts at the same terminal cell on every row (+1: the cell's left padding)
                assert cell_len(text[:offset]) - table.region.x == start + 1, (value, text)
            seen_quoted += "「" in row[3]
        assert seen_quoted, "a summary with 「」 (from “”) was checked"
        lengths = {cell_len(s.text) for s in app.screen._compositor.render_strips()}
        assert lengths == {150}
