"""``duban dashboard --web`` needs the one-time token, checks Origin and Host, and shows no password anywhere.

The server runs as a real ``duban`` process on 127.0.0.1 on a free port; the test talks HTTP and WebSocket to it
with aiohttp, then reads the command lines of the server and of the dashboard process it spawned for the tab
(/proc/PID/cmdline). On PostgreSQL the database URL carries a password (the local server trusts the loopback, so
any password connects): it must appear in no command line and not in the banner.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from duban.storage.db import make_engine, session_factory
from tests.services.workflow_scenario import build

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

PASSWORD = "Zx9-secret-pw"
REPO = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, login_url: str, output: list[str]) -> None:
        self.proc, self.port, self.login_url, self.output = proc, port, login_url, output
        self.base = f"http://127.0.0.1:{port}"


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[Served]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        build(session)
    engine.dispose()
    url = db_url
    if url.startswith("postgresql"):
        url = make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "DUBAN_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "duban", "--config", str(config), "dashboard", "--web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env=env,
    )
    output: list[str] = []
    found = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            output.append(raw.decode("utf-8", "replace"))
            if "token=" in output[-1]:
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert found.wait(30), "".join(output)
        login = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", "".join(output))
        assert login is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Served(proc, port, login.group(1), output)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _session_flow(s: Served) -> dict[str, object]:
    seen: dict[str, object] = {}
    token = s.login_url.split("token=", 1)[1]
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(s.base + "/") as r:
            seen["no token"] = (r.status, await r.text())
        async with anonymous.get(s.base + "/?token=wrong" + token[5:]) as r:
            seen["wrong token"] = r.status
        try:
            async with anonymous.ws_connect(s.base + "/ws", origin=s.base):
                seen["ws without login"] = "open"
        except aiohttp.WSServerHandshakeError as exc:
            seen["ws without login"] = exc.status
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address host
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(s.login_url, allow_redirects=False) as r:
            seen["login"] = (
                r.status,
                r.headers.get("Location"),
                "HttpOnly" in r.headers.get("Set-Cookie", ""),
            )
        async with browser.get(s.base + "/") as r:
            page = await r.text()
            seen["page"] = (r.status, "textual.js" in page and "督办" in page)
        try:
            async with browser.ws_connect(s.base + "/ws", origin="http://evil.example"):
                seen["ws wrong origin"] = "open"
        except aiohttp.WSServerHandshakeError as exc:
            seen["ws wrong origin"] = exc.status
        async with browser.get(s.base + "/", headers={"Host": f"rebind.example:{s.port}"}) as r:
            seen["wrong host"] = r.status
        async with browser.ws_connect(s.base + "/ws?width=100&height=30", origin=s.base) as ws:
            msg = await ws.receive(timeout=30)  # the dashboard process started and speaks
            seen["ws"] = msg.type
            children = _descendants(s.proc.pid)
            deadline = time.monotonic() + 15
            while not any("dashboard" in _cmdline(p) for p in children) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                children = _descendants(s.proc.pid)
            seen["children"] = [_cmdline(p) for p in children]
    async with aiohttp.ClientSession() as replay:  # the token was spent
        async with replay.get(s.login_url, allow_redirects=False) as r:
            seen["token again"] = r.status
    return seen


def test_web_dashboard_login_origin_and_no_secret(served: Served, db_url: str) -> None:
    seen = asyncio.run(_session_flow(served))
    status, body = seen["no token"]  # type: ignore[misc]
    assert status == 403 and "一次性令牌" in body
    assert seen["wrong token"] == 403
    assert seen["ws without login"] == 403
    assert seen["login"] == (303, "/", True)
    assert seen["page"] == (200, True)
    assert seen["ws wrong origin"] == 403
    assert seen["wrong host"] == 403
    assert seen["ws"] == aiohttp.WSMsgType.BINARY
    assert seen["token again"] == 403
    children = seen["children"]
    assert isinstance(children, list) and any("dashboard" in c for c in children), children
    lines = [_cmdline(served.proc.pid), *children]
    secret = PASSWORD if db_url.startswith("postgresql") else make_url(db_url).database
    assert secret
    for line in lines:
        assert secret not in line and "--db" not in line, line
    banner = "".join(served.output)
    assert PASSWORD not in banner and "postgresql" not in banner and "sqlite" not in banner
    assert "token=" in banner  # the login address is printed, once, on the terminal that started the server
