"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from duban.errors import StorageError


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("duban.storage").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


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
