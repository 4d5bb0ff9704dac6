"""Review before commit through the CLI: the answers round trip (--dry-run --json → edit → --answers),
learned aliases (duban alias), strict checking of the answers, and a dry run without a database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from duban.cli.main import cli
from duban.services.importing import NO_DATABASE_WARNING
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AgencyAlias, AuditEvent, Policy, Responsibility, Task

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"

COUNTY = """某县人民政府办公室关于印发某县留守妇女关爱服务工作任务分工的通知

某政办发〔2024〕3号

一、建立信息台账，每季度更新一次。（县民政局牵头，县有关部门配合）
二、开展体育健身活动。（县教体局牵头，县妇联配合）
三、加强法律援助。（县司法局负责）

某县人民政府办公室
2024年3月1日
"""

LATER = """某县人民政府办公室关于印发某县全民健身工作任务分工的通知

某政办发〔2024〕9号

一、举办全民健身运动会。（县教体局牵头，县卫健局配合）

某县人民政府办公室
2024年6月1日
"""


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def dry_json(db_url: str, path: Path) -> dict[str, Any]:
    code, out, err = run(db_url, "import", str(path), "--dry-run", "--json", "--jurisdiction", "530000")
    assert code == 0, err
    return json.loads(out)


def write_answers(tmp_path: Path, data: dict[str, Any], name: str = "answers.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def counts(db_url: str) -> tuple[int, int, int]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        out = tuple(s.scalar(select(func.count()).select_from(m)) for m in (Policy, Task, AgencyAlias))
    engine.dispose()
    return out  # type: ignore[return-value]


def task(data: dict[str, Any], number: str) -> dict[str, Any]:
    return next(t for t in data["tasks"] if t["number"] == number)


# ------------------------------------------------------------------------------------------- dry run


def test_dry_run_needs_no_database_and_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    db = folder / "sub" / "duban.db"
    code, out, err = run(str(db), "import", str(YUNNAN), "--dry-run", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["tasks"]) == 22 and data["source"]["name"] == YUNNAN.name
    assert NO_DATABASE_WARNING in [w["message"] for w in data["warnings"]]
    assert not db.exists() and list(folder.iterdir()) == []  # no file, no folder

    code, out, err = run(str(db), "import", str(YUNNAN), "--dry-run")
    assert code == 0 and "试运行，未写入" in out and "未与已导入的版本比较" in err
    assert list(folder.iterdir()) == []

    empty = folder / "empty.db"
    empty.touch()
    code, out, err = run(str(empty), "import", str(YUNNAN), "--dry-run", "--json")
    assert code == 0, err
    assert list(folder.iterdir()) == [empty] and empty.stat().st_size == 0


def test_import_without_dry_run_still_needs_the_database(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    code, _, err = run(str(db), "import", str(YUNNAN))
    assert code == 6 and "duban init" in err


# ------------------------------------------------------------------------------------------- round trip


def test_seed_answers_round_trip_to_duban_tasks(db_url: str, tmp_path: Path) -> None:
    """Dry-run JSON of a seed, edited as a coordinator would, imported with --answers; duban tasks shows it."""
    data = dry_json(db_url, YUNNAN)
    # a role: 省妇联 supports task 一 instead of sharing it
    for party in task(data, "一")["responsibilities"]:
        if party["agency"] == "fulian":
            party["role"] = "support"
    # a merge: task 四 joins task 三 (its parties join, it disappears)
    three, four = task(data, "三"), task(data, "四")
    three["text"] += four["text"]
    known = {p["agency"] for p in three["responsibilities"]}
    three["responsibilities"] += [p for p in four["responsibilities"] if p["agency"] not in known]
    data["tasks"].remove(four)
    # a split: task 五 gets a second half with its own number, text and party
    five = task(data, "五")
    data["tasks"].insert(
        data["tasks"].index(five) + 1,
        {
            "section": None,
            "number": "五之二",
            "text": "组织留守妇女参加体育健身活动。",
            "responsibilities": [{"name": "省体育局", "agency": "tiyu", "role": "lead"}],
        },
    )
    # a vague group left unresolved on purpose
    task(data, "六")["responsibilities"].append(
        {"name": "省有关部门", "agency": None, "role": "support", "party": "group"}
    )
    answers = write_answers(tmp_path, data)

    code, out, err = run(db_url, "import", str(YUNNAN), "--answers", str(answers), "--jurisdiction", "530000")
    assert code == 0, err
    assert "已导入" in out
    code, out, err = run(db_url, "tasks", "--policy", "云民发〔2020〕8号", "--json")
    assert code == 0, err
    rows = {t["number"]: t for t in json.loads(out)["items"]}
    assert "四" not in rows and len(rows) == 22  # 22 - merged + split
    assert "fulian" in rows["一"]["support"] and "fulian" not in rows["一"]["joint"]
    assert rows["三"]["lead"] == ["renshe"] and "fupin" in rows["三"]["support"]
    assert rows["五之二"]["lead"] == ["tiyu"] and rows["五之二"]["text"] == "组织留守妇女参加体育健身活动。"
    assert "省有关部门" in rows["六"]["support"]
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        group = s.scalars(select(Responsibility).where(Responsibility.name_as_written == "省有关部门")).one()
        assert group.agency_key is None
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "policy.import")).one()
        assert audit.after is not None and audit.after["answers"] == str(answers)
    engine.dispose()
    # the unresolved group does not break status or the listings
    code, out, err = run(db_url, "status", "--policy", "云民发〔2020〕8号")
    assert code == 0, err
    # same file, same answers: unchanged
    code, out, err = run(db_url, "import", str(YUNNAN), "--answers", str(answers), "--jurisdiction", "530000")
    assert code == 0 and "未作改动" in out, err


def test_answers_teach_an_alias_for_the_next_import(db_url: str, tmp_path: Path) -> None:
    county = tmp_path / "county.txt"
    county.write_text(COUNTY, encoding="utf-8")
    data = dry_json(db_url, county)
    two = task(data, "二")["responsibilities"]
    assert two[0]["name"] == "县教体局" and two[0]["agency"] is None  # not registered
    two[0]["agency"] = "tiyu"  # the coordinator says which agency it is
    one = task(data, "一")["responsibilities"]
    group = next(i for i, p in enumerate(one) if p["name"] == "县有关部门")
    one[group : group + 1] = [  # the vague group resolved into named agencies
        {"name": "县卫健局", "agency": "weijian", "role": "support"},
        {"name": "县妇联", "agency": "fulian", "role": "support"},
    ]
    answers = write_answers(tmp_path, data)
    code, out, err = run(db_url, "import", str(county), "--answers", str(answers), "--jurisdiction", "530000")
    assert code == 0, err
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        aliases = {a.name: a.agency_key for a in s.scalars(select(AgencyAlias))}
        assert aliases == {"县教体局": "tiyu"}  # the group is not an alias
        learn = s.scalars(select(AuditEvent).where(AuditEvent.action == "alias.learn")).one()
        assert learn.entity_id == "县教体局" and learn.after == {"agency": "tiyu", "source": "county.txt"}
    engine.dispose()
    code, out, err = run(db_url, "tasks", "--agency", "weijian", "--json")
    assert [t["number"] for t in json.loads(out)["items"]] == ["一"]

    later = tmp_path / "later.txt"
    later.write_text(LATER, encoding="utf-8")
    parsed = dry_json(db_url, later)
    lead = task(parsed, "一")["responsibilities"][0]
    assert lead["name"] == "县教体局" and lead["agency"] == "tiyu" and lead["party"] == "agency"

    code, out, err = run(db_url, "alias", "list")
    assert code == 0 and "县教体局" in out and "tiyu" in out and "county.txt" in out
    code, out, err = run(db_url, "alias", "remove", "县教体局")
    assert code == 0, err
    assert task(dry_json(db_url, later), "一")["responsibilities"][0]["agency"] is None
    code, _, err = run(db_url, "alias", "remove", "县教体局")
    assert code != 0 and "没有别名" in err
    code, out, err = run(db_url, "alias", "add", "县教体局", "tiyu")
    assert code == 0 and task(dry_json(db_url, later), "一")["responsibilities"][0]["agency"] == "tiyu"


# ------------------------------------------------------------------------------------------- strictness


def _broken(data: dict[str, Any], how: str) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    if how == "sha":
        data["source"]["sha256"] = "0" * 64
    elif how == "agency":
        task(data, "三")["responsibilities"][0]["agency"] = "fagai"
    elif how == "role":
        task(data, "三")["responsibilities"][0]["role"] = "牵头"
    elif how == "duplicate":
        task(data, "五")["number"] = "三"
    elif how == "no_source":
        del data["source"]
    elif how == "no_parties":
        task(data, "三")["responsibilities"] = []
    return data


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("sha", "sha256"),
        ("agency", "任务 三 的“省人力资源和社会保障厅”：部门代码 'fagai' 未登记"),
        ("role", "任务 三的“省人力资源和社会保障厅”角色"),
        ("duplicate", "任务 三 出现了两次"),
        ("no_source", "缺少 source"),
        ("no_parties", "任务 三没有责任单位"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    db_url: str, tmp_path: Path, how: str, expected: str
) -> None:
    answers = write_answers(tmp_path, _broken(dry_json(db_url, YUNNAN), how))
    before = counts(db_url)
    code, _, err = run(db_url, "import", str(YUNNAN), "--answers", str(answers))
    assert code == 4, err
    assert str(answers) in err and expected in err and "应为" in err
    assert counts(db_url) == before == (0, 0, 0)


def test_answers_that_are_not_json_name_the_line(db_url: str, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text('{\n  "source": {"name": "x", "sha256": "y"},\n  "tasks": [,]\n}\n', encoding="utf-8")
    code, _, err = run(db_url, "import", str(YUNNAN), "--answers", str(answers))
    assert code == 4 and f"{answers}:3:" in err and "不是合法的 JSON" in err
    assert counts(db_url) == (0, 0, 0)


def test_answers_of_another_file_are_refused(db_url: str, tmp_path: Path) -> None:
    county = tmp_path / "county.txt"
    county.write_text(COUNTY, encoding="utf-8")
    answers = write_answers(tmp_path, dry_json(db_url, county))
    code, _, err = run(db_url, "import", str(YUNNAN), "--answers", str(answers))
    assert code == 4 and "另一个文件的（county.txt）" in err


def test_review_refuses_dry_run_and_answers_together(db_url: str, tmp_path: Path) -> None:
    code, _, err = run(db_url, "import", str(YUNNAN), "--review", "--dry-run")
    assert code == 2 and "--review" in err


def test_review_opens_the_preview_on_the_parse_and_writes_nothing_when_discarded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duban.tui.review import ReviewApp

    seen: list[ReviewApp] = []

    def fake_run(self: ReviewApp) -> None:  # the terminal app, replaced: the coordinator discards
        seen.append(self)
        return None

    monkeypatch.setattr(ReviewApp, "run", fake_run)
    code, out, err = run(db_url, "import", str(YUNNAN), "--review", "--jurisdiction", "530000")
    assert code == 0, err
    assert "已放弃，未写入任何内容" in out
    assert len(seen) == 1 and len(seen[0].document.tasks) == 22 and seen[0].document.source is not None
    assert counts(db_url) == (0, 0, 0)


def test_excel_round_trip(db_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    county = tmp_path / "county.txt"
    county.write_text(COUNTY, encoding="utf-8")
    sheet_path = tmp_path / "复核.xlsx"
    code, out, err = run(db_url, "import", str(county), "--dry-run", "--xlsx", str(sheet_path))
    assert code == 0 and "已写出复核表" in err, err
    book = load_workbook(sheet_path)
    sheet = book["任务"]
    assert [c.value for c in sheet[1]] == ["部分", "编号", "正文", "牵头", "配合", "共同负责", "存疑"]
    assert [c.value for c in sheet[2]][1:5] == [
        "一",
        "建立信息台账，每季度更新一次。",
        "县民政局（minzheng）",
        "县有关部门",
    ]
    sheet["E2"] = "县卫生健康局（weijian）\n县妇联（fulian）"  # the group resolved
    sheet["D3"] = "县教体局（tiyu）"  # an unregistered name said to be 体育
    sheet.append([None, "四", "组织普法宣传。", "县司法局（sifa）", None, None, None])  # a task added
    book.save(sheet_path)

    code, out, err = run(
        db_url, "import", str(county), "--answers", str(sheet_path), "--jurisdiction", "530000"
    )
    assert code == 0, err
    code, out, _ = run(db_url, "tasks", "--json")
    rows = {t["number"]: t for t in json.loads(out)["items"]}
    assert rows["一"]["support"] == ["weijian", "fulian"]
    assert rows["二"]["lead"] == ["tiyu"] and rows["四"]["lead"] == ["sifa"]
    assert counts(db_url)[2] == 1  # 县教体局 learned

    sheet = (book := load_workbook(sheet_path))["任务"]
    sheet["B1"] = "序号"
    book.save(sheet_path)
    code, _, err = run(db_url, "import", str(county), "--answers", str(sheet_path), "--replace")
    assert code == 4 and "表头不对" in err and str(sheet_path) in err


def test_xlsx_only_with_dry_run(db_url: str, tmp_path: Path) -> None:
    code, _, err = run(db_url, "import", str(YUNNAN), "--xlsx", str(tmp_path / "x.xlsx"))
    assert code == 2 and "--xlsx 只能与 --dry-run" in err
