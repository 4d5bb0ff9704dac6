"""Alembic, driven from code: the migrations ship inside the package.

Every upgrade runs in ONE transaction, with the version stamp inside it (``transaction_per_migration`` off):
a process killed in the middle of ``duban db upgrade`` (or ``init``, or ``demo``) leaves the schema it
found, and the next upgrade starts again from there. PostgreSQL's DDL is transactional as it is; SQLite's
is too, but pysqlite only opens a transaction before INSERT/UPDATE/DELETE, so a CREATE TABLE would commit
on its own: :func:`schema_transaction` switches pysqlite's implicit transactions off for the migration's
connection and issues ``BEGIN IMMEDIATE`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from duban.errors import StorageError


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    """The configuration the migrations' env.py reads: the engine, and the connection whose transaction
    the upgrade joins (without one, env.py opens :func:`schema_transaction` itself)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("duban.storage").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Batch mode rebuilds a table (copy, drop, rename), and with foreign keys on, dropping a referenced
    table first deletes its rows — cascading into the tables that refer to it. The pragma is a no-op inside
    a transaction, so it is switched before the migration transaction begins and after it ends."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


@contextmanager
def schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction that covers DDL too; committed when the block ends, rolled back
    if it raises (or never committed, if the process dies)."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                yield connection
            return
        _sqlite_foreign_keys(connection, on=False)
        raw = connection.connection.driver_connection
        assert raw is not None
        saved = raw.isolation_level
        raw.isolation_level = None  # no implicit BEGIN/COMMIT from pysqlite: ours covers the DDL
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise StorageError(f"迁移破坏了外键约束（已回滚）：{broken[:10]}")
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        finally:
            raw.isolation_level = saved
            _sqlite_foreign_keys(connection, on=True)


def upgrade_in(connection: Connection, engine: Engine, revision: str = "head") -> None:
    """Upgrade inside the caller's :func:`schema_transaction` (nothing is committed here)."""
    command.upgrade(alembic_config(engine, connection), revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (idempotent), in one transaction."""
    with schema_transaction(engine) as connection:
        upgrade_in(connection, engine, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def require_known(engine: Engine) -> None:
    """Raise StorageError when the database is stamped with a revision this duban does not know (a newer
    duban upgraded it): upgrading or using it would go wrong."""
    current = current_revision(engine)
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        known = script.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise StorageError(
            f"数据库的结构版本 {current} 比本版本 duban 所知的最新版本 {script.get_current_head()} 更新"
            "（由更新版本的 duban 升级过）：请安装更新版本的 duban，不能降级使用"
        )


def require_current(engine: Engine) -> None:
    """Raise StorageError when the database is not migrated to head."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        require_known(engine)
        raise StorageError(
            f"数据库结构版本为 {current or '空'}，需要 {head}：请先运行 duban db upgrade（或 duban init）"
        )
