"""Setting a database up: migrate, then load the reference data the plugins contribute — one transaction."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from duban.plugin_host import PluginHost
from duban.services.reference import load_divisions, sync_agencies
from duban.storage.migrate import schema_transaction, upgrade_in
from duban.storage.models import AppMeta
from duban.testing_points import pause


def prepare_database(engine: Engine, *, host: PluginHost, meta: Mapping[str, str] | None = None) -> list[str]:
    """Migrate to head, sync agencies and load the GB/T 2260 division list (idempotent), in ONE transaction:
    a crash anywhere leaves the database as it was. ``meta``: facts about the database to record in the same
    transaction (``duban demo`` marks its database as a demo before anything else is in it).

    Returns the agency keys that changed.
    """
    with schema_transaction(engine) as connection:
        upgrade_in(connection, engine)
        with Session(bind=connection, expire_on_commit=False) as session:
            for key, value in (meta or {}).items():
                session.merge(AppMeta(key=key, value=value))
            changed = sync_agencies(session, host=host)
            load_divisions(session)
            session.flush()
        pause("setup.before_commit")
        return changed
