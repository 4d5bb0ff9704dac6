"""duban import DIR / duban import A B C (issue 20, item 5): the five seeds in one run, one transaction per
document, a summary table, the exit code of the first failure, --dry-run and --json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Policy

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stored(db_url: str) -> tuple[list[str | None], int]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        numbers = list(s.scalars(select(Policy.doc_number).order_by(Policy.id)))
        imports = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "policy.import")
        )
    engine.dispose()
    return numbers, imports or 0


def test_the_five_seeds_import_from_their_folder_in_one_run(db_url: str) -> None:
    code, out, err = run(db_url, "import", str(SEEDS))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["文件", "结果", "文号", "任务", "说明"]
    assert [line.split()[0] for line in lines[1:6]] == [p.name for p in SEED_FILES]
    assert all(line.split()[1] == "已导入" for line in lines[1:6])
    assert "民发〔2019〕86号" in lines[2] and "23" in lines[2].split()
    assert lines[-1] == "共 5 份文件：已导入 5"
    numbers, imports = stored(db_url)
    assert len(numbers) == 5 and "民发〔2019〕86号" in numbers and "吉民发〔2020〕28号" in numbers
    assert imports == 5  # one audited import per document

    code, out, _ = run(db_url, "import", str(SEEDS))  # again: nothing changes
    assert code == 0 and out.splitlines()[-1] == "共 5 份文件：未变 5"
    assert stored(db_url)[1] == 5


def test_several_files_are_imported_in_the_order_given(db_url: str) -> None:
    national, yunnan = SEEDS / "001_007993ffda9a68ac.txt", SEEDS / "000_ec88c21d93956c79.txt"
    code, out, err = run(db_url, "import", str(national), str(yunnan), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [o["file"] for o in data["outcomes"]] == [national.name, yunnan.name]
    assert [o["outcome"] for o in data["outcomes"]] == ["created", "created"]
    assert data["outcomes"][0]["doc_number"] == "民发〔2019〕86号" and data["outcomes"][0]["tasks"] == 23
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        child = s.scalar(select(Policy).where(Policy.doc_number == "云民发〔2020〕8号"))
        assert child is not None and child.implements_id is not None  # the parent came first, so it is linked
    engine.dispose()


def test_a_failing_document_does_not_stop_or_undo_the_others(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "文件夹"
    folder.mkdir()
    for p in SEED_FILES[:2]:
        shutil.copy(p, folder / p.name)
    (folder / "001a_坏文件.pdf").write_bytes(b"this is not a PDF at all")
    (folder / "说明.md").write_text("不是政策文件，跳过", encoding="utf-8")
    (folder / "子文件夹").mkdir()

    code, out, err = run(db_url, "import", str(folder))
    assert code == 4, (out, err)  # the failed document's own exit code (a parse error), see docs/errors.md
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert set(rows) == {SEED_FILES[0].name, SEED_FILES[1].name, "001a_坏文件.pdf"}
    assert (
        "失败" in rows["001a_坏文件.pdf"] and "001a_坏文件.pdf" in rows["001a_坏文件.pdf"].split("失败", 1)[1]
    )
    assert out.splitlines()[-1] == "共 3 份文件：已导入 2，失败 1"
    assert "Traceback" not in out + err
    numbers, imports = stored(db_url)
    assert len(numbers) == 2 and imports == 2


def test_the_first_failures_code_is_the_exit_code(db_url: str, tmp_path: Path) -> None:
    changed = tmp_path / SEED_FILES[1].name
    changed.write_text(SEED_FILES[1].read_text(encoding="utf-8") + "\n附：新增一句。\n", encoding="utf-8")
    assert run(db_url, "import", str(SEED_FILES[1]))[0] == 0
    code, out, _ = run(db_url, "import", str(changed), str(SEED_FILES[2]), "--json")
    assert code == 10  # another version of a stored document without --replace: a conflict
    outcomes = json.loads(out)["outcomes"]
    assert [o["outcome"] for o in outcomes] == ["failed", "created"]
    assert outcomes[0]["exit_code"] == 10 and "--replace" in outcomes[0]["message"]


def test_dry_run_of_a_folder_writes_nothing(db_url: str) -> None:
    code, out, err = run(db_url, "import", str(SEEDS), "--dry-run")
    assert code == 0, err
    assert out.splitlines()[-1] == "共 5 份文件：试运行 5"
    assert stored(db_url) == ([], 0)


def test_dry_run_of_a_folder_without_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "还没有.db"
    code, out, err = run(str(missing), "import", str(SEEDS), "--dry-run", "--json")
    assert code == 0, err
    assert [o["outcome"] for o in json.loads(out)["outcomes"]] == ["dry_run"] * 5
    assert not missing.exists()


def test_options_for_one_document_are_refused_with_many(db_url: str, tmp_path: Path) -> None:
    code, _, err = run(db_url, "import", str(SEEDS), "--review")
    assert code == 2 and "一次导入多份文件或文件夹时不能使用" in err
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    code, _, err = run(db_url, "import", str(empty))
    assert code == 2 and "没有可导入的文件" in err
    assert stored(db_url) == ([], 0)
