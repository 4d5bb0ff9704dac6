"""Without the ``web`` extra, ``duban dashboard --web`` says what to install (exit code 3), never a traceback.

textual-serve is hidden honestly: the child process puts a finder first on ``sys.meta_path`` that fails
every import of ``textual_serve`` as Python does for a module that is not installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from duban.errors import ConfigError

WITHOUT_TEXTUAL_SERVE = """
import sys


class NoTextualServe:
    def find_spec(self, name, path=None, target=None):
        if name == "textual_serve" or name.startswith("textual_serve."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoTextualServe())
from duban.cli import main

main()
"""


def _duban_without_web(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TEXTUAL_SERVE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=Path(__file__).parents[2],
    )


def test_the_blocker_hides_textual_serve() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_TEXTUAL_SERVE.replace("from duban.cli import main\n\nmain()", "import textual_serve"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 1 and "ModuleNotFoundError: No module named 'textual_serve'" in probe.stderr


def test_dashboard_web_without_the_extra_is_a_setup_error(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    result = _duban_without_web("--db", str(db), "dashboard", "--web", "--port", "8765")
    assert result.returncode == ConfigError.exit_code == 3, result.stderr
    assert result.stderr.startswith("错误：网页模式（--web）需要可选组件 textual-serve，当前未安装。")
    assert "pip install -e '.[web]'" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not db.exists(), "the missing extra is reported before the database is opened"


def test_terminal_dashboard_does_not_need_the_extra(tmp_path: Path) -> None:
    """Only --web needs textual-serve: the rest of the command line imports without it."""
    result = _duban_without_web("dashboard", "--help")
    assert result.returncode == 0, result.stderr
    assert "--web" in result.stdout
