"""Receivers for notification tests: a capturing apprise scheme, an SMTP server and a chat-robot HTTP server,
all on 127.0.0.1. Nothing of duban's own code is mocked."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import apprise
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from duban.config import Settings, shipped_defaults
from duban.notify import NotifyConfig, load_notify_config
from duban.storage.db import session_factory

CAPTURED: list[dict[str, Any]] = []


@apprise.decorators.notify(on="capture", name="duban test capture")
def _capture(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """apprise scheme ``capture://NAME``: records what it is given (``capture://refuse`` fails)."""
    CAPTURED.append({"to": meta.get("host"), "title": title, "body": body})
    return meta.get("host") != "refuse"


@pytest.fixture
def captured() -> Iterator[list[dict[str, Any]]]:
    CAPTURED.clear()
    yield CAPTURED
    CAPTURED.clear()


def notify_config(routes: list[dict[str, Any]], **notify: Any) -> NotifyConfig:
    """The effective [notify] configuration of shipped defaults plus ``routes`` (validated as on load)."""
    data = shipped_defaults()
    data["notify"] = {**data["notify"], **notify, "routes": routes}
    return load_notify_config(Settings(data))


def at_local(day: str | dt.date, hour: int = 18, minute: int = 0) -> dt.datetime:
    """A UTC instant at a local (Asia/Shanghai) time of ``day``."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return dt.datetime.combine(d, dt.time(hour, minute), ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    port: int
    messages: list[bytes] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """An aiosmtpd server on 127.0.0.1 and a random port, keeping every message's raw bytes."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            sink.messages.append(envelope.original_content or envelope.content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Robot:
    """A chat robot on 127.0.0.1: answers each POST with the next scripted (status, body), then ``default``."""

    port: int = 0
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    default: tuple[int, dict[str, Any]] = (200, {"errcode": 0, "errmsg": "ok"})
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: seconds to wait before answering (a slow robot)
    delay: float = 0.0
    #: a rate limit like the vendors': more than ``limit`` posts within ``window`` seconds of ``clock()`` are
    #: refused with ``refusal`` (a 200 with an error code), as DingTalk / WeCom / Feishu do
    limit: int | None = None
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    refusal: dict[str, Any] = field(
        default_factory=lambda: {"errcode": 45009, "errmsg": "api freq out of limit"}
    )
    accepted_at: list[float] = field(default_factory=list)
    refused: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def robot() -> Iterator[Robot]:
    bot = Robot()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if bot.delay:
                time.sleep(bot.delay)
            with lock:
                status, body = bot.script.pop(0) if bot.script else bot.default
                if bot.limit is not None:
                    t = bot.clock()
                    recent = [a for a in bot.accepted_at if t - a < bot.window]
                    if len(recent) >= bot.limit:
                        status, body = 200, bot.refusal
                        bot.refused += 1
                    else:
                        bot.accepted_at.append(t)
                bot.requests.append(
                    {
                        "path": self.path,
                        "json": json.loads(raw.decode("utf-8")),
                        "bytes": len(raw),
                        "answer": body,
                        "status": status,
                    }
                )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    bot.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield bot
    finally:
        server.shutdown()
        server.server_close()
