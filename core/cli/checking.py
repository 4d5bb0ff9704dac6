"""Running the responsibility checks from a command, and saying which plugin failed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from duban.cli.state import CliState
    from duban.services.responsibility_checks import CheckRunResult
    from duban.services.status import Scope


def run_checks(state: CliState, session: Session, day: dt.date, scope: Scope | None = None) -> CheckRunResult:
    """The plugins' responsibility checks for ``day`` on ``scope``, stored in this command's transaction."""
    from duban.services.clock import local_today
    from duban.services.responsibility_checks import run_responsibility_checks

    tz = state.settings.timezone
    return run_responsibility_checks(
        session,
        host=state.host,
        as_of=day,
        scope=scope,
        actor=state.actor(session),
        today=local_today(tz),
        tz=tz,
    )


def echo_check_faults(result: CheckRunResult) -> None:
    """One line on stderr per plugin whose check raised (the others' findings were stored)."""
    for fault in result.faults:
        times = f"，{fault.count} 项责任" if fault.count > 1 else ""
        click.secho(
            f"注意：插件 {fault.plugin} 的责任检查出错（{fault.error}{times}），已跳过；其余插件的检查照常",
            err=True,
            fg="yellow",
        )
