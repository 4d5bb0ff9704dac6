"""Smoke test: the installed command line and the dashboard on a freshly built demo database.

It runs twice in CI: inside the normal test run (so it cannot rot), and in a virtual environment where
every direct dependency is installed at its declared lower bound ("lowest allowed versions" in .ci/run;
docs/dependencies.md), where it is the only test run. So it needs duban, its extras and pytest — nothing
else from the dev extra (no time-machine, hypothesis, syrupy, pytest-asyncio …).

Select it alone with ``pytest -m smoke``.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import pytest

# the demo (every test here starts from it) registers department users: it needs the department plugins
pytestmark = [pytest.mark.smoke, pytest.mark.departments]

SEED = "002_09c426360c691ab7.txt"  # 吉民发〔2020〕28号, one of the five seeds in duban.demo.seeds
PDF_SEED = "003_206813141252fb57.txt"  # 2025, six tasks under section 03


def _seed_text(name: str) -> str:
    return resources.files("duban.demo.seeds").joinpath(name).read_text(encoding="utf-8")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["XDG_CONFIG_HOME"] = str(home / "xdg-config")
    env["XDG_DATA_HOME"] = str(home / "xdg-data")
    return env


def _duban(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m duban ARGS`` in a child process, with its own XDG folders."""
    result = subprocess.run(
        [sys.executable, "-m", "duban", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(home),
        timeout=timeout,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``duban demo --no-open``: the five seed policies, schedules, reports — built once for the module."""
    home = tmp_path_factory.mktemp("smoke")
    db = home / "demo.db"
    result = _duban(home, "demo", "--no-open", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "民发〔2019〕86号" in result.stdout and "云民发〔2020〕8号" in result.stdout
    assert db.exists()
    return home, db


def test_help_and_console_script(tmp_path: Path) -> None:
    result = _duban(tmp_path, "--help")
    assert result.returncode == 0 and "督办" in result.stdout and "dashboard" in result.stdout
    script = shutil.which("duban", path=str(Path(sys.executable).parent))
    assert script is not None, "the duban console script is installed next to the interpreter"
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("duban, version ")


def test_init_uses_the_platform_folders(tmp_path: Path) -> None:
    """Without --db or --config: the config file and the database go to the XDG folders (platformdirs)."""
    first = _duban(tmp_path, "init")
    assert first.returncode == 0, first.stderr
    config = tmp_path / "xdg-config" / "duban" / "duban.toml"
    database = tmp_path / "xdg-data" / "duban" / "duban.db"
    assert config.is_file() and database.is_file()
    assert f"{config}（已创建）" in first.stdout
    again = _duban(tmp_path, "init")
    assert again.returncode == 0 and f"{config}（已存在，未改动）" in again.stdout


def test_status_overdue_and_calendar(demo: tuple[Path, Path]) -> None:
    home, db = demo
    status = _duban(home, "--db", str(db), "status")
    assert status.returncode == 0, status.stderr
    assert "任务 红" in status.stdout and "民政" in status.stdout and "minzheng" not in status.stdout
    overdue = _duban(home, "--db", str(db), "overdue", "--json")
    assert overdue.returncode == 0, overdue.stderr
    json.loads(overdue.stdout)
    # the 2026 调休 arrangement comes from the holidays library (its lower bound is set by this)
    calendar = _duban(home, "--db", str(db), "calendar", "2026-02", "--json")
    assert calendar.returncode == 0, calendar.stderr
    days = {d["date"]: d for d in json.loads(calendar.stdout)["days"]}
    assert days["2026-02-14"]["working"] and days["2026-02-14"]["kind"] == "makeup"
    assert days["2026-02-17"]["name"] == "春节" and not days["2026-02-17"]["working"]


def test_assess_import_and_notify(demo: tuple[Path, Path]) -> None:
    home, db = demo
    assess = _duban(home, "--db", str(db), "assess", "--period", "2025", "--json")
    assert assess.returncode == 0, assess.stderr
    scores = json.loads(assess.stdout)
    assert scores["period"] == "2025" and scores["scheme"] == "default"
    seed = resources.files("duban.demo.seeds").joinpath(SEED)
    with resources.as_file(seed) as path:
        imported = _duban(home, "--db", str(db), "import", str(path), "--dry-run", "--json")
    assert imported.returncode == 0, imported.stderr
    plan = json.loads(imported.stdout)
    assert plan["policy"]["doc_number"] == "吉民发〔2020〕28号" and plan["tasks"]
    notify = _duban(home, "--db", str(db), "notify", "--dry-run")
    # no routes are configured here: receivers due a message are warned of, with exit 11 (docs/notifications.md)
    assert notify.returncode == 0 or (notify.returncode == 11 and "没有配置通知渠道" in notify.stderr), (
        notify.stderr
    )
    assert "将生成" in notify.stdout


def test_export_and_compare(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """openpyxl writes the assessment workbook; rapidfuzz matches a province's tasks to the national ones."""
    home, db = demo
    workbook = tmp_path / "考核.xlsx"
    export = _duban(
        home, "--db", str(db), "assess", "--period", "2025", "--export", "xlsx", "-o", str(workbook)
    )
    assert export.returncode == 0, export.stderr
    assert workbook.read_bytes()[:2] == b"PK"
    compare = _duban(home, "--db", str(db), "compare", "云民发〔2020〕8号", "民发〔2019〕86号", "--json")
    assert compare.returncode == 0, compare.stderr
    assert "民发〔2019〕86号" in compare.stdout


def test_import_docx_and_pdf(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """The document readers at work: python-docx and pypdf read a seed written as .docx and as .pdf."""
    import docx

    from tests.importing.test_readers import make_pdf

    home, db = demo
    document = docx.Document()
    for line in _seed_text(SEED).split("\n"):
        document.add_paragraph(line)
    docx_path = tmp_path / "吉林.docx"
    document.save(str(docx_path))
    lines = [line for line in _seed_text(PDF_SEED).split("\n") if line.strip()]
    pdf_path = tmp_path / "2025.pdf"
    pdf_path.write_bytes(make_pdf([lines[: len(lines) // 2], lines[len(lines) // 2 :]]))
    from_docx = _duban(home, "--db", str(db), "import", str(docx_path), "--dry-run", "--json")
    assert from_docx.returncode == 0, from_docx.stderr
    assert json.loads(from_docx.stdout)["policy"]["doc_number"] == "吉民发〔2020〕28号"
    from_pdf = _duban(home, "--db", str(db), "import", str(pdf_path), "--dry-run", "--json")
    assert from_pdf.returncode == 0, from_pdf.stderr
    assert len(json.loads(from_pdf.stdout)["tasks"]) == 6


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_notify_test_goes_through_apprise(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """A test message to a receiver on 127.0.0.1 through apprise's json:// plugin, logged as a success."""
    home, db = demo
    _Receiver.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "duban.toml"
        config.write_text(
            f'[[notify.routes]]\nname = "协调人"\nurl = "json://127.0.0.1:{server.server_port}/duban"\n'
            'tags = ["coordinator"]\n',
            encoding="utf-8",
        )
        sent = _duban(home, "--db", str(db), "--config", str(config), "notify", "test", "--to", "coordinator")
    finally:
        server.shutdown()
        server.server_close()
    assert sent.returncode == 0, sent.stderr
    assert len(_Receiver.bodies) == 1 and "【督办·测试】" in json.loads(_Receiver.bodies[0])["title"]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_upgrade_import_status(empty_db_url: str, tmp_path: Path) -> None:
    """psycopg and SQLAlchemy's PostgreSQL dialect: migrate, import a seed, ask for the lights."""
    upgrade = _duban(tmp_path, "--db", empty_db_url, "init")
    assert upgrade.returncode == 0, upgrade.stderr
    with resources.as_file(resources.files("duban.demo.seeds").joinpath(SEED)) as path:
        imported = _duban(tmp_path, "--db", empty_db_url, "import", str(path))
    assert imported.returncode == 0, imported.stderr
    status = _duban(tmp_path, "--db", empty_db_url, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)


def test_dashboard_headless(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """The app ``duban dashboard`` runs, driven by Textual's Pilot: screens switch and tables fill."""
    from textual.widgets import DataTable

    from duban.cli.cmd_dashboard import build_dashboard
    from duban.cli.state import CliState

    _home, demo_db = demo
    db = tmp_path / "dashboard.db"
    shutil.copyfile(demo_db, db)  # the dashboard may write (sessions, audit); keep the module's copy clean
    state = CliState(db=str(db))
    app, engine = build_dashboard(state, state.database_url)

    async def rows_of(pilot, selector: str) -> int:  # noqa: ANN001 - textual.pilot.Pilot
        table = None
        for _ in range(100):  # the screens load in thread workers
            await pilot.pause(0.05)
            tables = pilot.app.screen.query(selector)
            table = tables.first(DataTable) if tables else None
            if table is not None and table.row_count:
                break
        return 0 if table is None else table.row_count

    async def drive() -> dict[str, object]:
        seen: dict[str, object] = {}
        async with app.run_test(size=(150, 45)) as pilot:
            seen["inbox"] = type(app.screen).__name__  # the coordinator lands on 待办
            await pilot.press("2")
            seen["overview"] = (type(app.screen).__name__, await rows_of(pilot, "#departments"))
            await pilot.press("3")
            seen["tasks"] = (type(app.screen).__name__, await rows_of(pilot, "#tasks"))
            await pilot.press("5")
            seen["assessment"] = (type(app.screen).__name__, await rows_of(pilot, "#scores"))
            await pilot.press("question_mark")
            await pilot.pause(0.2)
            seen["keys"] = type(app.screen).__name__
            seen["svg"] = app.export_screenshot()
            await pilot.press("escape")
            await pilot.press("q")
        return seen

    try:
        seen = asyncio.run(drive())
    finally:
        engine.dispose()
    assert seen["inbox"] == "InboxScreen"
    assert seen["overview"][0] == "OverviewScreen" and seen["overview"][1] >= 10
    # the supervised tasks of the five seeds (the draft adds only its comment duty): dozens of rows
    assert seen["tasks"][0] == "TasksScreen" and seen["tasks"][1] > 50
    assert seen["assessment"][0] == "AssessmentScreen" and seen["assessment"][1] > 5
    assert seen["keys"] == "KeysScreen"
    assert "督办" in str(seen["svg"]) and "nav.tasks" in str(seen["svg"])


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


def test_dashboard_web(demo: tuple[Path, Path]) -> None:
    """With the ``web`` extra: ``duban dashboard --web`` answers on 127.0.0.1 with duban's own page."""
    if find_spec("textual_serve") is None:
        pytest.skip("the web extra (textual-serve) is not installed")
    home, db = demo
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "duban", "--db", str(db), "dashboard", "--web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**_env(home), "PYTHONUNBUFFERED": "1"},
    )
    try:
        page, opener = _login_page(proc)
        assert "督办" in page and 'lang="zh-CN"' in page and "textual.js" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)
