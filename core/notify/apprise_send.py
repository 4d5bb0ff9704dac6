"""Everything duban does with apprise: parse a URL (validation, redaction) and send through it.

The only module of duban that imports apprise, and only inside functions: importing apprise costs
~0.3 s, which the CLI should not pay unless it sends or validates routes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from duban.notify.delivery import Delivery

if TYPE_CHECKING:
    from duban.notify.routes import Route


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def _quiet_apprise() -> Iterator[None]:
    """apprise logs an unparseable URL in full, secrets included: keep those lines out of the logs."""
    logger = logging.getLogger("apprise")
    drop = _DropRecords()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _instantiate(url: str) -> Any:
    import apprise

    with _quiet_apprise():
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def redacted_url(url: str) -> str | None:
    """apprise's ``url(privacy=True)`` of ``url``, or None when apprise cannot parse it."""
    plugin = _instantiate(url)
    return plugin.url(privacy=True) if plugin is not None else None


def chat_parameters(url: str) -> dict[str, str | None]:
    """The token/key/secret apprise reads from a chat robot URL (one parser for validation and sending)."""
    plugin = _instantiate(url)
    if plugin is None:
        return {}
    return {
        "token": getattr(plugin, "token", None) or getattr(plugin, "key", None),
        "secret": getattr(plugin, "secret", None),
    }


def send_apprise(route: Route, title: str, body: str, *, timeout: float) -> Delivery:
    """Send through apprise. ``bool(result)`` is true only on success; a failure is retryable (apprise does
    not say why it failed beyond its log line, which becomes the detail)."""
    import apprise

    asset = apprise.AppriseAsset(app_id="duban", app_desc="duban 督办")
    app = apprise.Apprise(asset=asset)
    if not app.add(route.url):
        return Delivery(False, True, "apprise 无法解析该地址")
    result = app.notify(
        body=body, title=title, body_format=apprise.NotifyFormat.TEXT, timeout=timeout if timeout else 0
    )
    if result:
        return Delivery(True)
    messages = [
        entry.message
        for res in result.results
        for entry in res.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL")
    ]
    status = getattr(result.status, "name", str(result.status))
    if result.status == apprise.AppriseResultStatus.NOMATCH:
        return Delivery(False, True, "没有匹配的通知渠道（apprise NOMATCH）")
    return Delivery(False, False, f"apprise {status}: " + ("; ".join(messages) or "发送失败"))
