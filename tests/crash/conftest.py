"""Crash tests: the real ``duban`` in a subprocess, killed with SIGKILL at a forced point
(``DUBAN_CRASH_AT``, see duban.testing_points), then run again. Nothing is mocked: real SQLite files and
PostgreSQL databases, and the loopback receivers of tests/notify for deliveries."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from duban.storage.db import make_engine, session_factory
from tests.notify.conftest import robot  # noqa: F401 - the chat robot on 127.0.0.1, a fixture here too
from tests.services.workflow_scenario import Scenario, build


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@dataclass
class Duban:
    """``duban --db URL --config FILE …`` in a subprocess, with its own XDG folders."""

    db_url: str
    config: Path
    home: Path

    def env(self, crash_at: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
        env["XDG_CONFIG_HOME"] = str(self.home / "xdg-config")
        env["XDG_DATA_HOME"] = str(self.home / "xdg-data")
        if crash_at is not None:
            env["DUBAN_CRASH_AT"] = crash_at
        return env

    def __call__(self, *args: str, crash_at: str | None = None, db: bool = True) -> Ran:
        argv = [sys.executable, "-m", "duban"]
        if db:
            argv += ["--db", self.db_url, "--config", str(self.config)]
        done = subprocess.run(
            [*argv, *args], env=self.env(crash_at), capture_output=True, text=True, timeout=120, check=False
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Ran:
        ran = self(*args)
        assert ran.code == 0, (args, ran.out, ran.err)
        return ran

    def crash(self, point: str, *args: str, db: bool = True) -> Ran:
        """Run until the forced point, where the process kills itself; the point must be reached."""
        ran = self(*args, crash_at=point, db=db)
        assert ran.code == -signal.SIGKILL, (point, args, ran.code, ran.out, ran.err)
        assert f"DUBAN_CRASH_POINT {point.split('@')[0]}" in ran.err, ran.err
        return ran

    def audit_valid(self) -> None:
        ran = self("audit", "verify")
        assert ran.code == 0, (ran.out, ran.err)

    def count(self, model: type) -> int:
        engine = make_engine(self.db_url)
        try:
            with session_factory(engine)() as session:
                return session.scalar(select(func.count()).select_from(model)) or 0
        finally:
            engine.dispose()


def write_config(path: Path, extra: str = "") -> Path:
    path.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n{extra}', encoding="utf-8")
    return path


@pytest.fixture
def duban_empty(empty_db_url: str, tmp_path: Path) -> Duban:
    """duban on an empty (unmigrated) database of the backend."""
    return Duban(empty_db_url, write_config(tmp_path / "duban.toml"), tmp_path)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> tuple[Duban, Scenario]:
    """duban on a migrated database holding the workflow scenario (users coord, mz, fl; three milestones)."""
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        scenario = build(session)
    engine.dispose()
    return Duban(db_url, write_config(tmp_path / "duban.toml"), tmp_path), scenario
