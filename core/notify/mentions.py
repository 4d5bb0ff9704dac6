"""@提醒: a DingTalk or WeCom robot's digest @-mentions the responsible people by mobile number.

Configured per route, next to its URL::

    [[notify.routes]]
    name = "省民政厅工作群"
    url = "dingtalk://${DUBAN_DINGTALK_TOKEN}/?base=…"
    tags = ["minzheng", "jur-530000"]
    at_mobiles = ["13800000000"]

The mobiles go into the robot's payload only (DingTalk ``at.atMobiles`` plus ``@mobile`` in the text it
posts; WeCom ``text.mentioned_mobile_list``), on the first part of a department's digest, a 催办 or an
escalation notice. They are never written to the outbox (whose body ``duban notify log`` shows), to an
attempt's detail or to the audit journal: :func:`with_mentions` wraps the sender, after the outbox row exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from duban.errors import ConfigError
from duban.notify.delivery import Delivery, Envelope, Sender
from duban.notify.routes import Route

MOBILE = re.compile(r"^1\d{10}$")
#: robots that can @ by mobile number
MENTION_SCHEMES = ("dingtalk", "wecombot")
#: the messages whose first part @-mentions (outbox kinds, the idempotency key's first field)
MENTION_KINDS = frozenset({"digest", "remind", "escalate"})


@dataclass(frozen=True)
class Mentions:
    """Route index (``[[notify.routes]]`` position, from 1) → the mobiles its messages @."""

    by_route: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def for_route(self, route: Route) -> tuple[str, ...]:
        return self.by_route.get(route.index, ())

    def __bool__(self) -> bool:
        return bool(self.by_route)


def _redact(mobile: str) -> str:
    return mobile[:3] + "****" + mobile[-4:]


def load_mentions(settings: Any) -> Mentions:
    """The ``at_mobiles`` of each route, validated (an error names the route but not the number)."""
    out: dict[int, tuple[str, ...]] = {}
    for index, item in enumerate(settings.get("notify.routes", []) or [], start=1):
        raw = item.get("at_mobiles") if isinstance(item, Mapping) else None
        if not raw:
            continue
        name = str(item.get("name") or "")
        where = f"notify.routes[{index}]" + (f"（{name}）" if name else "")
        if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
            raise ConfigError(f'{where}：at_mobiles 应为手机号列表，如 ["13800000000"]')
        bad = [m for m in raw if not MOBILE.match(m.strip())]
        if bad:
            shown = "、".join(_redact(m) if len(m) >= 7 else "（过短）" for m in bad)
            raise ConfigError(f"{where}：at_mobiles 中有不是 11 位手机号的值：{shown}")
        scheme = str(item.get("url", "")).split("://", 1)[0].lower()
        if scheme not in MENTION_SCHEMES:
            raise ConfigError(
                f"{where}：只有钉钉（dingtalk://）和企业微信群机器人（wecombot://）可以 @手机号"
            )
        out[index] = tuple(dict.fromkeys(m.strip() for m in raw))
    return Mentions(out)


def with_mentions(sender: Sender, mentions: Mentions) -> Sender:
    """``sender``, except that the first part of a digest, 催办 or escalation to a route with ``at_mobiles``
    is posted by duban's robot client with the mentions added to the payload."""
    if not mentions:
        return sender

    def send(
        route: Route, title: str, body: str, timeout: float, /, *, envelope: Envelope | None = None
    ) -> Delivery:
        mobiles = mentions.for_route(route)
        if (
            mobiles
            and route.scheme in MENTION_SCHEMES
            and envelope is not None
            and envelope.part == 1
            and envelope.key.split("|", 1)[0] in MENTION_KINDS
        ):
            from duban.notify.chat import post_chat

            return post_chat(
                route, body if not title else f"{title}\n{body}", timeout=timeout, mobiles=mobiles
            )
        return sender(route, title, body, timeout, envelope=envelope)

    return send
