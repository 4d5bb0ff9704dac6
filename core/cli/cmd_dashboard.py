"""duban dashboard: the Textual dashboard in the terminal, or (--web) in a browser on 127.0.0.1."""

from __future__ import annotations

import os
import shlex
import sys
from typing import TYPE_CHECKING

import click

from duban.cli.state import CliState, pass_state
from duban.cli.types import CountType

#: the environment variable that carries the database URL to the web dashboard's tab processes
DATABASE_ENV = "DUBAN_DATABASE_URL"

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from duban.tui.app import DubanApp


@click.command("dashboard")
@click.option("--web", is_flag=True, help="在浏览器中使用（textual-serve，只监听 127.0.0.1）")
@click.option("--port", type=CountType(1, 65535), default=8000, show_default=True, help="网页模式的端口")
@pass_state
def dashboard_cmd(state: CliState, web: bool, port: int) -> None:
    """督办仪表盘：总览、任务、部门、考核、政策、通知；在界面中签收、报送、复核、延期。"""
    if web:
        serve_web(state, port)
    else:
        open_dashboard(state, state.database_url)


def open_dashboard(state: CliState, url: str) -> None:
    """Run the dashboard on the database at ``url`` as the CLI's acting user (``--as`` for coordinators)."""
    app, engine = build_dashboard(state, url)
    try:
        app.run()
    finally:
        engine.dispose()


def build_dashboard(state: CliState, url: str) -> tuple[DubanApp, Engine]:
    """The app ``duban dashboard`` runs, and the engine it reads (the caller disposes of it).

    The smoke test (tests/smoke) drives this same app headless with ``App.run_test()``.
    """
    from duban.config import data_dir
    from duban.services.clock import local_today
    from duban.storage.db import make_engine, session_factory
    from duban.storage.migrate import require_current
    from duban.tui.app import create_app

    engine = make_engine(url, create=False)
    try:
        require_current(engine)
        factory = session_factory(engine)
        with factory() as session:
            actor = state.actor(session)
    except BaseException:
        engine.dispose()
        raise
    settings = state.settings
    app = create_app(
        session_factory=factory,
        host=state.host,
        actor=actor,
        today=local_today(settings.timezone),
        warning_days=settings.warning_days,
        timezone=settings.timezone,
        attachment_root=data_dir() / "attachments",
        settings=settings,
        keymap=settings.get("dashboard.keymap") or None,
    )
    return app, engine


def child_command(state: CliState) -> str:
    """The shell command textual-serve runs for each browser tab: this duban, same config and user.

    The database URL (which may hold a password) is never on this command line, where every user of the
    machine could read it (``ps``, /proc/PID/cmdline): :func:`serve_web` puts it in the server's environment,
    which the tab processes inherit (readable only by the same system user)."""
    args = [sys.executable, "-c", "from duban.cli import main; main()"]
    if state.config_path is not None:
        args += ["--config", str(state.config_path)]
    if state.as_user:
        args += ["--as", state.as_user]
    return shlex.join([*args, "dashboard"])


def serve_web(state: CliState, port: int) -> None:
    from duban.storage.migrate import require_current
    from duban.tui.web import make_server, server_class

    server_class()  # without the web extra: a ConfigError (exit 3) saying what to install, before anything else
    require_current(state.engine)
    with state.session() as session:
        state.actor(session)  # refuse an unknown user here, not in every browser tab
    os.environ[DATABASE_ENV] = state.database_url  # for the tab processes: not on their command line
    server = make_server(child_command(state), port=port)
    click.echo("督办仪表盘（网页），仅本机可访问；Ctrl+C 结束。")
    click.echo("在浏览器中打开下面的网址登录（一次性令牌，只能用一次，请勿转发）：")
    click.echo(f"  {server.login_url}")
    server.serve()
