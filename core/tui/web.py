"""``duban dashboard --web``: the same app in a browser through textual-serve, on 127.0.0.1 only.

textual-serve runs one app process per browser tab and has no authentication of its own; duban's server
(:mod:`duban.tui.web_server`) is bound to the loopback address and adds a one-time login token, a session
cookie and an Origin/Host check. Its default page loads a font from an external host; ours (web_templates/app_index.html) loads
nothing from anywhere else and prefers a local CJK monospace font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duban.errors import ConfigError

TEMPLATES = Path(__file__).parent / "web_templates"
LOOPBACK = "127.0.0.1"
#: what to install when textual-serve is missing (it is the optional ``web`` extra, not a core dependency)
INSTALL_HINT = "请安装 duban 的 web 扩展，例如在源码目录中运行：pip install -e '.[web]'"


class WebUnavailable(ConfigError):
    """textual-serve (the ``web`` extra) is not installed or cannot be imported.

    A setup problem like a configuration error: exit code 3, a message that says what to install.
    """


def server_class() -> type:
    """textual-serve's Server class, or :class:`WebUnavailable` saying how to install it."""
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "textual_serve":
            raise WebUnavailable(
                f"网页模式（--web）需要可选组件 textual-serve，当前未安装。{INSTALL_HINT}"
            ) from exc
        raise WebUnavailable(
            f"网页模式（--web）所需的 textual-serve 无法导入（缺少 {exc.name or exc}）。{INSTALL_HINT}"
        ) from exc
    return Server


def make_server(command: str, *, port: int = 8000, title: str = "督办 duban") -> Any:
    """duban's textual-serve Server running ``command`` for each browser tab, with duban's own page, behind a
    one-time token (its ``login_url`` is what to print)."""
    server_class()  # WebUnavailable first when the extra is missing
    from duban.tui.web_server import DubanServer

    return DubanServer(command, port=port, title=title, templates_path=TEMPLATES)
