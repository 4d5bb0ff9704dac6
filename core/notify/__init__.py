"""Notifications: channels (apprise URLs with tags), the 督办 alert rules, message texts and senders.

The only package of duban that imports apprise (an import-linter contract says so), and it does so only
inside :mod:`duban.notify.apprise_send`'s functions. The services (:mod:`duban.services.notifications`)
plan the outbox and call a sender through :data:`duban.notify.delivery.Sender`.
"""

from __future__ import annotations

from duban.notify.delivery import (
    CLAIMED,
    POSSIBLE_DUPLICATE,
    SILENCED,
    UNCONFIRMED,
    Delivery,
    Envelope,
    Sender,
    message_parts,
    send,
)
from duban.notify.pacing import Clock, Pacer, RunClock
from duban.notify.routes import (
    COORDINATOR,
    DEFAULT_TAG,
    LEADERSHIP,
    NotifyConfig,
    Route,
    Rules,
    department_receiver,
    load_notify_config,
    parse_route,
)

__all__ = [
    "COORDINATOR",
    "DEFAULT_TAG",
    "Clock",
    "Pacer",
    "RunClock",
    "LEADERSHIP",
    "CLAIMED",
    "POSSIBLE_DUPLICATE",
    "SILENCED",
    "UNCONFIRMED",
    "Delivery",
    "Envelope",
    "NotifyConfig",
    "Route",
    "Rules",
    "Sender",
    "department_receiver",
    "load_notify_config",
    "message_parts",
    "parse_route",
    "send",
]
