"""Engines and sessions. Nothing connects at import time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from duban.errors import PermissionDenied, StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: the backends duban runs on (the URL's scheme before any ``+driver``)
BACKENDS = ("sqlite", "postgresql")
URL_HINT = "SQLite 文件路径，或 postgresql+psycopg://用户@主机/数据库"


def make_engine(url: str, *, create: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys and a busy timeout.

    ``create``: a missing SQLite file (and its folder) may be created — only ``init``, ``db upgrade`` and the
    demo do that; every other command gets :class:`StorageError` "not found" with the path and nothing is
    created. A URL that cannot be read or names an unsupported backend is a StorageError too.
    """
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise StorageError(f"数据库地址无效：{url!r}（应为 {URL_HINT}）") from exc
    if backend not in BACKENDS:
        raise StorageError(f"不支持的数据库类型 {backend!r}（{_hide(url)}）：应为 {URL_HINT}")
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _check_sqlite_path(Path(database), create=create)
        try:
            engine = create_engine(url, **kwargs)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StorageError(f"数据库地址无效：{url!r}（应为 {URL_HINT}）：{exc}") from exc
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:
        raise StorageError(
            f"数据库驱动未安装（{exc.name}）：PostgreSQL 需要 pip install 'duban[postgres]'"
        ) from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StorageError(f"数据库地址无效：{_hide(url)}（应为 {URL_HINT}）：{exc}") from exc


def _hide(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def _check_sqlite_path(path: Path, *, create: bool) -> None:
    """A SQLite file that is a folder, is missing (unless ``create``) or cannot be created is a StorageError
    naming the path; ``create`` makes the folder."""
    if path.is_dir():
        raise StorageError(f"数据库 {path} 是一个文件夹，不是 SQLite 数据库文件")
    if path.exists():
        return
    if not create:
        raise StorageError(
            f"数据库不存在：{path}（检查 --db 或配置文件中的路径；新建数据库请运行 duban init --db {path}）"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"无法在 {path.parent} 建立数据库：{exc.strerror or exc}") from exc
    if not os.access(path.parent, os.W_OK):
        raise StorageError(f"无法在 {path.parent} 建立数据库：没有写权限")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit if the block finishes, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    """A unit of work that is always rolled back: whatever a read command computes on the way (calendar
    years, the responsibility checks' findings) is never committed, savepoints included.

    pysqlite begins a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT issued first opens a
    transaction of its own and its RELEASE commits; here the connection's implicit transactions are switched
    off and one ``BEGIN`` covers everything until the ROLLBACK.
    """
    with engine.connect() as connection:
        raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
        saved = getattr(raw, "isolation_level", None)
        if raw is not None:
            raw.isolation_level = None
            connection.exec_driver_sql("BEGIN")
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            connection.rollback()
            if raw is not None:
                raw.isolation_level = saved


#: SQLSTATE of PostgreSQL's "permission denied" and "new row violates row-level security policy"
INSUFFICIENT_PRIVILEGE = "42501"


@contextmanager
def refused_by_database() -> Iterator[None]:
    """Turn the database's own refusal (PostgreSQL privileges, row-level security, the audit journal's
    triggers: SQLSTATE 42501) into :class:`~duban.errors.PermissionDenied`, with the server's message."""
    try:
        yield
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        message = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        raise PermissionDenied(f"数据库拒绝了这次操作：{message}") from exc


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        raise StorageError(
            f"无法连接数据库 {engine.url.render_as_string(hide_password=True)}：{exc.orig}"
        ) from exc
