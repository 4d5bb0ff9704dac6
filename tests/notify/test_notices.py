"""督办单 (issue 19 item 2): numbered, printable, 三色, 签收 by the department — on PostgreSQL row-level security
lets a department see and sign only its own; and the leader digest / 督办通报 as documents and messages."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from duban.cli.main import cli
from duban.domain.vocabulary import NoticeColor, ReportKind
from duban.errors import NotFoundError, PermissionDenied
from duban.services.identity import SYSTEM, add_user, resolve_actor
from duban.services.notifications import run_notifications
from duban.services.supervision_notices import export_notices, list_notices_page, sign_notice
from duban.services.supervision_reports import build_report, report_period, write_report
from duban.storage.db import make_engine, session_factory, unit_of_work
from duban.storage.models import AuditEvent, OutboxMessage, SupervisionNotice
from tests.notify.conftest import at_local, notify_config
from tests.notify.test_escalation import ROUTES
from tests.services.workflow_scenario import COORD, MZ, build

LEADER = {"name": "分管副省长办公室", "url": "capture://leader", "tags": ["leader"]}


def _ladder(
    factory: sessionmaker[Session], days: tuple[str, ...] = ("2026-02-13",), routes: list | None = None
) -> None:
    config = notify_config(routes or ROUTES)
    for day in days:
        run_notifications(factory, config=config, now=at_local(day, 18))


# --------------------------------------------------------------------------- services, both backends


def test_sign_own_notice_once_and_not_another_departments(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    _ladder(factory)
    with unit_of_work(factory) as s:
        mine = list_notices_page(s, actor=MZ).items
        assert [(n.label, n.color) for n in mine] == [("督〔2026〕第2号", NoticeColor.YELLOW)]
        assert list_notices_page(s, actor=COORD).total == 2
        with pytest.raises(NotFoundError):  # 第1号 is fulian's: for minzheng it does not exist
            sign_notice(s, actor=MZ, ref="1")
        with pytest.raises(PermissionDenied):
            sign_notice(s, actor=COORD, ref="2")
        at = at_local("2026-02-14", 9)
        result = sign_notice(s, actor=MZ, ref="督〔2026〕第2号", at=at)
        assert not result.already and result.notice.signed_by == "mz" and result.notice.signed_at == at
    with unit_of_work(factory) as s:
        assert sign_notice(s, actor=MZ, ref="2026-2").already  # nothing changed the second time
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "notice.sign")))
        # on PostgreSQL the owner acting as mz is recorded as such ("postgres 代 mz")
        assert [(e.actor.split(" 代 ")[-1], e.entity_id) for e in events] == [("mz", "督〔2026〕第2号")]


def test_notices_print_as_docx_and_markdown(
    session: Session, factory: sessionmaker[Session], tmp_path: Path, captured: list
) -> None:
    from docx import Document

    build(session)
    _ladder(factory, ("2026-02-13", "2026-02-27"))
    with unit_of_work(factory) as s:
        rows = list(list_notices_page(s, actor=COORD).items)
    export_notices(rows, tmp_path / "督办单.docx")
    doc = Document(str(tmp_path / "督办单.docx"))
    text_all = "\n".join(p.text for p in doc.paragraphs)
    assert "督〔2026〕第1号" in text_all and "督〔2026〕第2号" in text_all and "橙色督办" in text_all
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["承办单位", "云南省妇联"] in cells or any(r[0] == "承办单位" and "妇联" in r[1] for r in cells)
    # 5 working days after 02-27: 28 (Sat, 调休), 03-02, 03, 04, 05
    assert any(r[0] == "办理时限" and r[1] == "2026年3月5日前" for r in cells)
    assert any(r[0] == "督办事项" and "云民发〔2020〕8号 任务三" in r[1] for r in cells)
    assert len(doc.tables) == 2
    export_notices(rows[:1], tmp_path / "督办单.md")
    md = (tmp_path / "督办单.md").read_text(encoding="utf-8")
    assert md.startswith("# 督办单（橙色）") and "| 反馈要求 |" in md


# --------------------------------------------------------------------------- PostgreSQL: row-level security


@pytest.fixture
def logins(db_url: str) -> Iterator[dict[str, str]]:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    engine = make_engine(db_url)
    factory = session_factory(engine)
    out = {}
    with factory() as session:
        build(session)
        for name, role, agency in (
            ("s_mz", "department", "minzheng"),
            ("s_fl", "department", "fulian"),
            ("s_viewer", "viewer", None),
        ):
            add_user(
                session,
                actor=SYSTEM,
                name=name,
                role=role,
                agency=agency,
                jurisdiction="530000" if agency else None,
                db_role=prefix + name,
                create_login=True,
            )
            out[name] = prefix + name
        session.commit()
    _ladder(factory)  # the notify timer runs as the owner: 第1号 fulian, 第2号 minzheng
    engine.dispose()
    yield out


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_department_signs_its_own_and_rls_refuses_anothers(
    db_url: str, logins: dict[str, str]
) -> None:
    def as_login(name: str) -> sessionmaker[Session]:
        return session_factory(create_engine(make_url(db_url).set(username=logins[name])))

    fl = as_login("s_fl")
    with unit_of_work(fl) as s:
        actor = resolve_actor(s)
        assert actor.name == "s_fl"
        assert [n.label for n in list_notices_page(s, actor=actor).items] == ["督〔2026〕第1号"]
        # the engine hides minzheng's notice: a raw count and a raw UPDATE see nothing
        assert s.execute(text("SELECT count(*) FROM supervision_notice")).scalar_one() == 1
        hit = s.execute(
            text("UPDATE supervision_notice SET signed_by = 's_fl', signed_at = now() WHERE number = 2")
        )
        assert hit.rowcount == 0
        with pytest.raises(NotFoundError):
            sign_notice(s, actor=actor, ref="2")
    with unit_of_work(fl) as s:
        # nor may it write anything but the 签收 columns of its own
        with pytest.raises(DBAPIError, match="permission denied"):
            s.execute(text("UPDATE supervision_notice SET rung = 9 WHERE number = 1"))
    with unit_of_work(fl) as s:
        # nor sign under another name
        with pytest.raises(DBAPIError, match="row-level security"):
            s.execute(
                text("UPDATE supervision_notice SET signed_by = 's_mz', signed_at = now() WHERE number = 1")
            )
    mz = as_login("s_mz")
    with unit_of_work(mz) as s:
        result = sign_notice(s, actor=resolve_actor(s), ref="2")
        assert result.notice.signed_by == "s_mz" and not result.already
    viewer = as_login("s_viewer")
    with unit_of_work(viewer) as s:
        assert s.execute(text("SELECT count(*) FROM supervision_notice")).scalar_one() == 2
        with pytest.raises(PermissionDenied):
            sign_notice(s, actor=resolve_actor(s), ref="1")
    with unit_of_work(viewer) as s:
        with pytest.raises(DBAPIError, match="permission denied"):
            s.execute(text("UPDATE supervision_notice SET signed_by = 's_viewer' WHERE number = 1"))
    with unit_of_work(session_factory(make_engine(db_url))) as s:
        signed = {n.number: n.signed_by for n in s.scalars(select(SupervisionNotice))}
        assert signed == {1: None, 2: "s_mz"}
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "notice.sign")))
        assert [e.actor for e in events] == ["s_mz"]


# --------------------------------------------------------------------------- reports


def test_report_periods() -> None:
    assert report_period(ReportKind.WEEKLY, dt.date(2026, 3, 2)) == (
        dt.date(2026, 2, 23),
        dt.date(2026, 3, 1),
        "2026-W09",
    )
    assert report_period(ReportKind.MONTHLY, dt.date(2026, 3, 2)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        "2026-02",
    )


def test_weekly_and_monthly_documents_open_and_rank(
    session: Session, factory: sessionmaker[Session], tmp_path: Path, captured: list
) -> None:
    from docx import Document
    from openpyxl import load_workbook

    build(session)
    _ladder(factory, ("2026-02-13", "2026-02-27", "2026-03-02"))
    config = notify_config(ROUTES)
    with unit_of_work(factory) as s:
        weekly = build_report(s, config=config, kind=ReportKind.WEEKLY, as_of=dt.date(2026, 3, 2))
        monthly = build_report(s, config=config, kind=ReportKind.MONTHLY, as_of=dt.date(2026, 3, 2))
    # week 02-23..03-01: minzheng owes m1 (red) and m4 (yellow), fulian m3 (red)
    assert [(d.department, d.overdue, d.red) for d in weekly.departments] == [
        ("云南省民政厅", 2, 1),
        ("云南省妇联", 1, 1),
    ]
    assert weekly.issued == 0 and weekly.issued_before == 0  # 第1、2号 were issued on 02-13 (week 7)
    assert (
        weekly.worst[0].notice in ("督〔2026〕第1号", "督〔2026〕第2号")
        and weekly.worst[0].color == NoticeColor.ORANGE
    )
    assert monthly.issued == 2 and monthly.title == "2026年2月督办通报"

    write_report(monthly, tmp_path / "通报.docx")
    doc = Document(str(tmp_path / "通报.docx"))
    assert doc.paragraphs[0].text == "2026年2月督办通报"
    ranking = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ranking[0][:4] == ["名次", "部门", "逾期", "红色"] and ranking[1][1] in (
        "云南省民政厅",
        "云南省妇联",
    )
    write_report(weekly, tmp_path / "周报.xlsx")
    wb = load_workbook(tmp_path / "周报.xlsx")
    assert wb.sheetnames == ["总体情况", "部门排名", "逾期最久"]
    rows = list(wb["部门排名"].iter_rows(values_only=True))
    assert rows[1][:4] == (1, "云南省民政厅", 2, 1)
    write_report(weekly, tmp_path / "周报.md")
    md = (tmp_path / "周报.md").read_text(encoding="utf-8")
    assert "## 二、部门排名" in md and "与上期相比" in md


def test_the_run_sends_the_leader_digest_once_per_period(
    session: Session, factory: sessionmaker[Session], captured: list
) -> None:
    build(session)
    _ladder(factory, ("2026-02-27", "2026-03-02", "2026-03-03"), routes=[*ROUTES, LEADER])
    with unit_of_work(factory) as s:
        reports = [
            (m.idempotency_key, m.receiver)
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "report").order_by(OutboxMessage.id)
            )
        ]
    assert reports == [
        ("report|tag:leader|2026-W08|weekly", "tag:leader"),
        ("report|tag:leader|2026-01|monthly", "tag:leader"),
        ("report|tag:leader|2026-W09|weekly", "tag:leader"),
        ("report|tag:leader|2026-02|monthly", "tag:leader"),
    ]
    sent = [c for c in captured if c["to"] == "leader"]
    assert len(sent) == 4 and "督办通报" in sent[-1]["title"] and "部门排名" in sent[-1]["body"]


# --------------------------------------------------------------------------- the CLI, end to end


@pytest.fixture
def world(tmp_path: Path, host) -> tuple[str, Path]:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as session:
        build(session)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    routes = "".join(
        f'\n[[notify.routes]]\nname = "{r["name"]}"\nurl = "{r["url"]}"\ntags = {json.dumps(r["tags"])}\n'
        for r in [*ROUTES, LEADER]
    )
    cfg.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n{routes}', encoding="utf-8")
    return url, cfg


def run(world: tuple[str, Path], *args: str) -> tuple[int, str, str]:
    url, cfg = world
    result = CliRunner().invoke(cli, ["--db", url, "--config", str(cfg), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_notice_list_show_sign_export_and_report(
    world: tuple[str, Path], tmp_path: Path, captured: list
) -> None:
    from docx import Document

    for day in ("2026-02-13", "2026-02-27"):
        code, out, err = run(world, "notify", "--now", f"{day}T18:00+08:00")
        assert code == 0, err
    code, out, _ = run(world, "notice", "list")
    assert code == 0 and "督〔2026〕第2号" in out and "[橙]" in out and "未签收" in out
    code, out, _ = run(world, "--as", "mz", "notice", "list", "--json")
    assert [n["label"] for n in json.loads(out)["items"]] == ["督〔2026〕第2号"]
    code, _out, err = run(world, "--as", "mz", "notice", "sign", "1")
    assert code == 7 and "没有督办单 1" in err
    code, out, _ = run(world, "--as", "mz", "notice", "sign", "2")
    assert code == 0 and "已签收 督〔2026〕第2号" in out
    code, out, _ = run(world, "--as", "mz", "notice", "sign", "2")
    assert code == 0 and "无需再次签收" in out
    code, out, _ = run(world, "notice", "show", "督〔2026〕第2号")
    assert code == 0 and "签收：mz" in out and "承办单位：云南省民政厅" in out
    code, out, _ = run(world, "notice", "export", "--open", "--out", str(tmp_path / "all.docx"))
    assert code == 0 and "已导出 2 份督办单" in out
    assert len(Document(str(tmp_path / "all.docx")).tables) == 2
    code, _out, err = run(world, "notice", "export", "--out", str(tmp_path / "x.pdf"))
    assert code == 9 and ".docx 或 .md" in err

    code, out, _ = run(
        world,
        "notify",
        "report",
        "--kind",
        "monthly",
        "--as-of",
        "2026-03-02",
        "--out",
        str(tmp_path / "通报.xlsx"),
    )
    assert code == 0 and "2026年2月督办通报" in out
    code, out, _ = run(
        world,
        "notify",
        "report",
        "--kind",
        "monthly",
        "--as-of",
        "2026-03-02",
        "--json",
        "--out",
        str(tmp_path / "t.md"),
    )
    data = json.loads(out)  # nothing else on stdout
    assert (
        code == 0
        and data["kind_label"] == "督办通报"
        and data["period_label"] == "2026-02"
        and data["issued"] == 2
    )
    assert (tmp_path / "t.md").read_text(encoding="utf-8").startswith("# 2026年2月督办通报")
    code, out, _ = run(world, "notify", "report", "--kind", "weekly", "--as-of", "2026-03-02")
    assert code == 0 and out.startswith("# 督办周报（2026年2月23日—3月1日）")
    code, out, err = run(world, "notify", "report", "--kind", "weekly", "--as-of", "2026-03-02", "--send")
    assert code == 0, err
    assert {c["to"] for c in captured if "督办周报" in c["title"]} == {"coord", "leader"}
    code, _out, err = run(world, "notify", "report", "--kind", "weekly", "--as-of", "2026-03-02", "--send")
    assert code == 9 and "本期已发送过" in err  # once per period and receiver
