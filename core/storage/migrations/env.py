"""Alembic environment: the connection (or engine) comes from the caller (duban.storage.migrate), or
sqlalchemy.url for alembic run by hand.

The whole run is one transaction with the version stamp inside it (``transaction_per_migration`` off, and
:func:`duban.storage.migrate.schema_transaction` makes SQLite's DDL part of it): a crash at any step leaves
the schema the run started from. ``DUBAN_CRASH_AT=migrate.<revision>`` kills the process right after that
step (and its stamp) ran, before the commit — the crash tests use it (see duban.testing_points).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection, create_engine

from duban.errors import StorageError
from duban.storage.migrate import schema_transaction
from duban.storage.models import Base
from duban.testing_points import pause

config = context.config
target_metadata = Base.metadata


def _after_step(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Called by alembic (with these keyword names) after each step and its version stamp."""
    pause(f"migrate.{'' if step.is_upgrade else 'down.'}{step.up_revision_id}")


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
        transactional_ddl=True,
        on_version_apply=_after_step,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # inside the caller's transaction: it commits
        _run(connection)
        return
    engine = config.attributes.get("engine")
    if engine is None:  # alembic run by hand: the URL comes from its ini file
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise StorageError(
                "没有要迁移的数据库：请在 alembic.ini 中写 sqlalchemy.url（duban 自己会传入 engine）"
            )
        engine = create_engine(url)
    with schema_transaction(engine) as connection:
        _run(connection)


run_migrations_online()
