"""The 考核 export carries the charts: xlsx with native Excel charts on a sheet 图表, docx and Markdown with text
pictures — end to end through the CLI on the demo database (``duban demo`` → ``duban assess --export``)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from duban.cli.main import cli
from duban.plugins.exporters.charts import TREND_TOP, period_labels, sparkline, text_bar

pytestmark = pytest.mark.departments  # the demo is built from the 13 department plugins

TODAY = "2026-05-15"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("charts") / "demo.db"
    code, _out, err = run(db, "demo", "--db", str(db), "--no-open", "--today", TODAY)
    assert code == 0, err
    return db


def test_text_pictures() -> None:
    assert sparkline([0, 5, 10]) == "▁▅█"
    assert sparkline([3, 3]) == "▁▁" and sparkline([None, 1.0, 2.0]) == " ▁█" and sparkline([]) == ""
    assert text_bar(0.5, 1.0, cells=10) == "█████" and text_bar(0, 1.0) == ""
    assert period_labels({"periods": ["2025-12-31", "2026-03-31", "2026-05-15"]}) == [
        "2025Q4末",
        "2026Q1末",
        "截至 2026-05-15",
    ]


def test_xlsx_export_has_the_charts(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "考核.xlsx"
    code, _, err = run(demo_db, "assess", "--period", "2026-Q1", "--export", "xlsx", "-o", str(out))
    assert code == 0, err
    wb = load_workbook(out)
    assert wb.sheetnames[-1] == "图表"
    ws = wb["图表"]
    kinds = [type(c) for c in ws._charts]
    assert kinds == [BarChart, BarChart, LineChart, LineChart]
    scores = wb["考核得分"]
    assert ws.max_row > scores.max_row  # the ranking's numbers, then the trend tables below them
    # the on-time rate bars read the column of rates, one bar per department of the ranking
    rate_ref = ws._charts[0].series[0].val.numRef.f
    assert rate_ref == f"'图表'!$D$2:$D${scores.max_row}"
    # the red-count lines: one series per department drawn (the worst first), five points each
    red = ws._charts[2]
    assert len(red.series) == TREND_TOP
    header = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "红灯责任数（各季度末）"
    )
    assert [ws.cell(row=header + 2 + i, column=1).value for i in range(5)] == [
        "2025Q1末",
        "2025Q2末",
        "2025Q3末",
        "2025Q4末",
        "截至 2026-03-31",
    ]
    assert all(isinstance(ws.cell(row=header + 2 + i, column=2).value, int) for i in range(5))


def test_docx_and_markdown_exports_have_the_text_charts(demo_db: Path, tmp_path: Path) -> None:
    word, md = tmp_path / "考核.docx", tmp_path / "考核.md"
    for fmt, path in (("docx", word), ("md", md)):
        code, _, err = run(demo_db, "assess", "--period", "2026-Q1", "--export", fmt, "-o", str(path))
        assert code == 0, err
    document = docx.Document(str(word))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[1:] == [
        "考核得分",
        "各部门按时率",
        "各部门灯色和按时率的变化（2025Q1末 至 截至 2026-03-31）",
    ]
    trend = document.tables[-1]
    assert [c.text for c in trend.rows[0].cells] == ["部门", "严重度", "现在", "红", "黄", "绿", "按时率"]
    first = [c.text for c in trend.rows[1].cells]
    assert first[0] and not first[0].isascii()  # a Chinese department name, never a key
    assert len(first[3]) == 5 and set(first[3]) <= set("▁▂▃▄▅▆▇█ ")
    bars = document.tables[1]
    assert any("█" in row.cells[3].text for row in bars.rows[1:])
    text = md.read_text(encoding="utf-8")
    assert "## 各部门按时率" in text and "## 各部门灯色和按时率的变化" in text
