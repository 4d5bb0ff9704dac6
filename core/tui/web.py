"""``duban dashboard --web``: the same app in a browser through textual-serve, on 127.0.0.1 only.

textual-serve runs one app process per browser tab and has no authentication, so it is bound to the
loopback address. Its default page loads a font from an external host; ours (web_templates/app_index.html) loads
nothing from anywhere else and prefers a local CJK monospace font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duban.errors import DubanError

TEMPLATES = Path(__file__).parent / "web_templates"
LOOPBACK = "127.0.0.1"


class WebUnavailable(DubanError):
    """textual-serve is not installed."""


def make_server(command: str, *, port: int = 8000, title: str = "督办 duban") -> Any:
    """A textual-serve Server running ``command`` for each browser tab, with duban's own page."""
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        raise WebUnavailable("网页模式需要 textual-serve：pip install 'textual-serve>=1.1'") from exc
    return Server(command, host=LOOPBACK, port=port, title=title, templates_path=TEMPLATES)
