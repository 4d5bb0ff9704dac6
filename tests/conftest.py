"""Shared fixtures: databases on SQLite and PostgreSQL, a plugin host, an isolated XDG home.

PostgreSQL tests use ``DUBAN_TEST_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test gets a database of its own, cloned from a migrated template, and drops it afterwards.
Without a reachable server they skip with the reason — unless DUBAN_REQUIRE_POSTGRES=1 (CI), where
they fail.

The core (the ``duban`` distribution) installs and is tested without any department plugin. Tests that use the
installed plugins (the fixtures in DEPARTMENT_FIXTURES, directly or through a database fixture) or are marked
``departments``
need the thirteen department distributions (departments/<key>/); without them they skip with the reason —
unless DUBAN_REQUIRE_DEPARTMENTS=1 (CI's main run), where they fail. DUBAN_CORE_ALONE=1 (CI's core-alone run)
asserts the opposite: no department plugin may be installed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from duban.plugin_host import SHIPPED_DEPARTMENTS, PluginHost
from duban.services.setup import prepare_database
from duban.storage.db import make_engine, session_factory

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
PG_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("DUBAN_REQUIRE_POSTGRES") == "1"

_pg_state: dict[str, object] = {}

# Property tests explore with a fixed seed sequence by default, so a CI run can only fail on a change in the
# code, never on the luck of the draw; HYPOTHESIS_PROFILE=explore draws new examples (run it when changing a
# property or the code it covers, and keep any counterexample it finds as a test).
# (The lowest-versions smoke environment installs no Hypothesis: nothing to configure there.)
try:
    from hypothesis import settings as hypothesis_settings
except ImportError:  # pragma: no cover - the smoke environment
    hypothesis_settings = None
if hypothesis_settings is not None:
    hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEPARTMENTS_HINT = "pip install -r departments/requirements.txt"
#: Fixtures that load the installed department plugins (directly or by importing duban_<key>).
DEPARTMENT_FIXTURES = frozenset({"host", "tui_host", "registry"})


def installed_departments() -> set[str]:
    """The shipped department plugins whose distributions are installed (by entry point name)."""
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group="duban")} & set(SHIPPED_DEPARTMENTS)


def pytest_configure(config: pytest.Config) -> None:
    installed = installed_departments()
    if os.environ.get("DUBAN_CORE_ALONE") == "1" and installed:
        raise pytest.UsageError(
            f"DUBAN_CORE_ALONE=1 but department plugins are installed: {sorted(installed)}"
        )
    missing = sorted(set(SHIPPED_DEPARTMENTS) - installed)
    if os.environ.get("DUBAN_REQUIRE_DEPARTMENTS") == "1" and missing:
        raise pytest.UsageError(
            f"DUBAN_REQUIRE_DEPARTMENTS=1 but {missing} are not installed: {DEPARTMENTS_HINT}"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = sorted(set(SHIPPED_DEPARTMENTS) - installed_departments())
    if not missing:
        return
    skip = pytest.mark.skip(
        reason=f"needs the department plugins ({', '.join(missing)} missing): {DEPARTMENTS_HINT}"
    )
    for item in items:
        if DEPARTMENT_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(
            "departments"
        ):
            item.add_marker(skip)


def _pg_admin() -> Engine | None:
    if "admin" not in _pg_state:
        try:
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
            with admin.connect() as conn:
                conn.execute(text("select 1"))
            _pg_state["admin"] = admin
            _pg_state["groups_before"] = _existing_groups(admin)
            _drop_stale_logins(admin)
        except Exception as exc:  # recorded and turned into a skip or a failure below
            _pg_state["admin"] = None
            _pg_state["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return _pg_state["admin"]  # type: ignore[return-value]


def _pg_template(host: PluginHost) -> str:
    """A migrated, agency-synced database to clone for each test (made once per run)."""
    if "template" not in _pg_state:
        admin = _pg_admin()
        assert admin is not None
        name = f"duban_tmpl_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        prepare_database(engine, host=host)
        engine.dispose()
        _pg_state["template"] = name
    return _pg_state["template"]  # type: ignore[return-value]


#: the cluster-wide group roles migration 0007 creates when missing
GROUP_ROLES = ("duban_coordinator", "duban_department", "duban_viewer")


def drop_logins(admin: Engine, database: str) -> None:
    """Drop the login roles ``duban user add`` created for ``database`` (roles are cluster-wide: dropping
    the database leaves them behind)."""
    with admin.connect() as conn:
        logins = conn.execute(
            text(
                "SELECT r.rolname FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid "
                "AND d.classoid = 'pg_authid'::regclass WHERE d.description = :comment"
            ),
            {"comment": f"duban user of database {database}"},
        ).scalars()
        for login in list(logins):
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))


def _drop_stale_logins(admin: Engine) -> None:
    """Login roles left by an interrupted run: made for a test database (duban_t_*, duban_deploy_*) that
    no longer exists."""
    with admin.connect() as conn:
        stale = conn.execute(
            text(
                "SELECT r.rolname FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid "
                "AND d.classoid = 'pg_authid'::regclass "
                "WHERE d.description ~ '^duban user of database duban_(t|deploy)_' "
                "AND substr(d.description, 24) NOT IN (SELECT datname FROM pg_database)"
            )
        ).scalars()
        for login in list(stale):
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))


def drop_database(admin: Engine, database: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    drop_logins(admin, database)


def _existing_groups(admin: Engine) -> set[str]:
    with admin.connect() as conn:
        return set(
            conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": list(GROUP_ROLES)}
            ).scalars()
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    admin = _pg_state.get("admin")
    if admin is not None and "template" in _pg_state:
        drop_database(admin, _pg_state["template"])  # type: ignore[arg-type]
    if admin is not None and "groups_before" in _pg_state:
        # the group roles this run created: dropped unless a database outside the tests still uses them
        for group in GROUP_ROLES:
            if group in _pg_state["groups_before"]:  # type: ignore[operator]
                continue
            try:
                with admin.connect() as conn:  # type: ignore[attr-defined]
                    conn.execute(text(f"DROP ROLE IF EXISTS {group}"))
            except Exception:  # still granted in another database: left for it
                pass


def require_postgres() -> None:
    if _pg_admin() is None:
        message = f"PostgreSQL unreachable at {PG_URL}: {_pg_state.get('error')}"
        if REQUIRE_PG:
            pytest.fail(message + " (DUBAN_REQUIRE_POSTGRES=1)")
        pytest.skip(message)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real ~/.config or ~/.local/share."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for var in ("DUBAN_DATABASE_URL", "DUBAN_CONFIG", "DUBAN_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
def host() -> PluginHost:
    """The real plugin host: every entry point of the group ``duban``."""
    return PluginHost.load()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        require_postgres()
    return request.param


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty (unmigrated) database of the backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'duban-test.db'}"
        return
    admin = _pg_admin()
    assert admin is not None
    name = f"duban_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    drop_database(admin, name)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, host: PluginHost) -> Iterator[str]:
    """A URL to a migrated database with the agencies synced, of the backend, dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'duban-test.db'}"
        engine = make_engine(url)
        prepare_database(engine, host=host)
        engine.dispose()
        yield url
        return
    admin = _pg_admin()
    assert admin is not None
    template = _pg_template(host)
    name = f"duban_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    drop_database(admin, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s
