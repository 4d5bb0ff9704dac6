"""Dashboard fixtures: the seed world built once per run, copied for each test; an app factory."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine

from duban.plugin_host import PluginHost
from duban.services.identity import Actor
from duban.storage.db import make_engine, session_factory
from duban.tui.app import DubanApp, create_app
from tests.tui.world import COORD, FROZEN, TODAY, World, build_world


@pytest.fixture(scope="session")
def tui_host() -> PluginHost:
    return PluginHost.load()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory, tui_host: PluginHost) -> tuple[Path, World]:
    """Built once, with time frozen (audit times in the detail pane are the same on every run)."""
    path = tmp_path_factory.mktemp("tui") / "world.db"
    with time_machine.travel(FROZEN, tick=False):
        world = build_world(path, tui_host)
    return path, world


@pytest.fixture(autouse=True)
def _quiet_textual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def world_db(world_template: tuple[Path, World], tmp_path: Path) -> Iterator[tuple[Engine, World]]:
    template, world = world_template
    target = tmp_path / "dashboard.db"
    shutil.copyfile(template, target)
    engine = make_engine(f"sqlite:///{target}")
    yield engine, world
    engine.dispose()


@pytest.fixture
def world(world_db: tuple[Engine, World]) -> World:
    return world_db[1]


@pytest.fixture
def make_app(world_db: tuple[Engine, World], tui_host: PluginHost, tmp_path: Path) -> Callable[..., DubanApp]:
    engine, _ = world_db

    def build(actor: Actor = COORD, **kwargs: object) -> DubanApp:
        return create_app(
            session_factory=session_factory(engine),
            host=tui_host,
            actor=actor,
            today=TODAY,
            attachment_root=tmp_path / "attachments",
            **kwargs,
        )  # type: ignore[arg-type]

    return build


@pytest.fixture
def sessions(world_db: tuple[Engine, World]):
    return session_factory(world_db[0])
