"""What every screen of the dashboard shares: sessions, the plugin host, the acting user, the day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from duban.plugin_host import PluginHost
from duban.services.clock import local_noon_utc, local_today
from duban.services.identity import Actor
from duban.services.status import Scope, scope_for
from duban.storage.db import unit_of_work

T = TypeVar("T")


@dataclass
class DashboardContext:
    """Built once by :func:`duban.tui.app.create_app`; read by screens and their thread workers."""

    sessions: sessionmaker[Session]
    host: PluginHost
    actor: Actor
    today: dt.date
    warning_days: int = 5
    timezone: str = "Asia/Shanghai"
    attachment_root: Path | None = None
    settings: Any = None  #: duban.config.Settings when run from the CLI (for notifications)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_department(self) -> bool:
        return self.actor.role == "department"

    def now(self) -> dt.datetime | None:
        """The timestamp of a write: now, unless the dashboard runs on another day (tests, demos)."""
        return None if self.today == local_today(self.timezone) else local_noon_utc(self.today, self.timezone)

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run a query in a session of its own (read only: rolled back at the end)."""
        with self.sessions() as session:
            try:
                return fn(session)
            finally:
                session.rollback()

    def read_write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a unit of work of its own (committed): for the checks a refresh runs."""
        with self.write() as session:
            return fn(session)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work per action: commit on success, roll back on any error."""
        with unit_of_work(self.sessions) as session:
            yield session

    def prepare_calendar(self) -> None:
        """Seed (and commit) the working calendar around today once, so that read-only queries — which roll
        back — do not rebuild it from the holidays library on every status question."""
        from duban.services.calendar import ensure_years

        with self.write() as session:
            ensure_years(session, self.today.year - 3, self.today.year + 2)

    def scope(
        self,
        session: Session,
        *,
        policy_id: int | None = None,
        jurisdiction: str | None = None,
        agency: str | None = None,
    ) -> Scope:
        """The scope of a question; a department user's is always their agency in their jurisdiction."""
        return scope_for(
            session,
            actor=self.actor,
            agency=agency,
            jurisdiction=jurisdiction,
            policy=str(policy_id) if policy_id is not None else None,
        )
