"""Progress on long work (issue 20, item 6): one bar on a terminal's stderr with counts and time left, quiet
with --json or when stderr is not a terminal; the services report through a typed callback, never print."""

from __future__ import annotations

import datetime as dt
import io
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from duban.cli.main import cli
from duban.cli.progress import ProgressBar, format_seconds, progress_bar
from duban.plugin_host import PluginHost

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, advance: int, /, total: int | None = None) -> None:
        self.calls.append((advance, total))

    @property
    def done(self) -> int:
        return sum(a for a, _ in self.calls)

    @property
    def total(self) -> int | None:
        return next((t for _, t in reversed(self.calls) if t is not None), None)


def test_the_bar_shows_counts_share_and_time_left() -> None:
    clock, out = Clock(), Terminal()
    bar = ProgressBar("导入文件", total=4, stream=out, clock=clock)
    assert bar.line() == "导入文件 [------------------------] 0/4   0% 剩余 --:--"
    clock.now += 30
    bar(1)
    assert bar.line() == "导入文件 [######------------------] 1/4  25% 剩余 1:30"
    clock.now += 0.01
    bar(1)  # within the redraw interval: counted, not drawn
    assert out.getvalue().count("\r") == 1
    clock.now += 60
    bar(2)  # the last one is always drawn
    bar.close()
    lines = out.getvalue().split("\r")
    assert lines[-1].startswith("导入文件 [########################] 4/4 100% 用时 1:30")
    assert out.getvalue().endswith("\n")


def test_a_total_learnt_later_and_an_unknown_total() -> None:
    clock = Clock()
    bar = ProgressBar("下发任务", stream=Terminal(), clock=clock)
    bar(5)
    clock.now += 5
    assert bar.line() == "下发任务 5 已用 0:05"
    bar(0, 20)
    assert bar.line().startswith("下发任务 [######------------------] 5/20  25% 剩余 0:15")


def test_nothing_is_drawn_when_disabled_or_not_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar("x", total=2, stream=out, enabled=False)
    bar(2)
    bar.close()
    assert out.getvalue() == "" and bar.done == 2
    with progress_bar("x", total=1) as piped:  # pytest's stderr is not a terminal
        piped(1)
    assert piped.enabled is False


def test_format_seconds() -> None:
    assert (
        format_seconds(0) == "0:00" and format_seconds(65.4) == "1:05" and format_seconds(3723) == "1:02:03"
    )


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``duban ARGS`` with stderr on a pseudo-terminal (stdout piped); exit code, stdout, the terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "duban", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=600)
    reader.join(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_importing_a_folder_on_a_terminal_shows_the_bar(tmp_path: Path) -> None:
    db = tmp_path / "库.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "db", "upgrade"]).exit_code == 0
    code, out, terminal = on_a_terminal("--db", str(db), "import", str(SEEDS), cwd=tmp_path)
    assert code == 0, terminal
    assert "共 5 份文件：已导入 5" in out
    assert "\r导入文件 [" in terminal and "5/5 100% 用时" in terminal
    assert "\\u000d" not in terminal  # the carriage return reaches the terminal, not escaped

    code, out, terminal = on_a_terminal("--db", str(db), "assess", "--period", "2025", cwd=tmp_path)
    assert code == 0, terminal
    assert "考核计算（步骤） [" in terminal and "3/3 100%" in terminal

    code, out, terminal = on_a_terminal("--db", str(db), "import", str(SEEDS), "--json", cwd=tmp_path)
    assert code == 0 and '"outcome": "unchanged"' in out
    assert "导入文件 [" not in terminal  # quiet with --json


def test_not_a_terminal_no_bar(tmp_path: Path) -> None:
    db = tmp_path / "库.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db), "db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["--db", str(db), "import", str(SEEDS)])
    assert result.exit_code == 0
    assert "导入文件" not in result.stderr and "[###" not in result.stdout + result.stderr


def test_assess_reports_each_step(session: Session, host: PluginHost) -> None:
    from duban.services.assessment import assess

    heard = Recorder()
    assess(session, actor=None, host=host, period="2025", config={}, progress=heard)
    assert heard.calls[0] == (0, 4) and heard.done == heard.total == 4
    quiet = Recorder()
    assess(session, actor=None, host=host, period="2025", config={}, evidence=False, progress=quiet)
    assert quiet.done == quiet.total == 3


def test_cascade_reports_the_rows_it_writes(session: Session, host: PluginHost) -> None:
    from duban.services.cascade import cascade_policy
    from duban.services.identity import SYSTEM
    from duban.services.importing import import_policy, registry_from

    import_policy(session, actor=SYSTEM, host=host, path=SEEDS / "000_ec88c21d93956c79.txt")
    heard = Recorder()
    result = cascade_policy(
        session,
        actor=SYSTEM,
        registry=registry_from(host),
        policy="云民发〔2020〕8号",
        to=["530100"],
        day=dt.date(2021, 1, 4),
        progress=heard,
    )
    assert result.created > 0
    assert heard.calls[0][1] is not None and heard.calls[0][1] >= result.created  # an estimate first
    assert heard.done == heard.total == result.created  # corrected to the rows written


@pytest.mark.departments
def test_demo_on_a_terminal_shows_the_bar_to_the_end(tmp_path: Path) -> None:
    code, out, terminal = on_a_terminal(
        "demo", "--no-open", "--db", str(tmp_path / "演示.db"), "--today", "2026-05-15", cwd=tmp_path
    )
    assert code == 0, terminal
    assert "演示数据库：" in out
    assert "\r生成演示数据 [" in terminal and "15/15 100% 用时" in terminal
