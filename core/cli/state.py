"""What every command shares: settings, the database, the plugin host, the acting user, output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from duban.config import Settings
    from duban.plugin_host import PluginHost
    from duban.services.identity import Actor


@dataclass
class CliState:
    db: str | None = None
    config_path: Path | None = None
    as_user: str | None = None
    traceback: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        from duban.config import load_settings

        return load_settings(self.config_path)

    @cached_property
    def database_url(self) -> str:
        from duban.config import resolve_database_url

        return resolve_database_url(self.db, self.settings)

    @cached_property
    def engine(self) -> Engine:
        from duban.storage.db import make_engine

        return make_engine(self.database_url)

    @cached_property
    def host(self) -> PluginHost:
        from duban.plugin_host import PluginHost

        return PluginHost.load()

    def actor(self, session: Session) -> Actor:
        """The acting user: on PostgreSQL the login role the database authenticated (``--as`` only for the
        database's owner); on SQLite the OS login through ``users.map`` (``--as`` for coordinators)."""
        from duban.services.identity import resolve_actor

        return resolve_actor(session, as_user=self.as_user, login_map=self.settings.get("users.map", {}))

    @contextmanager
    def session(self, *, migrated: bool = True) -> Iterator[Session]:
        """One unit of work on a migrated database: commit at the end, roll back on error. A write the
        database refuses (PostgreSQL's privileges, row-level security, the journal's triggers) is
        :class:`~duban.errors.PermissionDenied` (exit code 8)."""
        from duban.storage.db import refused_by_database, session_factory, unit_of_work
        from duban.storage.migrate import require_current

        if migrated:
            require_current(self.engine)
        with refused_by_database(), unit_of_work(session_factory(self.engine)) as session:
            yield session


pass_state = click.make_pass_decorator(CliState, ensure=True)


def echo_json(data: Any) -> None:
    """Print a service result (or a list of them) as its ``to_json()``; plain data is printed as it is."""
    from duban.domain.jsonable import to_jsonable

    click.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))


def cell(text: Any, width: int) -> str:
    """Pad ``text`` to ``width`` terminal cells (Chinese characters count two)."""
    from duban.domain.textwidth import pad

    return pad("" if text is None else str(text), width)
