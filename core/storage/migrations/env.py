"""Alembic environment: the engine comes from the caller (duban.storage.migrate) or sqlalchemy.url."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from duban.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite only. Batch mode rebuilds a table (copy, drop, rename), and with foreign keys on, dropping a
    referenced table first deletes its rows — cascading into the tables that refer to it. The pragma is a
    no-op inside a transaction, so it is switched before the migration transaction begins and after it ends."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, on=False)
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:10]}")
        finally:
            if sqlite:
                _foreign_keys(connection, on=True)


run_migrations_online()
