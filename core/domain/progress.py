"""The progress callback that long services take (issue 20, item 6).

A service reports what it did, never prints: ``progress(advance, total=...)`` says that ``advance`` more
units are done and, once the service knows it, how many there are in all. The CLI passes a
:class:`duban.cli.progress.ProgressBar` (a bar on a terminal's stderr, silent otherwise); tests pass a list's
``append`` wrapped in a function, or nothing.
"""

from __future__ import annotations

from typing import Protocol


class ProgressCallback(Protocol):
    """``advance`` units done since the last call (0 to only announce ``total``); ``total`` when known."""

    def __call__(self, advance: int, /, total: int | None = None) -> None: ...
