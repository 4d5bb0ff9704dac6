"""Setting a database up: migrate, then load the reference data the plugins contribute."""

from __future__ import annotations

from sqlalchemy import Engine

from duban.plugin_host import PluginHost
from duban.services.reference import load_divisions, sync_agencies
from duban.storage.db import session_factory, unit_of_work
from duban.storage.migrate import upgrade


def prepare_database(engine: Engine, *, host: PluginHost) -> list[str]:
    """Migrate to head, sync agencies and load the GB/T 2260 division list (idempotent).

    Returns the agency keys that changed.
    """
    upgrade(engine)
    with unit_of_work(session_factory(engine)) as session:
        changed = sync_agencies(session, host=host)
        load_divisions(session)
        return changed
