"""docs/deployment.md, followed by its own test: the shipped config/postgres/setup.sql run with psql against the
PostgreSQL on this machine, then duban init as the owner, an imported seed, a coordinator and a department user
added with duban user add, and each of them doing one allowed and one refused thing — through the real CLI
and with plain SQL. Everything created (database, owner, logins) is dropped afterwards.

The shipped systemd units are checked with systemd-analyze verify where it exists, else parsed.
"""

from __future__ import annotations

import base64
import configparser
import getpass
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from duban.cli.main import cli
from tests.conftest import PG_URL, SEEDS, drop_database, require_postgres

ROOT = Path(__file__).resolve().parents[2]
SETUP_SQL = ROOT / "config" / "postgres" / "setup.sql"
UNITS = ROOT / "config" / "systemd"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"


@dataclass
class Deployment:
    database: str
    owner: str
    config: Path

    def url(self, login: str) -> str:
        return (
            make_url(PG_URL).set(username=login, database=self.database).render_as_string(hide_password=False)
        )

    def duban(self, login: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli,
            ["--db", self.url(login), "--config", str(self.config), *args],
            env=env,
            catch_exceptions=False,
        )
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    require_postgres()
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    tag = uuid.uuid4().hex[:8]
    deployed = Deployment(f"duban_deploy_{tag}", f"duban_deploy_owner_{tag}", tmp_path / "duban.toml")
    # a users.map line naming the coordinator: PostgreSQL ignores it for everyone but the owner
    deployed.config.write_text(f'[users.map]\n"{getpass.getuser()}" = "zhang"\n', encoding="utf-8")
    admin_url = make_url(PG_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        yield deployed
    finally:
        drop_database(admin, deployed.database)  # and the logins duban user add made for it
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{deployed.owner}"'))
        admin.dispose()


def psql(url: URL, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        "psql",
        "-X",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "",
    ]
    return subprocess.run([*command, *args], capture_output=True, text=True, check=False, timeout=120)


def scram_matches(verifier: str, password: str) -> bool:
    """Does the stored SCRAM-SHA-256 verifier belong to ``password``?"""
    match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", verifier)
    assert match, verifier
    iterations, salt, stored = int(match[1]), base64.b64decode(match[2]), base64.b64decode(match[3])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest() == stored


def password_of(out: str) -> str:
    match = re.search(r"初始密码（只显示这一次[^）]*）：(\S+)", out)
    assert match, out
    return match[1]


@pytest.mark.postgres
@pytest.mark.departments
def test_the_documented_deployment_from_the_shipped_files(deployment: Deployment) -> None:
    d = deployment
    admin_url = make_url(PG_URL)
    # 1. setup.sql as a superuser (twice: it is idempotent)
    for _ in range(2):
        done = psql(
            admin_url,
            "-d",
            admin_url.database or "postgres",
            "-v",
            f"db={d.database}",
            "-v",
            f"owner={d.owner}",
            "-f",
            str(SETUP_SQL),
        )
        assert done.returncode == 0, done.stderr
    # 2. the owner migrates and becomes the first coordinator; imports a document
    code, out, err = d.duban(d.owner, "init", "--coordinator", "管理员", "--json")
    assert code == 0, err
    assert json.loads(out)["coordinators"] == ["管理员"]
    code, _out, err = d.duban(d.owner, "import", str(YUNNAN))
    assert code == 0, err
    # 3. the owner adds a coordinator; the coordinator (no CREATEROLE) adds a department user
    code, out, err = d.duban(
        d.owner, "user", "add", "zhang", "--role", "coordinator", "--db-role", f"zhang_{d.database}"
    )
    assert code == 0, err
    zhang, zhang_password = f"zhang_{d.database}", password_of(out)
    code, out, err = d.duban(
        zhang,
        "user",
        "add",
        "mz",
        "--role",
        "department",
        "--agency",
        "minzheng",
        "--jurisdiction",
        "530000",
        "--db-role",
        f"mz_{d.database}",
    )
    assert code == 0, err
    mz, mz_password = f"mz_{d.database}", password_of(out)
    with create_engine(admin_url).connect() as conn:
        stored = dict(
            conn.execute(
                text("SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (:a, :b)"),
                {"a": zhang, "b": mz},
            ).all()
        )
    assert scram_matches(stored[zhang], zhang_password) and scram_matches(stored[mz], mz_password)
    assert zhang_password not in stored[zhang] and mz_password != zhang_password

    # 4. the department user: sees and acknowledges its own responsibility ...
    with create_engine(d.url(mz)).connect() as conn:
        rows = conn.execute(text("SELECT id, agency_key FROM responsibility ORDER BY id")).all()
    assert rows and {agency for _id, agency in rows} == {"minzheng"}
    code, _out, err = d.duban(mz, "ack", str(rows[0].id))
    assert code == 0, err
    with create_engine(d.url(d.owner)).connect() as conn:
        fulian = conn.execute(
            text("SELECT min(id) FROM responsibility WHERE agency_key = 'fulian'")
        ).scalar_one()
    code, _out, err = d.duban(mz, "ack", str(fulian))  # another agency's: invisible to this login
    assert code in (7, 8), err
    # ... but LOGNAME, the users.map line and --as do not make it the coordinator
    code, _out, err = d.duban(
        mz, "user", "add", "x", "--role", "viewer", env={"LOGNAME": "zhang", "USER": "zhang"}
    )
    assert code == 8, err
    code, _out, err = d.duban(mz, "--as", "zhang", "user", "add", "y", "--role", "viewer")
    assert code == 8 and "所有者" in err
    with create_engine(d.url(mz)).connect() as conn:  # nor does plain SQL
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("UPDATE app_user SET role = 'coordinator' WHERE db_role = current_user"))
    code, _out, err = d.duban(mz, "report", "submit", str(rows[0].id), "--text", "进展")  # its own: allowed
    assert code == 0, err
    # a viewer reads everything and writes nothing
    code, out, err = d.duban(
        zhang, "user", "add", "guan", "--role", "viewer", "--db-role", f"guan_{d.database}"
    )
    assert code == 0, err
    code, out, err = d.duban(f"guan_{d.database}", "status", "--json")
    assert code == 0, err
    code, out, err = d.duban(f"guan_{d.database}", "overdue")
    assert code == 0, err

    # 5. the coordinator: sees every agency and lists users, but cannot rewrite the journal
    code, out, err = d.duban(zhang, "user", "list", "--json")
    assert code == 0, err
    assert {u["name"] for u in json.loads(out)["items"]} == {"管理员", "zhang", "mz", "guan"}
    with create_engine(d.url(zhang)).connect() as conn:
        assert conn.execute(text("SELECT count(DISTINCT agency_key) FROM responsibility")).scalar_one() > 1
        with pytest.raises(DBAPIError, match="permission denied|append-only"):
            conn.execute(text("DELETE FROM audit_event"))
    # the journal names who the database proved, and is intact
    code, out, err = d.duban(d.owner, "audit", "log", "--json", "--limit", "5")
    assert code == 0, err
    actors = [e["actor"] for e in json.loads(out)["items"]]
    assert "mz" in actors and "zhang" in actors
    code, _out, err = d.duban(d.owner, "audit", "verify")
    assert code == 0, err
    # 6. upgrading is idempotent; a backup with pg_dump as the owner restores the journal
    code, _out, err = d.duban(d.owner, "db", "upgrade")
    assert code == 0, err
    if shutil.which("pg_dump"):
        dump = subprocess.run(
            [
                "pg_dump",
                "-h",
                admin_url.host or "127.0.0.1",
                "-p",
                str(admin_url.port or 5432),
                "-U",
                d.owner,
                "--format=custom",
                "-f",
                str(d.config.parent / "duban.dump"),
                d.database,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert dump.returncode == 0, dump.stderr
    # 7. removing the department user drops its login
    code, _out, err = d.duban(zhang, "user", "remove", "mz")
    assert code == 0, err
    with create_engine(admin_url).connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": mz}).scalar_one()
            == 0
        )


def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    units = sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer"))
    assert {u.name for u in units} >= {"duban-notify.service", "duban-notify.timer"}
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(unit.read_text(encoding="utf-8"))
        assert "Unit" in parser and "Description" in parser["Unit"]
        if unit.suffix == ".service":
            service = parser["Service"]
            assert service["Type"] == "oneshot" and service["ExecStart"].startswith("/")
            assert "TZ=Asia/Shanghai" in service["Environment"] or "TZ=Asia/Shanghai" in unit.read_text()
        else:
            assert (
                "Asia/Shanghai" in parser["Timer"]["OnCalendar"]
                and parser["Install"]["WantedBy"] == "timers.target"
            )
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    # the programs the units start are not installed here: point ExecStart at a stand-in, keep the rest
    stub = tmp_path / "stub"
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    for unit in units:
        body = re.sub(r"^ExecStart=\S+", f"ExecStart={stub}", unit.read_text(encoding="utf-8"), flags=re.M)
        (tmp_path / unit.name).write_text(body, encoding="utf-8")
    checked = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in units)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    problems = [line for line in checked.stderr.splitlines() if "duban" in line]
    assert checked.returncode == 0 and not problems, checked.stderr
