"""End to end through the ``duban`` command group, on SQLite and PostgreSQL:

- import a document with a supervision start, propose and confirm its schedules, generate: no milestone before
  the start, and the skipped ones are counted; withdraw one: status and overdue stop counting it;
- a document naming 扶贫 after 扶贫 → 乡村振兴 → 农业农村: one duty per task for 农业农村 in status, overdue and
  考核, and a cascade in 2025 that gives 扶贫's duties to 农业农村 and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from duban.cli.main import cli

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
JILIN = SEEDS / "002_09c426360c691ab7.txt"  # 吉民发〔2020〕28号, issued 2020-09-21
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"  # 云民发〔2020〕8号: 扶贫 on tasks 四, 十四, 十七, 二十一


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ok(db_url: str, *args: str) -> str:
    code, out, err = run(db_url, *args)
    assert code == 0, err
    return out


def test_import_from_a_start_generate_withdraw(db_url: str) -> None:
    out = ok(db_url, "import", str(JILIN), "--from", "2026-01-01")
    assert "督办起始日：2026-01-01" in out
    proposed = {
        p["rule"]: p
        for p in json.loads(ok(db_url, "schedule", "propose", "--policy", "吉民发〔2020〕28号", "--json"))[
            "proposed"
        ]
    }
    assert set(proposed) == {"holiday 三八妇女节", "once 2020-12-31", "yearly 01-31"}
    ids = [str(p["id"]) for p in proposed.values()]
    assert "已确认排期" in ok(db_url, "schedule", "confirm", *ids)

    out = ok(db_url, "milestones", "generate", "--until", "2026-12-31")
    assert "督办起始日之前的节点" in out and "--include-past" in out
    skipped = int(out.split("督办起始日之前的节点 ")[1].split(" 个")[0])
    assert skipped > 500  # five years of quarters (and the 2020 deadline) for 75 duties are not created
    page = json.loads(ok(db_url, "milestones", "--policy", "吉民发〔2020〕28号", "--limit", "5000", "--json"))
    assert page["total"] > 0 and all(m["due_date"] >= "2026-01-01" for m in page["items"])
    assert not any(m["period"] == "2020-12-31" for m in page["items"])  # the dated hint: before start
    again = json.loads(ok(db_url, "milestones", "generate", "--until", "2026-12-31", "--json"))
    assert again["created"] == 0 and again["skipped_before_start"] == skipped

    day = "2026-05-06"
    late = json.loads(ok(db_url, "overdue", "--as-of", day, "--limit", "5000", "--json"))["items"]
    status = json.loads(ok(db_url, "status", "--as-of", day, "--json"))
    total = sum(d["overdue"] for d in status["departments"])
    assert late and total == len(late)
    target = late[0]
    out = ok(
        db_url, "milestones", "withdraw", str(target["milestone"]), "--reason", "该项工作已并入另一节点督办"
    )
    assert f"已撤回节点 #{target['milestone']}" in out

    after = json.loads(ok(db_url, "overdue", "--as-of", day, "--limit", "5000", "--json"))["items"]
    assert target["milestone"] not in {o["milestone"] for o in after} and len(after) == len(late) - 1
    status = json.loads(ok(db_url, "status", "--as-of", day, "--json"))
    assert sum(d["overdue"] for d in status["departments"]) == total - 1
    listed = json.loads(
        ok(db_url, "milestones", "--policy", "吉民发〔2020〕28号", "--limit", "5000", "--json")
    )
    (row,) = [m for m in listed["items"] if m["id"] == target["milestone"]]
    assert row["withdrawn"] and row["withdrawn_reason"] == "该项工作已并入另一节点督办"
    assert "已撤回：该项工作已并入另一节点督办" in ok(
        db_url, "milestones", "--policy", "吉民发〔2020〕28号", "--limit", "5000"
    )
    code, _out, err = run(
        db_url, "report", "submit", str(target["responsibility"]), "--milestone", str(target["milestone"])
    )
    assert code != 0 and "已由协调人撤回" in err
    code, _out, err = run(db_url, "milestones", "withdraw", str(target["milestone"]), "--reason", "再撤")
    assert code != 0 and "已于" in err
    assert "milestone.withdraw" in ok(db_url, "audit", "log", "--json")
    change = json.loads(
        ok(db_url, "schedule", "start", "--policy", "吉民发〔2020〕28号", "2025-07-01", "--json")
    )
    assert change["start"] == "2025-07-01" and change["previous"] == "2026-01-01"
    out = ok(db_url, "schedule", "start", "--policy", "吉民发〔2020〕28号", "2025-01-01")
    assert "督办起始日：2025-01-01（原为 2025-07-01）" in out
    assert run(db_url, "audit", "verify")[0] == 0


def test_the_successor_holds_one_duty_per_task_through_the_cli(db_url: str) -> None:
    ok(db_url, "import", str(YUNNAN), "--from", "2024-01-01")
    out = ok(db_url, "milestones", "generate", "--until", "2024-12-31")
    assert "已由继任部门承接并合并的责任" in out

    day = "2025-01-20"
    items = json.loads(
        ok(db_url, "status", "--agency", "nongye", "--as-of", day, "--limit", "500", "--json")
    )["items"]
    tasks = [i["task"] for i in items]
    assert len(tasks) == len(set(tasks)) and len(tasks) >= 4  # one duty per task
    assert {i["recorded_agency"] for i in items} == {"nongye", "fupin"}  # some carried, as written
    late = json.loads(
        ok(db_url, "overdue", "--agency", "nongye", "--as-of", day, "--limit", "5000", "--json")
    )["items"]
    keys = [(o["task"], o["period"]) for o in late]
    assert late and len(keys) == len(set(keys))  # one milestone per task and period

    assessed = json.loads(ok(db_url, "assess", "--period", "2024", "--as-of", day, "--json"))
    (nongye,) = [d for d in assessed["departments"] if d["agency"] == "nongye"]
    assert nongye["due"] == 3 * len(tasks)  # Q1–Q3 fall due in 2024 (Q4 in 2025): once per task

    out = ok(db_url, "cascade", "云民发〔2020〕8号", "--to", "530100", "--as-of", "2025-01-06")
    assert "扶贫的职责已于 2023-03-16 由农业农村承接" in out and "不为已撤销的机构创建责任" in out
    fupin = json.loads(
        ok(
            db_url,
            "status",
            "--agency",
            "fupin",
            "--jurisdiction",
            "530100",
            "--as-of",
            "2022-06-01",
            "--json",
        )
    )
    assert fupin["items"] == []  # no duty was created for the dissolved agency
