"""End to end through the ``duban`` group: --json prints the service results' to_json, with ISO dates and
enum values (never a label or a formatted date), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from duban.cli.main import cli
from duban.domain.vocabulary import Light, PolicyStatus, ResponsibilityState, Role, values

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
NATIONAL = SEEDS / "001_007993ffda9a68ac.txt"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"


def duban(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def without_finding_ids(data: object) -> object:
    """``data`` with the ids of the findings it refers to left out."""
    if isinstance(data, dict):
        if data.get("kind") == "finding":
            return {k: v for k, v in data.items() if k != "id"}
        return {k: without_finding_ids(v) for k, v in data.items()}
    if isinstance(data, list):
        return [without_finding_ids(v) for v in data]
    return data


def is_iso_day(value: object) -> bool:
    return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value


def test_status_overdue_and_assess_json_carry_iso_dates_and_enum_values(db_url: str) -> None:
    duban(db_url, "import", str(NATIONAL))
    duban(db_url, "import", str(YUNNAN))
    # the documents' history since they were issued (supervision would start on the import day)
    duban(db_url, "milestones", "generate", "--until", "2026-12-31", "--include-past")

    policies = json.loads(duban(db_url, "policies", "--json"))["items"]
    yunnan = next(p for p in policies if p["doc_number"] == "云民发〔2020〕8号")
    assert is_iso_day(yunnan["issued"]) and yunnan["status"] == PolicyStatus.IN_FORCE.value

    status = json.loads(duban(db_url, "status", "--as-of", "2026-05-15", "--limit", "500", "--json"))
    assert status["as_of"] == "2026-05-15"
    assert set(status["tasks"]) == set(values(Light)) and sum(status["tasks"].values()) == 45
    assert {d["light"] for d in status["departments"]} <= set(values(Light))
    minzheng = next(d for d in status["departments"] if d["agency"] == "minzheng")
    assert minzheng["name"] == "民政" and 0 <= minzheng["on_time_rate"] <= 1
    items = status["items"]
    assert items and {i["role"] for i in items} == set(values(Role))
    assert {i["state"] for i in items} == {ResponsibilityState.ASSIGNED.value}
    assert all(is_iso_day(i["next_due"]) for i in items if i["next_due"] is not None)
    assert items[0]["light"] == Light.RED.value  # worst first: nothing was reported

    page = json.loads(duban(db_url, "overdue", "--as-of", "2026-05-15", "--json"))
    overdue = page["items"]
    assert page["as_of"] == "2026-05-15" and page["total"] >= len(overdue)
    assert overdue and all(is_iso_day(o["due"]) and is_iso_day(o["effective_due"]) for o in overdue)
    assert all(o["days_overdue"] > 0 and o["role"] in values(Role) for o in overdue)

    result = json.loads(duban(db_url, "assess", "--period", "2025", "--jurisdiction", "530000", "--json"))
    assert (result["start"], result["end"], result["as_of"]) == ("2025-01-01", "2025-12-31", "2025-12-31")
    assert result["departments"] and result["departments"][0]["rank"] == 1
    assert result["frozen"] is None and result["visible_to"] is None
    evidence = result["evidence"]
    assert evidence and {e["role"] for e in evidence} <= set(values(Role))
    assert all(
        is_iso_day(e["due"]) and is_iso_day(e["effective_due"]) for e in evidence if e["kind"] == "overdue"
    )

    frozen = json.loads(
        duban(db_url, "assess", "--period", "2025", "--jurisdiction", "530000", "--freeze", "--json")
    )["frozen"]
    assert dt.datetime.fromisoformat(frozen["frozen_at"]).tzinfo is not None
    shown = json.loads(duban(db_url, "assess", "show", str(frozen["id"]), "--json"))
    # an assessment without --freeze is a read: the responsibility checks' findings it cites are not committed,
    # so on PostgreSQL (sequences are not transactional) the frozen run's findings have other ids
    assert without_finding_ids(shown["departments"]) == without_finding_ids(result["departments"])
    assert shown["frozen"]["sha256"] == frozen["sha256"]
