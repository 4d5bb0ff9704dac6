"""Alembic, driven from code: the migrations ship inside the package.

Every upgrade runs in ONE transaction, with the version stamp inside it (``transaction_per_migration`` off):
a process killed in the middle of ``duban db upgrade`` (or ``init``, or ``demo``) leaves the schema it
found, and the next upgrade starts again from there. PostgreSQL's DDL is transactional as it is; SQLite's
is too, but pysqlite only opens a transaction before INSERT/UPDATE/DELETE, so a CREATE TABLE would commit
on its own: :func:`schema_transaction` switches pysqlite's implicit transactions off for the migration's
connection and issues ``BEGIN IMMEDIATE`` itself.

Checking the version (what every command does before it opens a session) imports no alembic: the stamp is
read with a plain SELECT on ``alembic_version`` and the head is read from the revision files' own
``revision = ...`` / ``down_revision = ...`` lines (issue 20, start-up budget; tests/cli/test_startup.py
checks both against alembic's answer). Alembic is imported only to upgrade.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from duban.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

#: alembic's version table (env.py keeps alembic's default name and schema)
VERSION_TABLE = "alembic_version"

_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']*)["']|None)\s*$""", re.M
)


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    """The configuration the migrations' env.py reads: the engine, and the connection whose transaction
    the upgrade joins (without one, env.py opens :func:`schema_transaction` itself)."""
    from alembic.config import Config

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
    from alembic import command

    command.upgrade(alembic_config(engine, connection), revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (idempotent), in one transaction."""
    with schema_transaction(engine) as connection:
        upgrade_in(connection, engine, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (``None`` for a database without migrations): a plain
    SELECT on ``alembic_version``, as alembic's own ``get_current_revision`` reads it."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StorageError(f"数据库的结构版本表 {VERSION_TABLE} 有多个版本 {sorted(rows)}，应当只有一个")
    return rows[0] if rows else None


@cache
def revision_graph() -> dict[str, str | None]:
    """Every revision shipped in migrations/versions and the revision it follows, read from the files'
    ``revision = "0007"`` and ``down_revision = "0006"`` lines without importing alembic."""
    graph: dict[str, str | None] = {}
    versions = resources.files("duban.storage").joinpath("migrations").joinpath("versions")
    for entry in versions.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(entry.read_text(encoding="utf-8"))}
        if "revision" in found and found["revision"]:
            graph[found["revision"]] = found.get("down_revision") or None
    return graph


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision this duban ships (the one no other revision follows)."""
    graph = revision_graph()
    followed = {down for down in graph.values() if down is not None}
    heads = sorted(set(graph) - followed)
    if len(heads) > 1:
        raise StorageError(f"迁移脚本有多个最新版本 {heads}：应当只有一个")
    return heads[0] if heads else None


def require_known(engine: Engine) -> None:
    """Raise StorageError when the database is stamped with a revision this duban does not know (a newer
    duban upgraded it): upgrading or using it would go wrong."""
    current = current_revision(engine)
    if current is None:
        return
    if current not in revision_graph():
        raise StorageError(
            f"数据库的结构版本 {current} 比本版本 duban 所知的最新版本 {head_revision()} 更新"
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
