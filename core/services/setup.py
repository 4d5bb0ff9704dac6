"""Setting a database up: migrate, then load the reference data the plugins contribute."""

from __future__ import annotations

from sqlalchemy import Engine

from core.plugin_host import PluginHost
from core.services.reference import load_divisions, sync_agencies
from core.storage.db import session_factory, unit_of_work
from core.storage.migrate import upgrade


def prepare_database(engine: Engine, *, host: PluginHost) -> list[str]:
    """Migrate to head, sync agencies and load the GB/T 2260 division list (idempotent).

    Returns the agency keys that changed.
    """
    upgrade(engine)
    with unit_of_work(session_factory(engine)) as session:
        changed = sync_agencies(session, host=host)
        load_divisions(session)
        return changed
