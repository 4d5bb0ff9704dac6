"""duban import / policies / tasks through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Policy, Responsibility, Task

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
NATIONAL = SEEDS / "001_007993ffda9a68ac.txt"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def counts(db_url: str) -> tuple[int, int, int, int]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        out = tuple(
            s.scalar(select(func.count()).select_from(m)) for m in (Policy, Task, Responsibility, AuditEvent)
        )
    engine.dispose()
    return out  # type: ignore[return-value]


def test_json_output_has_exactly_the_documented_shape(db_url: str) -> None:
    code, out, err = run(db_url, "import", str(NATIONAL), "--json", "--dry-run")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"policy", "tasks", "warnings", "source"}
    assert data["source"] == {
        "name": NATIONAL.name,
        "sha256": hashlib.sha256(NATIONAL.read_bytes()).hexdigest(),
    }
    assert set(data["policy"]) == {
        "doc_number",
        "title",
        "issuers",
        "jurisdiction",
        "level",
        "issued",
        "status",
        "implements",
    }
    assert data["policy"]["doc_number"] == "民发〔2019〕86号" and data["policy"]["jurisdiction"] == "全国"
    assert len(data["tasks"]) == 23
    task = data["tasks"][22]
    assert set(task) == {"section", "number", "text", "responsibilities", "schedule_hints", "line", "doubts"}
    assert task["number"] == "二十三"
    assert {"name", "agency", "role", "party"} == set(task["responsibilities"][0])
    assert counts(db_url)[0] == 0  # --dry-run wrote nothing


def test_import_twice_changes_nothing_and_listings(db_url: str) -> None:
    code, out, err = run(db_url, "import", str(NATIONAL))
    assert code == 0, err
    assert "已导入" in out
    first = counts(db_url)
    assert first[:3] == (1, 23, first[2]) and first[2] > 23
    code, out, _ = run(db_url, "import", str(NATIONAL))
    assert code == 0 and "未作改动" in out
    assert counts(db_url) == first

    run(db_url, "import", str(YUNNAN))
    code, out, _ = run(db_url, "policies", "--json")
    policies = {p["doc_number"]: p for p in json.loads(out)["items"]}
    assert policies["云民发〔2020〕8号"]["implements"] == "民发〔2019〕86号"
    assert (
        policies["云民发〔2020〕8号"]["jurisdiction"] == "530000"
        and policies["云民发〔2020〕8号"]["tasks"] == 22
    )
    code, out, _ = run(
        db_url, "tasks", "--policy", "云民发〔2020〕8号", "--agency", "renshe", "--role", "lead", "--json"
    )
    page = json.loads(out)
    assert page["total"] >= 1 and all("renshe" in t["lead"] for t in page["items"])
    code, out, _ = run(db_url, "tasks", "--limit", "5", "--offset", "20", "--json")
    page = json.loads(out)
    assert page["total"] == 45 and len(page["items"]) == 5 and page["offset"] == 20


def test_changed_version_needs_replace_and_keeps_history(db_url: str, tmp_path: Path) -> None:
    run(db_url, "import", str(NATIONAL))
    before = counts(db_url)
    text = NATIONAL.read_text(encoding="utf-8")
    changed = text.replace(
        "（民政部、国务院妇儿工委办公室、全国妇联按照职责分工负责）",
        "（民政部牵头，国务院妇儿工委办公室、全国妇联按照职责分工负责）",
        1,
    )
    assert changed != text
    new_file = tmp_path / "民发2019-86-修订.txt"
    new_file.write_text(changed, encoding="utf-8")
    code, _out, err = run(db_url, "import", str(new_file))
    assert code == 10 and "--replace" in err and "调整分工" in err
    assert counts(db_url) == before
    code, out, err = run(db_url, "import", str(new_file), "--replace")
    assert code == 0, err
    assert "调整分工 任务一" in out
    code, out, _ = run(db_url, "policies", "--all", "--json")
    rows = json.loads(out)["items"]
    assert [r["status"] for r in rows] == ["superseded", "in_force"]
    code, out, _ = run(db_url, "policies", "--json")
    assert json.loads(out)["total"] == 1


def test_unreadable_file_names_file_and_line_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "空白.txt"
    bad.write_text("这是一段没有任何任务分工的文字。\n第二行也没有。\n", encoding="utf-8")
    code, _out, err = run(db_url, "import", str(bad))
    assert code == 4
    assert str(bad) in err and ":1" in err
    binary = tmp_path / "乱码.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    code, _out, err = run(db_url, "import", str(binary))
    assert code == 4 and str(binary) in err
    assert counts(db_url)[0] == 0


def test_strict_refuses_unknown_department(db_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "教育.txt"
    doc.write_text(
        "关于某事的通知\n任务分工\n一、开展家庭教育指导服务。（省教育厅牵头，省妇联按照职责分工负责）\n",
        encoding="utf-8",
    )
    code, out, err = run(db_url, "import", str(doc), "--json", "--dry-run")
    assert code == 0, err
    parties = json.loads(out)["tasks"][0]["responsibilities"]
    assert parties[0] == {"name": "省教育厅", "agency": None, "role": "lead", "party": "unregistered"}
    code, _out, err = run(db_url, "import", str(doc), "--strict")
    assert code == 4 and "省教育厅" in err
    assert counts(db_url)[0] == 0


def test_a_file_above_the_size_limit_is_refused_with_exit_4_and_nothing_written(
    db_url: str, tmp_path: Path
) -> None:
    from duban.importing.readers import MAX_FILE_BYTES

    big = tmp_path / "huge.txt"
    with big.open("wb") as handle:  # sparse: the size is there without writing 50 MB
        handle.write("一、加强关爱服务。（民政部负责）\n".encode())
        handle.truncate(MAX_FILE_BYTES + 1)
    before = counts(db_url)
    code, out, err = run(db_url, "import", str(big))
    assert code == 4, (out, err)
    assert "huge.txt" in err and "50" in err and "Traceback" not in err
    assert counts(db_url) == before
