"""The result of one delivery attempt and the sender interface the services call.

:func:`send` is the default sender: duban's own HTTP client for chat robots (:mod:`duban.notify.chat`),
apprise for everything else (:mod:`duban.notify.apprise_send`). Both block; call them from a worker
thread, never from the Textual event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from duban.notify.split import split_message, split_utf8

if TYPE_CHECKING:
    from duban.notify.routes import Route


@dataclass(frozen=True)
class Delivery:
    """``ok``; otherwise ``permanent`` (auth, signature, keyword, 4xx: never retried) or retryable."""

    ok: bool
    permanent: bool = False
    detail: str = ""


#: (route, title, body, timeout) -> Delivery
Sender = Callable[["Route", str, str, float], Delivery]


def message_parts(route: Route, title: str, body: str) -> list[tuple[str, str]]:
    """(title, body) pairs to send to ``route``: chat robots get the title inside each part's text;
    byte-limited channels get parts of at most ``route.max_bytes`` UTF-8 bytes."""
    if route.is_chat:
        return [("", text) for text in split_message(title, body, route.max_bytes)]
    if route.max_bytes is None:
        return [(title, body)]
    parts = split_utf8(body, route.max_bytes)
    if len(parts) == 1:
        return [(title, body)]
    return [(f"{title}（{i}/{len(parts)}）", part) for i, part in enumerate(parts, start=1)]


def send(route: Route, title: str, body: str, timeout: float = 10.0) -> Delivery:
    """Deliver one part to one route."""
    if route.is_chat:
        from duban.notify.chat import post_chat

        return post_chat(route, body if not title else f"{title}\n{body}", timeout=timeout)
    from duban.notify.apprise_send import send_apprise

    return send_apprise(route, title, body, timeout=timeout)
