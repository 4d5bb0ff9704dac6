"""End to end: a seed imported through the CLI is listed with the vocabulary's labels, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from duban.cli.main import cli
from duban.domain.vocabulary import PolicyStatus, Role
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Policy, Responsibility

NATIONAL = Path(__file__).parents[1] / "fixtures" / "seeds" / "001_007993ffda9a68ac.txt"


def run(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_import_and_tasks_show_the_role_labels_of_the_vocabulary(db_url: str) -> None:
    out = run(db_url, "import", str(NATIONAL))
    assert "状态：现行有效" in out
    assert "民政部(共同负责)" in out  # task 一: three agencies, each for its own part
    assert "人力资源社会保障部(牵头)" in out and "农业农村部(配合)" in out  # task 三

    out = run(db_url, "tasks", "--limit", "100")
    header, *rows = out.splitlines()
    assert " 牵头 " in header and header.rstrip().endswith("配合/共同负责")
    first = next(r for r in rows if r.split()[1] == "一")
    assert "共同负责：minzheng、fuergongwei、fulian" in first
    third = next(r for r in rows if r.split()[1] == "三")
    assert "renshe" in third and "nongye、wenlv、fulian" in third
    assert not any("共同：" in r for r in rows)

    page = json.loads(run(db_url, "tasks", "--agency", "renshe", "--role", "lead", "--json"))
    assert [t["number"] for t in page["items"]] == ["三"] and page["total"] == 1

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            roles = set(s.scalars(select(Responsibility.role)))
            status = s.scalars(select(Policy.status)).one()
    finally:
        engine.dispose()
    assert roles == set(Role) and all(type(r) is Role for r in roles)
    assert status is PolicyStatus.IN_FORCE
