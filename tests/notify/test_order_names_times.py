"""Digests in the document's order (一、二…十七、二十一 by value), unambiguous department names (a county
with its province and prefecture), local times in ``notify log``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from duban.cli.main import cli
from duban.domain.vocabulary import AlertLevel
from duban.notify.digest import DigestItem, department_digest, document_order, numeral_value
from duban.services.notifications import qualified_jurisdiction_names, receiver_names
from duban.storage.db import make_engine, session_factory
from duban.storage.models import Jurisdiction
from tests.services.workflow_scenario import build


def test_numerals_sort_by_value() -> None:
    assert [numeral_value(t) for t in ("一", "十", "十七", "二十一", "一百零五", "12")] == [
        1,
        10,
        17,
        21,
        105,
        12,
    ]
    numbers = ["二十一", "十七", "二", "一", "十"]
    assert sorted(numbers, key=document_order) == ["一", "二", "十", "十七", "二十一"]
    sectioned = ["2.三", "1.十七", "1.二", "10.一"]
    assert sorted(sectioned, key=document_order) == ["1.二", "1.十七", "2.三", "10.一"]


def _item(task: str, level: AlertLevel = AlertLevel.YELLOW, mid: int = 1) -> DigestItem:
    day = dt.date(2026, 1, 30)
    return DigestItem(
        milestone_id=mid,
        responsibility_id=mid,
        policy="云政办发〔2026〕1号",
        policy_title="实施方案",
        task=task,
        task_text=f"任务{task}的内容",
        role="lead",
        period="2026-01",
        due=day,
        original_due=day,
        level=level,
        days_overdue=2,
    )


def test_digest_lists_tasks_in_document_order() -> None:
    items = [
        _item("二十一", mid=1),
        _item("十七", AlertLevel.RED, mid=2),
        _item("二", mid=3),
        _item("一", mid=4),
    ]
    _subject, body = department_digest(
        "云南省民政厅", "minzheng@530000", dt.date(2026, 2, 3), items, escalate_after=5
    )
    positions = [body.index(f"任务{n}（") for n in ("一", "二", "十七", "二十一")]
    assert positions == sorted(positions)


def test_county_names_carry_province_and_prefecture(session: Session) -> None:
    build(session)
    for j in [
        Jurisdiction(code="350100", name="福州市", level="prefecture", parent_code="350000"),
        Jurisdiction(code="350102", name="鼓楼区", level="county", parent_code="350100"),
        Jurisdiction(code="320100", name="南京市", level="prefecture", parent_code="320000"),
        Jurisdiction(code="320106", name="鼓楼区", level="county", parent_code="320100"),
        Jurisdiction(code="110100", name="市辖区", level="prefecture", parent_code="110000"),
        Jurisdiction(code="110101", name="东城区", level="county", parent_code="110100"),
    ]:
        session.merge(j)  # the seeded divisions may have them already
    session.commit()
    names = qualified_jurisdiction_names(session, ["350102", "320106", "350100", "530000", "110101"])
    assert names == {
        "350102": "福建省福州市鼓楼区",
        "320106": "江苏省南京市鼓楼区",
        "350100": "福建省福州市",
        "530000": "云南省",
        "110101": "北京市东城区",
    }
    shown = receiver_names(session, ["minzheng@350102", "minzheng@320106", "coordinator"])
    assert shown["minzheng@350102"] == "福建省福州市鼓楼区民政局"
    assert shown["minzheng@320106"] == "江苏省南京市鼓楼区民政局"
    assert shown["minzheng@350102"] != shown["minzheng@320106"]
    assert shown["coordinator"].startswith("协调人")


def test_notify_log_shows_local_times(tmp_path: Path, host, captured: list) -> None:  # noqa: ANN001
    from duban.services.setup import prepare_database

    url = f"sqlite:///{tmp_path / 'times.db'}"
    engine = make_engine(url)
    prepare_database(engine, host=host)
    with session_factory(engine)() as s:
        build(s)
    engine.dispose()
    cfg = tmp_path / "duban.toml"
    cfg.write_text(
        '[[notify.routes]]\nurl = "capture://mz"\ntags = ["minzheng"]\n'
        '[[notify.routes]]\nurl = "capture://fl"\ntags = ["fulian"]\n',
        encoding="utf-8",
    )
    base = ["--db", url, "--config", str(cfg)]
    assert CliRunner().invoke(cli, [*base, "notify", "--now", "2026-02-02T09:00+08:00"]).exit_code == 0
    log = CliRunner().invoke(cli, [*base, "notify", "log"])
    assert log.exit_code == 0
    assert "2026-02-02 09:00" in log.stdout and "2026-02-02 01:00" not in log.stdout
    assert "Asia/Shanghai 本地时间" in log.stdout
    assert "云南省民政厅（minzheng@530000）" in log.stdout
