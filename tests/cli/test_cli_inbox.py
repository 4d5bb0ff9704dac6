"""duban inbox end to end through the CLI, on SQLite and PostgreSQL: init registers the coordinator, a seed is
imported, departments report and ask for an extension (``--as``), and each user's inbox lists what waits on
them — oldest first, ages in working days on the calendar with 调休, the command that settles each row."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from duban.cli.main import cli
from duban.services.clock import local_today
from duban.storage.db import make_engine
from duban.storage.models import Extension, Policy, Report

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"
POLICY = "云民发〔2020〕8号"
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.departments


class Duban:
    def __init__(self, db_url: str, config: Path) -> None:
        self.db_url, self.config = db_url, config

    def __call__(self, *args: str, ok: bool = True) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli, ["--db", self.db_url, "--config", str(self.config), *args], catch_exceptions=False
        )
        if ok:
            assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str) -> dict:
        return json.loads(self(*args, "--json")[1])

    def sql(self, *statements: object) -> None:
        engine = make_engine(self.db_url)
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[call-overload]
        engine.dispose()


def noon(day: str) -> dt.datetime:
    """Noon in Shanghai on ``day``, in UTC (a wait that began that day)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def duban(empty_db_url: str, tmp_path: Path) -> Duban:
    config = tmp_path / "duban.toml"
    config.write_text("[general]\nwarning_days = 5\n", encoding="utf-8")  # no users.map: the OS login
    return Duban(empty_db_url, config)


def test_inbox_end_to_end(duban: Duban) -> None:
    me = getpass.getuser()
    init = duban.json("init")
    assert init["coordinator_registered"] == me and init["coordinators"] == [me]

    duban("import", str(YUNNAN))
    duban("user", "add", "mz", "--role", "department", "--agency", "minzheng", "--jurisdiction", "530000")
    duban("user", "add", "fl", "--role", "department", "--agency", "fulian", "--jurisdiction", "530000")

    # three tasks with one-off milestones a quarter ahead (after today, so an extension may still be asked)
    due = local_today() + dt.timedelta(days=90)
    tasks = duban.json("tasks", "--policy", POLICY, "--agency", "minzheng", "--limit", "100")["items"]
    fulian_tasks = [t for t in tasks if "fulian" in t["lead"] + t["support"] + t["joint"]]
    assert len(tasks) >= 3 and fulian_tasks
    chosen = [tasks[0]["id"], tasks[1]["id"], fulian_tasks[-1]["id"]]
    for task in chosen:
        duban("schedule", "set", "--task", str(task), "once", due.isoformat())
    duban("milestones", "generate", "--policy", POLICY, "--until", f"{due.year}-12-31")
    ones = [
        m
        for m in duban.json("milestones", "--policy", POLICY, "--limit", "10000")["items"]
        if m["schedule"] is not None and m["task"] in chosen
    ]
    mz = {m["task"]: m for m in ones if m["agency"] == "minzheng"}
    fl = next(m for m in ones if m["agency"] == "fulian" and m["task"] == chosen[2])
    a, b = mz[chosen[0]], mz[chosen[1]]

    # departments act (--as): 签收, two reports, one extension request
    duban("--as", "mz", "ack", str(a["responsibility"]))
    mz_report = duban.json(
        "--as",
        "mz",
        "report",
        "submit",
        str(a["responsibility"]),
        "--milestone",
        str(a["id"]),
        "--text",
        "已摸底",
    )["report"]
    fl_report = duban.json(
        "--as",
        "fl",
        "report",
        "submit",
        str(fl["responsibility"]),
        "--milestone",
        str(fl["id"]),
        "--text",
        "走访",
    )["report"]
    later = (dt.date.fromisoformat(b["effective_due_date"]) + dt.timedelta(days=30)).isoformat()
    duban(
        "--as",
        "mz",
        "extend",
        "request",
        str(b["id"]),
        "--to",
        later,
        "--reason",
        "数据未齐",
        "--progress",
        "过半",
    )

    # time passes: the waits began before 春节 2026 (假期 02-15…02-23, 02-14 and 02-28 are 调休 working days)
    duban.sql(
        update(Report).where(Report.id == fl_report).values(submitted_at=noon("2026-02-12")),
        update(Report).where(Report.id == mz_report).values(submitted_at=noon("2026-02-13")),
        update(Extension).values(requested_at=noon("2026-02-20")),
        update(Policy).values(imported_at=noon("2026-02-10")),
    )

    box = duban.json("inbox", "--as-of", "2026-02-24")
    assert box["user"] == me and box["role"] == "coordinator"
    assert box["counts"]["review"] == 2 and box["counts"]["extension"] == 1
    assert box["counts"]["unsigned"] >= 1 and box["total"] == sum(box["counts"].values())
    first = box["items"][:3]
    assert [(i["kind"], i["id"]) for i in first] == [
        ("review", fl_report),  # the oldest first
        ("review", mz_report),
        ("extension", first[2]["id"]),
    ]
    # working days since: 02-12 → 02-13, 02-14 (调休), 02-24 = 3; 02-13 → 2; 02-20 (a holiday) → 02-24 = 1
    assert [i["age"] for i in first] == [3, 2, 1]
    assert [i["since"] for i in first] == ["2026-02-12", "2026-02-13", "2026-02-20"]
    review = first[0]
    assert review["command"] == f"duban review accept {fl_report}" and review["kind_label"] == "待复核"
    assert review["agency_name"] == "妇联" and review["jurisdiction_name"] == "云南省"
    assert review["policy"] == POLICY and review["task"] == chosen[2] and review["task_text"]
    assert first[2]["command"] == f"duban extend approve {first[2]['id']}" and first[2]["new_date"] == later
    unsigned = [i for i in box["items"] if i["kind"] == "unsigned"]
    assert unsigned and all(i["command"] == f"duban ack {i['id']}" for i in unsigned)
    assert a["responsibility"] not in {i["id"] for i in unsigned}  # signed for
    assert unsigned[0]["since"] == "2026-02-10" and unsigned[0]["age"] == 5  # 11, 12, 13, 14, 24

    # paging: the total stays, the next page starts where the first stopped
    one = duban.json("inbox", "--as-of", "2026-02-24", "--limit", "2")
    two = duban.json("inbox", "--as-of", "2026-02-24", "--limit", "2", "--offset", "2")
    assert one["total"] == two["total"] == box["total"]
    assert [i["id"] for i in one["items"] + two["items"]] == [i["id"] for i in box["items"][:4]]
    _code, out, _ = duban("inbox", "--as-of", "2026-02-24", "--limit", "2")
    assert f"共 {box['total']} 项，显示第 1–2 项；用 --offset 2 查看后续" in out
    assert "待复核 2 · 待审批延期 1" in out and f"duban review accept {fl_report}" in out
    only = duban.json("inbox", "--as-of", "2026-02-24", "--kind", "extension")
    assert only["total"] == 1 and only["counts"] == box["counts"]

    # the coordinator returns a report; the department's inbox has it to redo, and its milestones due soon
    duban("review", "return", str(mz_report), "--reason", "缺少台账人数")
    window_start = (dt.date.fromisoformat(b["effective_due_date"]) - dt.timedelta(days=7)).isoformat()
    mine = duban.json("--as", "mz", "inbox", "--as-of", window_start)
    assert mine["user"] == "mz" and mine["days"] == 10
    returned = [i for i in mine["items"] if i["kind"] == "returned"]
    assert [(i["report"], i["id"], i["reason"]) for i in returned] == [
        (mz_report, a["responsibility"], "缺少台账人数")
    ]
    assert returned[0]["command"] == f"duban report submit {a['responsibility']} --milestone {a['id']}"
    due_soon = duban.json("--as", "mz", "inbox", "--as-of", window_start, "--kind", "due", "--limit", "500")
    by_milestone = {i["milestone"]: i for i in due_soon["items"]}
    assert b["id"] in by_milestone and a["id"] not in by_milestone  # a was reported (and returned)
    assert by_milestone[b["id"]]["due"] == b["effective_due_date"]
    assert 0 < by_milestone[b["id"]]["days_left"] <= 7
    assert {i["agency"] for i in due_soon["items"]} == {"minzheng"} and due_soon["total"] == len(
        due_soon["items"]
    )
    assert mine["counts"]["returned"] == 1 and mine["counts"]["due"] == due_soon["total"]
    # nothing of another department, nothing of the coordinator's
    assert not {i["kind"] for i in mine["items"]} & {"review", "extension"}
    other = duban.json("--as", "fl", "inbox", "--as-of", window_start, "--limit", "500")
    assert {i["agency"] for i in other["items"]} <= {"fulian"}

    # the shipped default comes from the configuration (inbox.days) and --days overrides it
    assert duban.json("--as", "mz", "inbox", "--as-of", window_start, "--days", "0")["days"] == 0


def test_viewer_has_nothing_and_bad_paging_is_refused(duban: Duban) -> None:
    duban("init")
    duban("user", "add", "guest", "--role", "viewer")
    code, out, _ = duban("--as", "guest", "inbox")
    assert code == 0 and "只读用户没有待办事项" in out
    code, _out, err = duban("inbox", "--limit", "0", ok=False)
    assert code == 9 and "--limit" in err
    code, _out, err = duban("inbox", "--offset", "-1", ok=False)
    assert code == 9 and "--offset" in err
