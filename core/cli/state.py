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


#: the commands that only read (by their path below ``duban``): their unit of work is rolled back, never
#: committed, whatever they compute on the way. ``notify --dry-run``, ``assess`` without ``--freeze`` and
#: ``cascade --rollup`` mark themselves (:attr:`CliState.read_only`). tests/cli/test_hostile_inputs.py runs each.
READ_ONLY = frozenset(
    {
        "status",
        "overdue",
        "report list",
        "report template",
        "policies",
        "tasks",
        "inbox",
        "findings",
        "audit verify",
        "audit log",
        "user list",
        "agencies",
        "jurisdictions",
        "alias list",
        "schedule list",
        "template list",
        "template catalog",
        "milestones",
        "milestones list",
        "calendar",
        "calendar show",
        "map list",
        "compare",
        "assess show",
        "assess list",
        "assess schemes",
        "notify log",
        "notify silence list",
        "db current",
        "plugins",
    }
)


def command_path() -> str:
    """The running command's path below ``duban`` (``report list``), empty outside a command."""
    ctx = click.get_current_context(silent=True)
    return " ".join(ctx.command_path.split()[1:]) if ctx is not None else ""


@dataclass
class CliState:
    db: str | None = None
    config_path: Path | None = None
    as_user: str | None = None
    traceback: bool = False
    #: a missing SQLite file may be created (init, db upgrade); every other command finds it or fails
    creates_database: bool = False
    #: a read command: its unit of work is rolled back, never committed (set by the edge, see main.READ_ONLY)
    read_only: bool = False
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

        return make_engine(self.database_url, create=self.creates_database)

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
        :class:`~duban.errors.PermissionDenied` (exit code 8). A read command's unit of work
        (:attr:`read_only`) is always rolled back: whatever a read computes on the way (calendar years, the
        responsibility checks' findings) is never committed."""
        from duban.storage.db import read_only_session, refused_by_database, session_factory, unit_of_work
        from duban.storage.migrate import require_current

        if migrated:
            require_current(self.engine)
        if self.read_only or command_path() in READ_ONLY:
            with refused_by_database(), read_only_session(self.engine) as session:
                yield session
            return
        with refused_by_database(), unit_of_work(session_factory(self.engine)) as session:
            yield session


pass_state = click.make_pass_decorator(CliState, ensure=True)


def echo_json(data: Any) -> None:
    """Print a service result (or a list of them) as its ``to_json()``; plain data is printed as it is.

    Streamed (issue 20, item 4): the text is exactly ``json.dumps(to_jsonable(data), ensure_ascii=False,
    indent=2)``, but each item of a list is converted and written as it comes, so neither the whole JSON
    copy of a large result (an assessment's evidence) nor its whole text is ever held in memory."""
    buffer: list[str] = []
    size = 0
    for chunk in iter_json(data):
        buffer.append(chunk)
        size += len(chunk)
        if size >= JSON_CHUNK:
            click.echo("".join(buffer), nl=False)
            buffer, size = [], 0
    buffer.append("\n")
    click.echo("".join(buffer), nl=False)


#: characters of JSON text written at a time
JSON_CHUNK = 1 << 16


def iter_json(value: Any, level: int = 0) -> Iterator[str]:
    """The text of ``json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)`` in pieces, converting
    one field or item at a time (dataclasses, mappings, lists and tuples are walked, never copied whole)."""
    import dataclasses
    from collections.abc import Mapping
    from pathlib import PurePath

    from duban.domain.jsonable import to_jsonable

    pairs: Iterator[tuple[str, Any]] | None = None
    items: Iterator[Any] | None = None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        extra = ((name, getattr(value, name)) for name in getattr(value, "json_extra", ()))
        pairs = (p for group in (fields, extra) for p in group)
    elif isinstance(value, Mapping):
        pairs = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = iter(value)
    if pairs is None and items is None or isinstance(value, str | PurePath):
        yield json.dumps(to_jsonable(value), ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
        return
    inner = "\n" + "  " * (level + 1)
    first = True
    if pairs is not None:
        for key, item in pairs:
            yield ("{" if first else ",") + inner + json.dumps(key, ensure_ascii=False) + ": "
            yield from iter_json(item, level + 1)
            first = False
        yield "{}" if first else "\n" + "  " * level + "}"
        return
    assert items is not None
    for item in items:
        yield ("[" if first else ",") + inner
        yield from iter_json(item, level + 1)
        first = False
    yield "[]" if first else "\n" + "  " * level + "]"


def cell(text: Any, width: int) -> str:
    """Pad ``text`` to ``width`` terminal cells (Chinese characters count two); control characters, newlines
    included, are written escaped (``\\u000a``) so that no value can forge a line or drive the terminal."""
    from duban.domain.limits import escape
    from duban.domain.textwidth import pad

    return pad(escape("" if text is None else str(text)), width)
