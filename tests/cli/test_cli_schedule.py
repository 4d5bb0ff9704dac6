"""duban calendar, schedule and milestones through click's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from duban.cli.main import cli

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
JILIN = SEEDS / "002_09c426360c691ab7.txt"

CALENDAR_2027 = """\
year = 2027
source = "测试用2027年放假安排"

[[holiday]]
name = "春节"
from = 2027-02-05
to = 2027-02-13

[[workday]]
name = "春节调休上班"
date = 2027-02-20
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def days(db_url: str, month: str) -> tuple[dict[str, dict], str]:
    code, out, err = run("--db", db_url, "calendar", month, "--json")
    assert code == 0, err
    view = json.loads(out)
    return {d["date"]: d for d in view["days"]}, err


def test_calendar_2026_02_shows_tiaoxiu(db_url: str) -> None:
    month, err = days(db_url, "2026-02")
    for makeup in ("2026-02-14", "2026-02-28"):
        assert month[makeup]["working"] is True and month[makeup]["kind"] == "makeup"
        assert "春节" in month[makeup]["name"]
    for off in ("2026-02-17", "2026-02-18", "2026-02-19"):
        assert (
            month[off]["working"] is False
            and month[off]["kind"] == "holiday"
            and month[off]["name"] == "春节"
        )
    assert month["2026-02-21"]["kind"] == "weekend"
    assert err == ""  # 2026 is covered: no warning
    code, out, _ = run("--db", db_url, "calendar", "show", "2026-02")
    assert code == 0 and "2026-02-14 周六 上班" in out and "调休上班" in out


def test_year_without_tiaoxiu_warns_and_import_fixes_it(db_url: str, tmp_path: Path) -> None:
    code, out, err = run("--db", db_url, "calendar", "2027-02")
    assert code == 0
    assert "警告" in err and "2027年的调休安排尚未掌握" in err and "duban calendar import" in err
    assert "2027-02-20 周六 休息" in out

    path = tmp_path / "2027.toml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    code, out, err = run("--db", db_url, "calendar", "import", str(path))
    assert code == 0, err
    assert "2027" in out and "调休上班 1 天" in out
    month, err = days(db_url, "2027-02")
    assert month["2027-02-20"]["working"] is True and month["2027-02-20"]["kind"] == "makeup"
    assert month["2027-02-12"]["working"] is False and month["2027-02-12"]["name"] == "春节"
    assert err == ""


def test_bad_calendar_file_names_file_and_key_and_changes_nothing(db_url: str, tmp_path: Path) -> None:
    before, _ = days(db_url, "2027-02")
    path = tmp_path / "放假安排.toml"
    path.write_text(
        CALENDAR_2027.replace('name = "春节调休上班"\n', 'name = "春节调休上班"\nday = 2027-02-21\n'),
        encoding="utf-8",
    )
    code, _out, err = run("--db", db_url, "calendar", "import", str(path))
    assert code == 4
    assert err.startswith("错误：") and str(path) in err and "“day”" in err and "Traceback" not in err
    after, warning = days(db_url, "2027-02")
    assert after == before and "尚未掌握" in warning


def test_bad_month_is_refused(db_url: str) -> None:
    code, _out, err = run("--db", db_url, "calendar", "2026-13")
    assert code == 2 and "YYYY-MM" in err


def test_schedule_and_milestone_commands(db_url: str) -> None:
    # supervised from 2026 (an import starts on its own day unless told)
    code, out, err = run("--db", db_url, "import", str(JILIN), "--from", "2026-01-01")
    assert code == 0, err
    assert "督办起始日：2026-01-01" in out
    code, out, err = run("--db", db_url, "schedule", "propose", "--policy", "吉民发〔2020〕28号", "--json")
    assert code == 0, err
    proposed = {p["rule"]: p for p in json.loads(out)["proposed"]}
    assert set(proposed) == {"holiday 三八妇女节", "once 2020-12-31", "yearly 01-31"}
    code, out, _ = run("--db", db_url, "schedule", "propose", "--policy", "吉民发〔2020〕28号")
    assert code == 0 and "新建议 0 条，已有 3 条" in out

    code, out, err = run("--db", db_url, "schedule", "confirm", str(proposed["holiday 三八妇女节"]["id"]))
    assert code == 0, err
    task = proposed["yearly 01-31"]["task"]
    code, out, err = run("--db", db_url, "schedule", "set", "--task", str(task), "holiday", "春节", "-7")
    assert code == 0, err
    assert "holiday 春节 -7" in out and "每年春节前7天" in out
    code, _out, err = run("--db", db_url, "schedule", "set", "--task", str(task), "every fortnight")
    assert code == 4 and "every fortnight" in err

    code, out, _ = run("--db", db_url, "schedule", "list", "--policy", "吉民发〔2020〕28号", "--json")
    rows = {r["rule"]: r for r in json.loads(out)["items"]}
    assert rows["holiday 三八妇女节"]["confirmed"] and not rows["once 2020-12-31"]["confirmed"]
    assert rows["holiday 春节 -7"]["source"] == "manual"

    code, out, err = run("--db", db_url, "milestones", "generate", "--until", "2026-12-31", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["created"] > 0
    code, out, _ = run("--db", db_url, "milestones", "generate", "--until", "2026-12-31", "--json")
    second = json.loads(out)
    assert second["created"] == 0 and second["existing"] == first["created"]

    code, out, _ = run(
        "--db",
        db_url,
        "milestones",
        "--policy",
        "吉民发〔2020〕28号",
        "--due-before",
        "2026-02-28",
        "--limit",
        "5000",
        "--json",
    )
    assert code == 0
    page = json.loads(out)
    spring = [m for m in page["items"] if m["task"] == task and m["period"] == "2026-春节-7"]
    # 春节 2026 is 02-17; seven days earlier is Tue 02-10, a working day
    assert spring and all(m["due_date"] == "2026-02-10" for m in spring)
    assert all(m["effective_due_date"] <= "2026-02-28" for m in page["items"])
    assert page["total"] == len(page["items"])
    code, out, _ = run("--db", db_url, "milestones", "--agency", "fulian")
    assert code == 0 and "吉民发〔2020〕28号" in out and "共 " in out
