"""Small pictures for the dashboard: a department's 红/黄/绿 and on-time rate over the last periods
(Textual's Sparkline, one line each), and a progress bar for a table cell.

The sparkline's block characters (▁…█) are "ambiguous width" in some zh-CN terminals, so each chart sits at
the end of its line with nothing to its right; the numbers are written before it, so nothing is read from
the picture alone. The progress bar for table cells uses only ``#`` and ``.`` (no ambiguous characters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from duban.tui.text import clip, percent

if TYPE_CHECKING:
    from duban.services.dashboard_results import DepartmentRank

#: the four series of a department's chart: (id, label, colour of the highest value)
SERIES = (
    ("red", "红", "red"),
    ("yellow", "黄", "yellow"),
    ("green", "绿", "green"),
    ("rate", "按时率", "dodgerblue"),
)
#: cells per period in a sparkline (5 periods → 10 cells)
CELLS_PER_POINT = 2


def progress_bar(done: int, total: int, cells: int = 10) -> Text:
    """``[######....] 64% 71/110`` — ASCII only, so a table column holding it stays aligned in every
    terminal; a bar is full only when everything is done (rounded down)."""
    filled = min(cells * done // total, cells) if total > 0 else 0
    bar = Text("[")
    bar.append("#" * filled, style="green")
    bar.append("." * (cells - filled), style="dim")
    bar.append(f"] {100 * done // total if total > 0 else 0}% {done}/{total}")
    return bar


def series_of(dept: DepartmentRank) -> dict[str, list[float]]:
    """The four series of a department, oldest period first (a period with nothing due counts rate 0)."""
    history = dept.history
    return {
        "red": [float(p.red) for p in history],
        "yellow": [float(p.yellow) for p in history],
        "green": [float(p.green) for p in history],
        "rate": [100.0 * (p.on_time_rate or 0.0) for p in history],
    }


def _numbers(key: str, dept: DepartmentRank) -> str:
    if key == "rate":
        return " ".join(percent(p.on_time_rate) for p in dept.history)
    return " ".join(str(getattr(p, key)) for p in dept.history)


class DepartmentChart(Vertical):
    """A department's lights and on-time rate as of each period end: numbers, then a sparkline."""

    DEFAULT_CSS = """
    DepartmentChart {
        height: auto;
        padding: 0 1;
    }
    DepartmentChart .chart-title {
        height: 1;
        text-style: bold;
    }
    DepartmentChart Horizontal {
        height: 1;
    }
    DepartmentChart .chart-label {
        width: 8;
    }
    DepartmentChart .chart-numbers {
        width: 1fr;
        color: $text-muted;
    }
    DepartmentChart Sparkline {
        width: 10;
        height: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="chart-title", classes="chart-title")
        for key, label, colour in SERIES:
            with Horizontal(id=f"chart-{key}"):
                yield Label(label, classes="chart-label")
                yield Label("", id=f"numbers-{key}", classes="chart-numbers")
                yield Sparkline([], id=f"spark-{key}", min_color="grey", max_color=colour)

    def show(self, dept: DepartmentRank | None, periods: Sequence[str]) -> None:
        """Draw ``dept`` (None: nothing to draw); ``periods`` name the points (2025Q4末 … 今天)."""
        title = self.query_one("#chart-title", Label)
        if dept is None:
            title.update("没有部门")
            for key, _, _ in SERIES:
                self.query_one(f"#numbers-{key}", Label).update("")
                self.query_one(f"#spark-{key}", Sparkline).data = []
            return
        span = f"{periods[0]} 至 {periods[-1]}" if periods else ""
        title.update(clip(f"{dept.name}：{span}", 60))
        values = series_of(dept)
        for key, _, _ in SERIES:
            self.query_one(f"#numbers-{key}", Label).update(_numbers(key, dept))
            spark = self.query_one(f"#spark-{key}", Sparkline)
            spark.styles.width = CELLS_PER_POINT * max(len(values[key]), 1)
            spark.data = values[key]
