"""The workflow through the CLI: permissions, reports, review, extensions, status, overdue, audit, Excel."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Report
from tests.services.workflow_scenario import Scenario, build


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> tuple[str, Path, Scenario]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        scenario = build(session)
    engine.dispose()
    config = tmp_path / "duban.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")
    return db_url, config, scenario


def run(world, *args: str) -> tuple[int, str, str]:
    db_url, config, _ = world
    result = CliRunner().invoke(cli, ["--db", db_url, "--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_report_permissions_review_and_status(world) -> None:
    s = world[2]
    code, out, err = run(world, "--as", "mz", "ack", str(s.r_mz.id))
    assert code == 0, err
    code, _out, err = run(world, "--as", "fl", "report", "submit", str(s.r_mz.id), "--text", "越权")
    assert code == 8 and "不能为 minzheng" in err
    code, out, err = run(
        world,
        "--as",
        "mz",
        "report",
        "submit",
        str(s.r_mz.id),
        "--milestone",
        str(s.m1.id),
        "--text",
        "已完成摸底排查",
        "--json",
    )
    assert code == 0, err
    report_id = json.loads(out)["report"]
    code, out, _ = run(world, "report", "list", "--json")
    assert [r["id"] for r in json.loads(out)["items"]] == [report_id]

    code, _out, err = run(world, "review", "return", str(report_id))
    assert code == 2  # --reason is required
    code, out, err = run(world, "review", "return", str(report_id), "--reason", "缺少台账人数")
    assert code == 0 and "已退回" in out

    code, out, _ = run(world, "status", "--as-of", "2026-02-02", "--json")
    data = json.loads(out)
    depts = {d["agency"]: d for d in data["departments"]}
    assert depts["minzheng"]["light"] == "red" and depts["fulian"]["light"] == "red"
    assert depts["gongan"]["light"] == "green"
    code, out, _ = run(world, "status", "--as-of", "2026-01-20", "--agency", "minzheng", "--json")
    assert {d["agency"] for d in json.loads(out)["departments"]} == {"minzheng"}
    code, out, _ = run(world, "status", "--as-of", "2026-02-02")
    assert "[红]" in out and "截至 2026-02-02" in out

    code, out, _ = run(world, "overdue", "--as-of", "2026-02-02", "--json")
    rows = json.loads(out)["items"]
    assert {(r["agency"], r["milestone"]) for r in rows} == {("minzheng", s.m1.id), ("fulian", s.m3.id)}
    assert next(r for r in rows if r["agency"] == "minzheng")["returned"] is False  # reported later, today
    code, out, _ = run(world, "overdue", "--json")  # as of today: the report exists and was returned
    assert next(r for r in json.loads(out)["items"] if r["milestone"] == s.m1.id)["returned"] is True


def test_as_is_only_for_coordinators(world, tmp_path: Path) -> None:
    db_url, _config, s = world
    config = tmp_path / "mz.toml"
    config.write_text(f'[users.map]\n"{getpass.getuser()}" = "mz"\n', encoding="utf-8")
    code, _out, err = run((db_url, config, s), "--as", "coord", "status")
    if db_url.startswith("postgresql"):
        # PostgreSQL ignores users.map: the user is the login role, here a superuser, who may use --as
        # (tests/security/test_row_security.py shows a department login refused)
        assert code == 0, err
    else:
        assert code == 8 and "只有协调人可以使用 --as" in err


def test_extension_flow_and_refusal_after_due(world) -> None:
    s = world[2]
    code, out, err = run(
        world,
        "--as",
        "mz",
        "extend",
        "request",
        str(s.m5.id),
        "--to",
        "2099-12-31",
        "--reason",
        "数据未齐",
        "--progress",
        "过半",
    )
    assert code == 8  # m5 belongs to gongan
    code, out, err = run(
        world,
        "--as",
        "mz",
        "extend",
        "request",
        str(s.m1.id),
        "--to",
        "2026-03-31",
        "--reason",
        "数据未齐",
        "--progress",
        "过半",
    )
    assert code == 9 and "逾期后不能申请延期" in err  # today is long after 2026-01-30


def test_audit_verify_through_cli(world) -> None:
    s = world[2]
    run(world, "--as", "mz", "ack", str(s.r_mz.id))
    code, out, _ = run(world, "audit", "verify")
    assert code == 0 and "完整" in out
    code, out, _ = run(world, "audit", "log", "--json")
    assert json.loads(out)["items"][0]["action"] == "responsibility.acknowledge"
    engine = make_engine(world[0])
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # the journal's triggers refuse UPDATE: tamper as a superuser
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="user.remove"))
    engine.dispose()
    code, out, _ = run(world, "audit", "verify", "--json")
    assert code == 12 and json.loads(out)[0] == {
        "seq": 2,
        "kind": "edited",
        "message": "第 2 条事件的内容与其哈希不符：已被修改",
    }


def test_excel_round_trip_one_bad_cell_changes_nothing(world, tmp_path: Path) -> None:
    s = world[2]
    book = tmp_path / "民政报送.xlsx"
    code, out, err = run(
        world, "report", "template", "--agency", "minzheng", "-o", str(book), "--as-of", "2026-01-15"
    )
    assert code == 0, err
    wb = load_workbook(book)
    ws = wb["报送"]
    headers = [c.value for c in ws[1]]
    keys = [c.value for c in ws[2]]
    assert headers[:3] == ["节点编号", "责任编号", "政策"] and "进展情况" in headers
    assert ws.row_dimensions[2].hidden
    milestones = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    assert milestones == [s.m1.id, s.m4.id, s.m2.id]  # open minzheng milestones by due date
    int_keys = [k for k in keys if k and k.startswith("minzheng.")]
    assert int_keys, "the minzheng plugin declares indicators"
    assert ws.data_validations.dataValidation, "cells carry data validation"

    text_col = keys.index("text") + 1
    ind_col = keys.index(int_keys[0]) + 1
    ws.cell(row=3, column=text_col, value="一月完成摸底排查")
    ws.cell(row=4, column=text_col, value="二月进展")
    ws.cell(row=4, column=ind_col, value="很多")  # the one bad cell
    wb.save(book)
    code, _out, err = run(world, "--as", "mz", "report", "import", str(book))
    letter = ws.cell(row=4, column=ind_col).column_letter
    assert code == 9 and "工作表“报送”第 4 行" in err and f"{letter} 列" in err, err
    engine = make_engine(world[0])
    with session_factory(engine)() as session:
        assert session.scalars(select(Report)).all() == []  # row 3 was not filed either
    engine.dispose()

    ws.cell(row=4, column=ind_col, value=12)
    wb.save(book)
    code, out, err = run(world, "--as", "mz", "report", "import", str(book))
    assert code == 0, err
    assert "已导入 2 份报送" in out


def test_unknown_ids_give_not_found(world) -> None:
    code, _out, err = run(world, "ack", "99999")
    assert code == 7 and "99999" in err
    code, _out, err = run(world, "review", "accept", "99999")
    assert code == 7
    code, _out, err = run(world, "status", "--policy", "不存在的文号")
    assert code == 7


def test_sql_tamper_helper_is_real(world) -> None:
    # guard: the audit table really holds events written by the services (the tamper test depends on it)
    engine = make_engine(world[0])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() >= 4
    engine.dispose()


def test_department_user_sees_only_their_own_status(world) -> None:
    code, out, _ = run(world, "--as", "fl", "status", "--as-of", "2026-02-02", "--json")
    assert code == 0
    data = json.loads(out)
    assert {d["agency"] for d in data["departments"]} == {"fulian"}
    assert {i["agency"] for i in data["items"]} == {"fulian"}
    code, out, _ = run(
        world, "--as", "fl", "overdue", "--as-of", "2026-02-02", "--agency", "minzheng", "--json"
    )
    assert {r["agency"] for r in json.loads(out)["items"]} == {"fulian"}
