"""The coordinator through the CLI, on SQLite and PostgreSQL: duban init registers the first one, duban user
never leaves the database without one, and the database's owner can recover one that was lost."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from duban.cli.main import cli
from duban.services import identity
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, User

ME = getpass.getuser()


def run(db_url: str, config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, "--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "duban.toml"
    path.write_text("[general]\nwarning_days = 5\n", encoding="utf-8")  # no users.map: the OS login
    return path


def users(db_url: str) -> dict[str, tuple[str, str | None]]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        found = {u.name: (u.role, u.os_login) for u in session.scalars(select(User))}
    engine.dispose()
    return found


@pytest.mark.departments
def test_init_registers_the_first_coordinator_once(empty_db_url: str, config: Path) -> None:
    code, out, err = run(empty_db_url, config, "init")
    assert code == 0, err
    assert f"已把操作系统用户 {ME} 登记为第一位协调人" in out and "不是身份认证" in out
    assert users(empty_db_url) == {ME: ("coordinator", ME)}
    code, out, _ = run(empty_db_url, config, "init", "--json")
    again = json.loads(out)
    assert code == 0 and again["coordinator_registered"] is None and again["coordinators"] == [ME]
    # the person who ran init acts as that coordinator
    code, out, err = run(
        empty_db_url, config, "user", "add", "mz", "--role", "department", "--agency", "minzheng"
    )
    assert code == 0, err
    code, out, _ = run(empty_db_url, config, "user", "list", "--json")
    page = json.loads(out)
    assert page["total"] == 2 and [u["name"] for u in page["items"]] == sorted([ME, "mz"])


@pytest.mark.departments
def test_init_can_name_the_coordinator(empty_db_url: str, config: Path) -> None:
    code, _out, err = run(empty_db_url, config, "init", "--coordinator", "妇儿工委办")
    assert code == 0, err
    assert users(empty_db_url) == {"妇儿工委办": ("coordinator", ME)}
    code, out, _ = run(empty_db_url, config, "user", "list")
    assert "妇儿工委办" in out and "共 1 位" in out


def test_first_user_add_before_init_is_refused(db_url: str, config: Path) -> None:
    # a database migrated without init (duban db upgrade) has no users: the fallback coordinator may not
    # register somebody else first and lock themselves out
    code, _out, err = run(db_url, config, "user", "add", "mz", "--role", "department", "--agency", "minzheng")
    assert code == 9 and "请先运行 duban init" in err
    code, _out, err = run(db_url, config, "user", "add", "boss", "--role", "coordinator")
    assert code == 9 and "请先运行 duban init" in err
    assert users(db_url) == {}


def test_the_last_coordinator_can_be_neither_removed_nor_demoted(db_url: str, config: Path) -> None:
    assert run(db_url, config, "init")[0] == 0
    for args in (
        ("user", "remove", ME),
        ("user", "role", ME, "viewer"),
        ("user", "role", ME, "department", "--agency", "minzheng"),
    ):
        code, _out, err = run(db_url, config, *args)
        assert code == 9 and f"{ME} 是最后一位协调人" in err and "数据库不能没有协调人" in err, args
    assert users(db_url)[ME][0] == "coordinator"

    # with a second coordinator, either may go — but then the other is the last one
    assert run(db_url, config, "user", "add", "boss", "--role", "coordinator")[0] == 0
    code, out, err = run(db_url, config, "user", "role", "boss", "viewer")
    assert code == 0 and "协调人 → 只读用户" in out, err
    code, _out, err = run(db_url, config, "user", "remove", ME)
    assert code == 9 and "最后一位协调人" in err
    assert run(db_url, config, "user", "role", "boss", "coordinator")[0] == 0
    code, out, err = run(db_url, config, "user", "remove", "boss")
    assert code == 0 and "已注销用户 boss" in out, err
    code, _out, err = run(db_url, config, "user", "remove", "nobody")
    assert code == 7

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_type == "user").order_by(AuditEvent.seq)
            )
        )
    engine.dispose()
    assert actions == ["user.bootstrap", "user.add", "user.role", "user.role", "user.remove"]


def test_a_department_user_cannot_change_roles(db_url: str, config: Path) -> None:
    run(db_url, config, "init")
    run(db_url, config, "user", "add", "mz", "--role", "department", "--agency", "minzheng")
    code, _out, err = run(db_url, config, "--as", "mz", "user", "role", "mz", "coordinator")
    assert code == 8


def _lose_the_coordinator(db_url: str) -> None:
    """What a database created before the rule could look like: users, none of them coordinator."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(User).values(role="viewer"))
    engine.dispose()


def test_the_owner_recovers_a_lost_coordinator(db_url: str, config: Path) -> None:
    run(db_url, config, "init")
    run(db_url, config, "user", "add", "mz", "--role", "department", "--agency", "minzheng")
    _lose_the_coordinator(db_url)
    code, _out, err = run(db_url, config, "status")
    assert code == 0  # a viewer may still read
    code, _out, err = run(db_url, config, "user", "add", "x", "--role", "viewer")
    assert code == 8

    code, out, err = run(db_url, config, "user", "recover")
    assert code == 0 and f"已提升 {ME} 为协调人" in out, err
    assert users(db_url)[ME] == ("coordinator", ME)
    code, _out, err = run(db_url, config, "user", "recover")
    assert code == 9 and "已有协调人" in err


def test_recover_is_only_for_the_owner(db_url: str, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(db_url, config, "init")
    _lose_the_coordinator(db_url)
    monkeypatch.setattr(
        identity, "database_owner", lambda session: identity.OwnerCheck(False, "所有者 uid 0，当前 uid 1000")
    )
    code, _out, err = run(db_url, config, "user", "recover", "--name", "new_boss")
    assert code == 8 and "只有数据库的所有者可以恢复协调人" in err
    assert "new_boss" not in users(db_url)


def test_database_owner_is_decided_by_the_database(db_url: str) -> None:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        check = identity.database_owner(session)
    engine.dispose()
    assert check.is_owner, check.detail  # the test runner created the database (file, or as superuser)
