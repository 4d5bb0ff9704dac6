"""A progress bar on stderr for long commands: counts, percentage and time left (issue 20, item 6).

Drawn only when stderr is a terminal and the command does not print JSON; otherwise it only counts. It is
the :class:`~duban.domain.progress.ProgressCallback` the services take. Plain ASCII bar characters: the block
characters are "ambiguous width" in zh-CN terminals (docs/PITFALLS).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO, cast

WIDTH = 24
#: redraw at most this often (seconds), and always at the end
REDRAW = 0.1


def format_seconds(seconds: float) -> str:
    """``1:05`` or ``1:02:03``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``bar(advance, total=None)``: counts, and redraws one line on ``stream`` when ``enabled``."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.clock = clock
        self.started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def __call__(self, advance: int, /, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done += advance
        now = self.clock()
        if self._drawn_at is None or now - self._drawn_at >= REDRAW or self.finished:
            self.draw(now)

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def line(self, now: float | None = None) -> str:
        """The text of the bar as it stands (without the carriage return)."""
        elapsed = (self.clock() if now is None else now) - self.started
        if not self.total:
            return f"{self.label} {self.done} 已用 {format_seconds(elapsed)}"
        share = min(1.0, self.done / self.total)
        filled = int(WIDTH * share)
        bar = "#" * filled + "-" * (WIDTH - filled)
        if self.done and self.done < self.total:
            left = f"剩余 {format_seconds(elapsed / self.done * (self.total - self.done))}"
        elif self.done >= self.total:
            left = f"用时 {format_seconds(elapsed)}"
        else:
            left = "剩余 --:--"
        return f"{self.label} [{bar}] {self.done}/{self.total} {share:4.0%} {left}"

    def draw(self, now: float | None = None) -> None:
        if not self.enabled:
            return
        text = self.line(now)
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)
        self._drawn_at = self.clock() if now is None else now

    def close(self) -> None:
        """Draw the last state and end the line (nothing when disabled or never drawn)."""
        if not self.enabled:
            return
        self.draw()
        self.stream.write("\n")
        self.stream.flush()


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (stderr by default, seen through the CLI's escaping wrapper) is a terminal."""
    target = stream if stream is not None else sys.stderr
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):
        return False


def _raw(stream: TextIO) -> TextIO:
    """The terminal under the CLI's escaping wrapper (duban.cli.edge), which would write the bar's carriage
    return as ``\\u000d``. The bar's text is duban's own (a fixed label and numbers), never input."""
    from duban.cli.edge import EscapingStream

    while isinstance(stream, EscapingStream):
        stream = cast(TextIO, stream._inner)  # noqa: SLF001 - see above
    return stream


@contextmanager
def progress_bar(label: str, *, total: int | None = None, quiet: bool = False) -> Iterator[ProgressBar]:
    """A bar on stderr for the block: drawn when stderr is a terminal and not ``quiet`` (``--json``)."""
    stream = _raw(sys.stderr)
    bar = ProgressBar(label, total=total, stream=stream, enabled=not quiet and on_terminal(stream))
    try:
        yield bar
    finally:
        bar.close()
