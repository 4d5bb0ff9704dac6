"""``duban dashboard --web`` answers on 127.0.0.1 with duban's own page, which names no external host."""

from __future__ import annotations

import getpass
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")


def _login_page(
    proc: subprocess.Popen[bytes], timeout: float = 30
) -> tuple[str, urllib.request.OpenerDirector]:
    """Read the one-time login address from the server's output, log in (the token becomes a session cookie)
    and return the dashboard page with the logged-in opener."""
    import http.cookiejar
    import re

    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    login = None
    output = []
    while login is None and time.monotonic() < deadline:
        line = proc.stdout.readline().decode("utf-8", "replace")
        if not line and proc.poll() is not None:
            pytest.fail("".join(output) or "the server exited")
        output.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        login = found.group(1) if found else None
    assert login is not None, "".join(output)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    while True:
        try:
            with opener.open(login, timeout=2) as resp:
                return resp.read().decode("utf-8"), opener
        except urllib.error.HTTPError:
            raise
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_web_mode_serves_a_local_page(world_template: tuple[Path, object], tmp_path: Path) -> None:
    db, _ = world_template
    port = _free_port()
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from duban.cli import main; main()",
            "--db",
            str(db),
            "--config",
            str(config),
            "--as",
            "mz",
            "dashboard",
            "--web",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        page, opener = _login_page(proc)
        assert "督办" in page and "textual.js" in page and 'lang="zh-CN"' in page
        hosts = set(re.findall(r"(?:https?|wss?)://([^/:\"' ]+)", page))
        assert hosts == {"127.0.0.1"}, hosts
        assert "googleapis" not in page and "Noto Sans Mono CJK SC" in page
        with opener.open(
            f"http://127.0.0.1:{port}/static/fonts/RobotoMono-VariableFont_wght.ttf", timeout=5
        ) as font:
            assert font.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
