"""One seeded database per session (SQLite file, PostgreSQL template), copied for every hostile input."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from duban.domain.schedule import milestone_key
from duban.plugin_host import PluginHost
from duban.services.extensions import request_extension
from duban.services.reports import submit_report
from duban.services.setup import prepare_database
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Milestone
from tests.conftest import PG_URL, _pg_admin, drop_database, require_postgres
from tests.services.workflow_scenario import MZ, build


@dataclass(frozen=True)
class Seed:
    """The seeded database and the ids the corpus refers to."""

    url: str
    ids: dict[str, int]


def _seed(url: str, host: PluginHost) -> dict[str, int]:
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as session:
        s = build(session)
        m6 = Milestone(
            key=milestone_key(s.t1.id, s.r_mz.id, "2027-Q2"),
            task_id=s.t1.id,
            responsibility_id=s.r_mz.id,
            period="2027-Q2",
            due_date=dt.date(2027, 6, 30),
            effective_due_date=dt.date(2027, 6, 30),
        )
        session.add(m6)
        session.flush()
        day = dt.date(2026, 1, 20)
        report = submit_report(
            session,
            actor=MZ,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="已完成摸底排查",
            today=day,
        ).report
        ext = request_extension(
            session,
            actor=MZ,
            milestone_id=s.m2.id,
            new_date=dt.date(2026, 4, 30),
            reason="数据核对",
            progress="已完成一半",
            today=day,
        )
        ids = {
            "policy": s.policy.id,
            "t1": s.t1.id,
            "r_mz": s.r_mz.id,
            "r_fl": s.r_fl.id,
            "m1": s.m1.id,
            "m2": s.m2.id,
            "m6": m6.id,
            "report": report.id,
            "extension": ext.id,
        }
        session.commit()
    engine.dispose()
    return ids


@pytest.fixture(scope="session")
def sqlite_seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    folder = tmp_path_factory.mktemp("hostile-seed")
    path = folder / "seed.db"
    ids = _seed(f"sqlite:///{path}", PluginHost.load())
    with sqlite3.connect(path) as conn:  # one file to copy: the WAL folded into it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return Seed(str(path), ids)


@pytest.fixture(scope="session")
def postgres_seed() -> Iterator[Seed]:
    require_postgres()
    admin = _pg_admin()
    assert admin is not None
    name = f"duban_t_hostile_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    ids = _seed(url, PluginHost.load())
    yield Seed(name, ids)
    drop_database(admin, name)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    return config


def copy_sqlite(seed: Seed, folder: Path) -> str:
    target = folder / "duban.db"
    shutil.copyfile(seed.url, target)
    return str(target)


def copy_postgres(seed: Seed) -> tuple[str, str]:
    """A database cloned from the seed: (its URL, its name)."""
    admin = _pg_admin()
    assert admin is not None
    name = f"duban_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{seed.url}"'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


def snapshot(url: str) -> dict[str, str]:
    """A hash of every table's rows (sorted), by table name."""
    engine: Engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        out = {}
        with engine.connect() as conn:
            for table in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                digest = hashlib.sha256("\n".join(sorted(repr(tuple(r)) for r in rows)).encode())
                out[table] = f"{len(rows)}:{digest.hexdigest()[:16]}"
        return out
    finally:
        engine.dispose()
