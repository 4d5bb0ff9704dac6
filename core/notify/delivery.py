"""The result of one delivery attempt and the sender interface the services call.

:func:`send` is the default sender: duban's own HTTP client for chat robots (:mod:`duban.notify.chat`), its
own folder writer for ``file://`` routes (:mod:`duban.notify.filesink`), apprise for everything else
(:mod:`duban.notify.apprise_send`). They block; call them from a worker thread, never from the Textual
event loop.

Each part is claimed before it is sent and marked after (see
:func:`duban.services.notifications.deliver_message`): the claim is a ``notification_attempt`` row whose
detail is :data:`CLAIMED`. A run that finds a claim without a mark knows a crash came between the two —
the part may or may not have arrived — and sends it again, noting :data:`POSSIBLE_DUPLICATE`: at most one
duplicate per part, and the log says which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from duban.domain.vocabulary import AlertLevel
from duban.notify.split import split_message, split_utf8

if TYPE_CHECKING:
    from duban.notify.routes import Route


#: the detail of a part's claim (written and committed before the part is sent, replaced by the result)
CLAIMED = "发送中：已认领，结果尚未记录"
#: what a claim found without its mark becomes: the run that made it stopped between sending and recording
UNCONFIRMED = "结果未知：上次运行在发送这一部分时中断，可能已经送达"
#: the note on a part sent again after an unconfirmed attempt (in the log and in the run's output)
POSSIBLE_DUPLICATE = "可能重复发送"
#: the detail of a route skipped because a silence mutes it (``duban notify silence``)
SILENCED = "已静默"


@dataclass(frozen=True)
class Delivery:
    """``ok``; otherwise ``permanent`` (auth, signature, keyword, 4xx: never retried) or retryable."""

    ok: bool
    permanent: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Envelope:
    """What the outbox knows of the message a part belongs to. Channels that keep whole records (the
    ``file://`` sink) write it; channels that only carry text ignore it."""

    message_id: int
    key: str
    receiver: str
    level: AlertLevel
    part: int
    parts: int
    at: dt.datetime


class Sender(Protocol):
    """Deliver one part (``title``, ``body``) to one route within ``timeout`` seconds."""

    def __call__(
        self, route: Route, title: str, body: str, timeout: float, /, *, envelope: Envelope | None = None
    ) -> Delivery: ...


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


def send(
    route: Route, title: str, body: str, timeout: float = 10.0, /, *, envelope: Envelope | None = None
) -> Delivery:
    """Deliver one part to one route."""
    if route.is_chat:
        from duban.notify.chat import post_chat

        return post_chat(route, body if not title else f"{title}\n{body}", timeout=timeout)
    if route.is_file:
        from duban.notify.filesink import write_message

        return write_message(route, title, body, envelope)
    from duban.notify.apprise_send import send_apprise

    return send_apprise(route, title, body, timeout=timeout)
