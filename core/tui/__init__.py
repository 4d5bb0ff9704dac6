"""The Textual dashboard (``duban dashboard``). The only package that imports Textual."""

from __future__ import annotations

from typing import Any


def create_app(**kwargs: Any) -> Any:
    """See :func:`duban.tui.app.create_app` (imported lazily: Textual loads only when the dashboard runs)."""
    from duban.tui.app import create_app as _create_app

    return _create_app(**kwargs)
