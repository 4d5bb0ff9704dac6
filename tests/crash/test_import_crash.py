"""``duban import`` and ``duban report import`` killed before their commit file nothing; the rerun files
everything once; a third run of ``report import`` recognises the file and its rows and files nothing twice."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from duban.storage.models import AuditEvent, Policy, Report, Responsibility, Task
from tests.crash.conftest import Duban
from tests.services.workflow_scenario import Scenario

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
NATIONAL = SEEDS / "001_007993ffda9a68ac.txt"


def test_a_killed_policy_import_is_rerun_once(duban_empty: Duban) -> None:
    duban_empty.ok("db", "upgrade")
    events = duban_empty.count(AuditEvent)
    duban_empty.crash("import.before_commit", "import", str(NATIONAL))
    assert (duban_empty.count(Policy), duban_empty.count(Task), duban_empty.count(AuditEvent)) == (
        0,
        0,
        events,
    )
    duban_empty.ok("import", str(NATIONAL))
    assert duban_empty.count(Policy) == 1 and duban_empty.count(Task) == 23
    responsibilities = duban_empty.count(Responsibility)
    again = duban_empty.ok("import", str(NATIONAL))  # the same file again is recognised, not filed twice
    assert "与已导入的版本相同，未作改动" in again.out
    assert (duban_empty.count(Policy), duban_empty.count(Responsibility)) == (1, responsibilities)
    duban_empty.audit_valid()


def fill(book: Path, texts: dict[int, str]) -> None:
    wb = load_workbook(book)
    ws = wb["报送"]
    text_col = [c.value for c in ws[2]].index("text") + 1
    for row, value in texts.items():
        ws.cell(row=row, column=text_col, value=value)
    wb.save(book)


def test_a_killed_report_import_is_rerun_once_and_a_repeat_files_nothing(
    world: tuple[Duban, Scenario], tmp_path: Path
) -> None:
    duban, _scenario = world
    book = tmp_path / "民政报送.xlsx"
    duban.ok("report", "template", "--agency", "minzheng", "-o", str(book), "--as-of", "2026-01-15")
    fill(book, {3: "一月完成摸底排查", 4: "二月进展", 5: "三月进展"})

    duban.crash("report_import.row@2", "--as", "mz", "report", "import", str(book))  # two rows filed, killed
    assert duban.count(Report) == 0
    duban.crash("report_import.recorded", "--as", "mz", "report", "import", str(book))  # all filed, killed
    assert duban.count(Report) == 0
    ran = duban.ok("--as", "mz", "report", "import", str(book))
    assert "已导入 3 份报送" in ran.out
    events = duban.count(AuditEvent)

    # the same file again: recognised, nothing filed, nothing written
    ran = duban.ok("--as", "mz", "report", "import", str(book))
    assert "此文件已于" in ran.out and "没有新的报送" in ran.out and ran.out.count("跳过第") == 3
    assert (duban.count(Report), duban.count(AuditEvent)) == (3, events)

    # one row changed (a new file): only that row is filed, as a new version; the others are recognised
    fill(book, {4: "二月进展（更正）"})
    ran = duban.ok("--as", "mz", "report", "import", str(book))
    assert "已导入 1 份报送" in ran.out and ran.out.count("与该节点当前的报送内容相同") == 2
    assert duban.count(Report) == 4

    # --again files every row once more
    ran = duban.ok("--as", "mz", "report", "import", str(book), "--again")
    assert "已导入 3 份报送" in ran.out
    assert duban.count(Report) == 7
    duban.audit_valid()
