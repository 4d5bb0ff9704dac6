"""``duban dashboard --web`` answers on 127.0.0.1 with duban's own page, which names no external host."""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")


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
    )
    try:
        page = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    page = resp.read().decode("utf-8")
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read().decode() if proc.stdout else "server exited")
                time.sleep(0.2)
        assert page is not None, "the web dashboard did not answer"
        assert "督办" in page and "textual.js" in page and 'lang="zh-CN"' in page
        hosts = set(re.findall(r"(?:https?|wss?)://([^/:\"' ]+)", page))
        assert hosts == {"127.0.0.1"}, hosts
        assert "googleapis" not in page and "Noto Sans Mono CJK SC" in page
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/fonts/RobotoMono-VariableFont_wght.ttf", timeout=5
        ) as font:
            assert font.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
