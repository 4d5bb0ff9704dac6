"""End to end through the CLI, on SQLite and PostgreSQL (issue 13's loop): import → template propose/confirm →
schedules confirmed with a start date → reports checked against the bound template (the agencies' own checks
fire) → status runs the responsibility checks → findings → the inbox → review → status/overdue totals → the
考核 term for findings."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from click.testing import CliRunner

from duban.cli.main import cli
from tests.conftest import SEEDS

NATIONAL = "民发〔2019〕86号"
YUNNAN = "云民发〔2020〕8号"


class Duban:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.db = db_url
        self.config = tmp_path / "duban.toml"
        self.config.write_text(f'[users.map]\n"{getpass.getuser()}" = "coord"\n', encoding="utf-8")

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli, ["--db", self.db, "--config", str(self.config), *args], catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, f"duban {' '.join(args)} → {code}: {err}"
        return out

    def json(self, *args: str):  # noqa: ANN201
        return json.loads(self.ok(*args, "--json"))


def test_templates_checks_findings_and_assessment(db_url: str, tmp_path: Path) -> None:
    duban = Duban(db_url, tmp_path)
    assert duban.json("init")["coordinators"] == ["coord"]  # the OS login, mapped by users.map
    duban.ok("user", "add", "mz", "--role", "department", "--agency", "minzheng", "--jurisdiction", "000000")
    duban.ok("user", "add", "fl", "--role", "department", "--agency", "fulian", "--jurisdiction", "000000")
    duban.ok("user", "add", "ylfl", "--role", "department", "--agency", "fulian", "--jurisdiction", "530000")
    # supervision of these 2019/2020 policies starts in 2019: the test files reports on 2020 milestones
    duban.ok("import", str(next(SEEDS.glob("001_*.txt"))), "--from", "2019-01-01")
    duban.ok("import", str(next(SEEDS.glob("000_*.txt"))), "--from", "2019-01-01")

    # propose: 民政's 台账 template for 任务分工二十三, 妇联's visits for 云南 六
    proposed = duban.json("template", "propose")["proposed"]
    by = {(p["policy"], p["task_number"], p["template"]): p for p in proposed}
    ledger = by[(NATIONAL, "二十三", "minzheng.ledger")]
    assert ledger["source"] == "serves" and ledger["state"] == "proposed" and ledger["agency_name"] == "民政"
    assert (YUNNAN, "六", "fulian.visit_spring_festival") in by
    out = duban.ok("template", "confirm", "--all")
    assert f"共确认 {len(proposed)} 条" in out
    listed = duban.json("template", "list", "--state", "confirmed", "--limit", "5")
    assert listed["total"] == len(proposed) and len(listed["items"]) == 5

    # 云南's festival visits (元旦/春节/三八/母亲节 hints; the document is of 2020-07-22), confirmed to start on
    # 2021-03-01: 元旦 and 春节 2021 fall before it, are not generated, and generate says how many it left out
    proposals = duban.json("schedule", "propose", "--policy", YUNNAN)["proposed"]
    assert {s["rule"] for s in proposals} >= {"holiday 春节", "holiday 三八妇女节"}, proposals
    duban.ok("schedule", "confirm", *(str(s["id"]) for s in proposals), "--from", "2021-03-01")
    generated = duban.json("milestones", "generate", "--until", "2021-12-31")
    assert generated["created"] > 0 and generated["skipped_before_start"] >= 2
    festival = [
        m
        for m in duban.json("milestones", "--policy", YUNNAN, "--limit", "5000")["items"]
        if m["schedule"] is not None
    ]
    assert festival and all(m["due_date"] >= "2021-03-01" for m in festival)
    assert {m["period"] for m in festival} >= {"2021-三八妇女节", "2021-母亲节"}
    milestones = duban.json("milestones", "--due-before", "2021-12-31", "--limit", "5000")["items"]

    def first(policy: str, number: str, agency: str) -> dict:
        return min(
            (
                m
                for m in milestones
                if (m["policy"], m["task_number"], m["agency"]) == (policy, number, agency)
            ),
            key=lambda m: m["effective_due_date"],
        )

    m_ledger = first(NATIONAL, "二十三", "minzheng")
    submit = (
        "--as",
        "mz",
        "report",
        "submit",
        str(m_ledger["responsibility"]),
        "--milestone",
        str(m_ledger["id"]),
    )

    # a 台账 report saying "not in the system" without the 台账 count: refused, naming what is missing
    code, _out, err = duban(*submit, "--text", "已摸底", "--indicator", "minzheng.ledger_in_system=否")
    assert code == 9 and "缺少必填指标“台账人数”" in err
    # an indicator of another agency: refused, with the valid ones listed
    code, _out, err = duban(*submit, "--text", "已摸底", "--indicator", "fulian.visited=3")
    assert code == 9
    assert "没有指标 fulian.visited" in err and "可填报的指标：minzheng.ledger_total（台账人数）" in err
    # complete, but not entered in 全国儿童福利信息系统: accepted with 民政's own finding
    data = duban.json(
        *submit,
        "--text",
        "已完成摸底排查",
        "--indicator",
        "minzheng.ledger_total=120",
        "--indicator",
        "minzheng.ledger_updated_on=2019-10-10",
        "--indicator",
        "minzheng.ledger_in_system=否",
    )
    assert data["template"] == "minzheng.ledger" and data["free_text"] is None
    ledger_report = data["report"]
    assert [(f["plugin"], f["code"]) for f in data["findings"]] == [("minzheng", "ledger.not_in_system")]

    # 妇联 (云南) reports a 春节 visit with nobody visited: its own check; the four visits share indicators
    m_visit = first(YUNNAN, "六", "fulian")
    visit = (
        "--as",
        "ylfl",
        "report",
        "submit",
        str(m_visit["responsibility"]),
        "--milestone",
        str(m_visit["id"]),
    )
    code, _out, err = duban(*visit, "--indicator", "fulian.visited=0")
    assert code == 9 and "绑定了多个模板" in err and "--template" in err
    data = duban.json(*visit, "--template", "fulian.visit_spring_festival", "--indicator", "fulian.visited=0")
    visit_report = data["report"]
    assert [(f["plugin"], f["code"]) for f in data["findings"]] == [("fulian", "fulian.no_visits")]

    # an unbound task (任务分工一, 党的领导) takes free text, and says so
    m_free = first(NATIONAL, "一", "minzheng")
    free = ("--as", "mz", "report", "submit", str(m_free["responsibility"]), "--text", "召开专题会议")
    out = duban.ok(*free)
    assert "此任务尚未绑定部门模板，按自由文本报送" in out
    free_report = next(
        r["id"]
        for r in duban.json("report", "list", "--limit", "500")["items"]
        if r["responsibility"] == m_free["responsibility"]
    )

    # status as of a day runs the responsibility checks: 台账 not updated for six months, a silent 配合 unit
    status = duban.json("status", "--as-of", "2020-06-30")
    assert status["checks"]["created"] > 0 and status["checks"]["faults"] == []
    out = duban.ok("status", "--as-of", "2020-06-30")
    assert "插件检查：未消除的发现" in out

    page = duban.json("findings", "--as-of", "2020-06-30", "--policy", NATIONAL, "--limit", "500")
    got = {(f["code"], f["plugin"], f["task_number"], f["agency"]) for f in page["items"]}
    assert ("ledger.stale", "minzheng", "二十三", "minzheng") in got
    assert ("support.silent", "fuergongwei", "二十三", "fulian") in got
    assert ("ledger.not_in_system", "minzheng", "二十三", "minzheng") in got
    stale = next(f for f in page["items"] if f["code"] == "ledger.stale")
    assert stale["kind"] == "responsibility" and stale["first_seen"] == "2020-06-30"
    assert stale["agency_name"] == "民政" and stale["severity"] == "warning"
    assert page["total"] == sum(page["by_severity"].values()) >= 3
    mine = duban.json("--as", "mz", "findings", "--as-of", "2020-06-30", "--limit", "500")
    assert {f["agency"] for f in mine["items"]} == {"minzheng"}
    text = duban.ok("findings", "--as-of", "2020-06-30", "--severity", "warning")
    assert "ledger.stale" in text and "共 " in text and "警告" in text

    # the decision queue: the coordinator sees the three reports awaiting 复核, oldest first, with the command
    inbox = duban.json("inbox", "--as-of", "2020-06-30", "--kind", "review")
    waiting = {i["id"]: i for i in inbox["items"] if i["kind"] == "review"}
    assert {ledger_report, visit_report, free_report} <= set(waiting)
    assert inbox["total"] == len(inbox["items"]) and waiting[ledger_report]["command"].endswith(
        f"review accept {ledger_report}"
    )
    assert [i["since"] for i in inbox["items"]] == sorted(i["since"] for i in inbox["items"])
    duban.ok("review", "accept", str(ledger_report))
    code, _out, err = duban("review", "return", str(visit_report))
    assert code == 2 and "--reason" in err  # a return needs its reason
    duban.ok("review", "return", str(visit_report), "--reason", "走访人数为0，请说明原因")
    after = duban.json("inbox", "--as-of", "2020-06-30", "--kind", "review")
    assert {i["id"] for i in after["items"]} == set(waiting) - {ledger_report, visit_report}
    # 云南妇联 finds the returned report in its own inbox, to redo
    theirs = duban.json("--as", "ylfl", "inbox", "--as-of", "2020-06-30", "--kind", "returned")
    assert [i["id"] for i in theirs["items"]] == [m_visit["responsibility"]]

    # status and overdue agree on totals, and overdue pages without dropping rows
    status = duban.json("status", "--as-of", "2020-06-30")
    overdue = duban.json("overdue", "--as-of", "2020-06-30", "--limit", "3")
    assert overdue["total"] > 3 and len(overdue["items"]) == 3 and overdue["limit"] == 3
    rest = duban.json("overdue", "--as-of", "2020-06-30", "--limit", "1000", "--offset", "3")
    assert len(rest["items"]) == overdue["total"] - 3
    listed = [(r["milestone"], r["agency"]) for r in overdue["items"] + rest["items"]]
    assert len(set(listed)) == overdue["total"]
    assert status["total"] >= 1

    # the 考核 terms for findings see the stored findings (the old scheme's per-task warning term)
    legacy = duban.json("assess", "--period", "2020", "--jurisdiction", "000000", "--scheme", "legacy")
    minzheng = next(d for d in legacy["departments"] if d["agency"] == "minzheng")
    terms = {t["code"]: t for t in minzheng["terms"]}
    assert terms["warning"]["count"] >= 1 and terms["warning"]["points"] < 0
    result = duban.json("assess", "--period", "2020", "--jurisdiction", "000000")
    minzheng = next(d for d in result["departments"] if d["agency"] == "minzheng")
    # 民政 filed nothing in 2020: the finding rate (per report) is 不适用 and costs nothing, the on-time rate
    # and completion terms carry the loss
    rates = {t["label"]: t["formula"] for t in minzheng["terms"] if t["code"] == "rate"}
    assert rates["发现率（10 分）"].startswith("不适用")
    assert not any(t["code"] == "findings" for t in minzheng["terms"])
    assert any(e["kind"] == "warning" and "ledger.stale" in e["detail"] for e in result["evidence"])
