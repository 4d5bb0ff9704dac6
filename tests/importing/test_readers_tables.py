"""Each reader on generated files: tables with cells merged across and down reach TableBlocks spread, the
rendered text keeps one line per row, and the parser reads the same tasks from every format. Plus the docx
reader's tracked insertions and content controls, the xlsx reader's numbers and formulas, the html
reader's encodings and layout tables, and the size guard."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from openpyxl import Workbook

from duban.domain.agencies import AgencyRegistry
from duban.errors import ParseError
from duban.hookspecs import ReadDocument
from duban.importing import parse_policy, read_document
from duban.importing import readers as readers_module
from duban.plugins.readers import docx_reader, html_reader, pdf_reader, xlsx_reader
from duban.plugins.readers.xlsx_reader import show

from . import table_files as tf

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
WRITERS: dict[str, tuple[Callable[[Path], Path], Callable[[Path], ReadDocument]]] = {
    "docx": (tf.write_docx, docx_reader.read_docx),
    "xlsx": (tf.write_xlsx, xlsx_reader.read_xlsx),
    "html": (tf.write_html, html_reader.read_html),
    "pdf": (tf.write_pdf, pdf_reader.read_pdf),
}


def tasks_of(document: ReadDocument, registry: AgencyRegistry) -> list[tuple[object, ...]]:
    policy = parse_policy(document.text, registry, tables=document.tables)
    return [
        (t.section, t.number, t.text, [(r.agency, r.role.value) for r in t.responsibilities])
        for t in policy.tasks
    ]


@pytest.mark.parametrize("suffix", list(WRITERS))
def test_every_format_gives_the_same_tasks(suffix: str, tmp_path: Path, registry: AgencyRegistry) -> None:
    write, read = WRITERS[suffix]
    document = read(write(tmp_path / f"分工.{suffix}"))
    assert isinstance(document, ReadDocument) and document.tables
    rows = [row for table in document.tables for row in table.rows]
    spread = [tuple(r) for r in tf.spread()]
    for row in spread[1:]:  # every body row, merged cells spread (the header repeats on the PDF's page 2)
        assert row in rows
    lines = document.text.split("\n")
    for table in document.tables:  # row_lines point at the rows' lines in the text
        for row, line in zip(table.rows, table.row_lines, strict=True):
            assert lines[line - 1] == " ".join(dict.fromkeys(" ".join(c.split()) for c in row if c))
    assert tasks_of(document, registry) == [(s, n, t, r) for s, n, t, r in tf.EXPECTED]
    policy = parse_policy(document.text, registry, tables=document.tables)
    assert policy.doc_number == "民发〔2030〕5号" and policy.issued == dt.date(2030, 3, 8)
    assert [h["rule"] for h in policy.tasks[0].schedule_hints] == ["every 6 months", "once 2030-06-30"]


# --------------------------------------------------------------------------- docx


def body_xml(document: docx.document.Document, xml: str) -> None:
    document.element.body.insert(len(document.element.body) - 1, parse_xml(xml))


def test_docx_tracked_insertions_and_content_controls_are_read(tmp_path: Path) -> None:
    document = docx.Document()
    # an inserted run closes the clause; a deleted run is gone
    body_xml(
        document,
        f"<w:p {W_NS}><w:r><w:t>一、建立台账。（民政部</w:t></w:r>"
        '<w:ins w:id="1" w:author="a" w:date="2030-01-01T00:00:00Z"><w:r><w:t>负责）</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="a" w:date="2030-01-01T00:00:00Z"><w:r><w:delText>删掉的</w:delText></w:r></w:del>'
        "</w:p>",
    )
    # an inline content control, and a block one holding a paragraph
    body_xml(
        document,
        f"<w:p {W_NS}><w:r><w:t>二、开展培训。（</w:t></w:r>"
        "<w:sdt><w:sdtPr><w:alias w:val='x'/></w:sdtPr><w:sdtContent><w:r><w:t>人力资源社会保障部负责</w:t></w:r>"
        "</w:sdtContent></w:sdt><w:r><w:t>）</w:t></w:r></w:p>",
    )
    body_xml(
        document,
        f"<w:sdt {W_NS}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>三、控件里的段落。（公安部负责）</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    path = tmp_path / "修订.docx"
    document.save(str(path))
    lines = docx_reader.read_docx(path).text.split("\n")
    assert "一、建立台账。（民政部负责）" in lines
    assert "二、开展培训。（人力资源社会保障部负责）" in lines
    assert "三、控件里的段落。（公安部负责）" in lines
    assert "删掉的" not in "\n".join(lines)


def test_docx_nested_and_frame_tables(tmp_path: Path) -> None:
    document = docx.Document()
    frame = document.add_table(rows=1, cols=1)  # a one-cell frame around the content
    cell = frame.cell(0, 0)
    cell.paragraphs[0].text = "框里的标题"
    inner = cell.add_table(rows=2, cols=3)
    for c, text in enumerate(["序号", "重点任务", "牵头单位"]):
        inner.cell(0, c).text = text
    for c, text in enumerate(["1", "任务甲", "民政部"]):
        inner.cell(1, c).text = text
    outer = document.add_table(rows=1, cols=2)  # a table nested in a cell of a real table: flattened
    outer.cell(0, 0).text = "说明"
    nested = outer.cell(0, 1).add_table(rows=2, cols=2)
    nested.cell(0, 0).text, nested.cell(0, 1).text = "甲", "乙"
    nested.cell(1, 0).text, nested.cell(1, 1).text = "丙", "丁"
    path = tmp_path / "嵌套.docx"
    document.save(str(path))
    read = docx_reader.read_docx(path)
    assert read.text.split("\n")[:3] == ["框里的标题", "序号 重点任务 牵头单位", "1 任务甲 民政部"]
    assert read.tables[0].rows == (("序号", "重点任务", "牵头单位"), ("1", "任务甲", "民政部"))
    assert read.tables[1].rows == (("说明", "甲 乙\n丙 丁"),)


def test_docx_vertical_merge_in_raw_xml(tmp_path: Path) -> None:
    document = docx.Document()

    def tc(text: str, merge: str | None = None, span: int = 1) -> str:
        props = (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") + (
            f'<w:vMerge w:val="{merge}"/>' if merge == "restart" else "<w:vMerge/>" if merge else ""
        )
        run = f"<w:r><w:t>{text}</w:t></w:r>" if text else ""
        return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{run}</w:p></w:tc>"

    rows = [
        [tc("序号"), tc("重点任务"), tc("牵头单位")],
        [tc("1"), tc("任务甲"), tc("民政部", "restart")],
        [tc("2"), tc("任务乙"), tc("", "continue")],
        [tc("二、分组", span=3)],
    ]
    grid = "<w:tblGrid>" + "<w:gridCol/>" * 3 + "</w:tblGrid>"
    body_xml(
        document,
        f"<w:tbl {W_NS}><w:tblPr/>{grid}" + "".join(f"<w:tr>{''.join(r)}</w:tr>" for r in rows) + "</w:tbl>",
    )
    path = tmp_path / "合并.docx"
    document.save(str(path))
    assert docx_reader.read_docx(path).tables[0].rows == (
        ("序号", "重点任务", "牵头单位"),
        ("1", "任务甲", "民政部"),
        ("2", "任务乙", "民政部"),
        ("二、分组", "二、分组", "二、分组"),
    )


# --------------------------------------------------------------------------- xlsx


def test_xlsx_numbers_and_dates_as_written() -> None:
    assert show(3) == "3" and show(3.0) == "3" and show(0.1) == "0.1"
    assert show(0.15, "0%") == "15%" and show(2.5, "0.00") == "2.50"
    assert show(dt.datetime(2030, 6, 30), "yyyy-mm-dd") == "2030年6月30日"
    assert show(dt.datetime(2030, 6, 1), 'yyyy"年"m"月"') == "2030年6月"


def test_xlsx_every_sheet_and_deadline_dates(tmp_path: Path, registry: AgencyRegistry) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first["A1"] = "民发〔2030〕6号"
    sheet = workbook.create_sheet("分工表")
    sheet.append(["序号", "重点任务", "牵头单位", "完成时限"])
    sheet.append([1, "建立台账", "民政部", dt.datetime(2030, 6, 30)])
    sheet["D2"].number_format = "yyyy/m/d"
    path = tmp_path / "表.xlsx"
    workbook.save(str(path))
    read = xlsx_reader.read_xlsx(path)
    assert [t.where for t in read.tables] == ["工作表“说明”", "工作表“分工表”"]
    assert read.tables[1].rows[1] == ("1", "建立台账", "民政部", "2030年6月30日")
    policy = parse_policy(read.text, registry, tables=read.tables)
    assert [h["rule"] for h in policy.tasks[0].schedule_hints] == ["once 2030-06-30"]


def test_xlsx_formula_without_a_saved_value_is_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "分工"
    sheet.append(["序号", "重点任务", "牵头单位"])
    sheet.append(["=1", "任务甲", "民政部"])  # openpyxl saves the formula, not its value
    path = tmp_path / "公式.xlsx"
    workbook.save(str(path))
    with pytest.raises(ParseError) as info:
        xlsx_reader.read_xlsx(path)
    assert "工作表“分工”的单元格 A2 是公式" in str(info.value) and "WPS" in (info.value.expected or "")


def test_xlsx_broken(tmp_path: Path) -> None:
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(ParseError) as info:
        xlsx_reader.read_xlsx(path)
    assert ".xlsx" in (info.value.expected or "")


# --------------------------------------------------------------------------- html


def test_html_in_gbk_declared_by_meta(tmp_path: Path, registry: AgencyRegistry) -> None:
    read = html_reader.read_html(tf.write_html(tmp_path / "页.htm", encoding="gbk"))
    assert "隐藏的文字" not in read.text and "网站标题" not in read.text and "假的" not in read.text
    assert [t[1] for t in tasks_of(read, registry)] == ["1", "2", "3", "4"]


def test_html_layout_tables_entities_and_breaks(tmp_path: Path) -> None:
    page = (
        "<html><body><table><tr><td>"  # a layout table around everything
        "<div>标题&nbsp;一</div>正文第一行<br>正文第二行&lt;甲&gt;"
        "<table><tr><th>序号</th><th>重点任务</th><th colspan=2>责任单位</th></tr>"
        "<tr><td rowspan=2>1</td><td>任务\n甲</td><td>民政部</td><td rowspan=2>公安部</td></tr>"
        "<tr><td>任务乙</td><td>财政部</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    path = tmp_path / "页.html"
    path.write_text(page, encoding="utf-8")
    read = html_reader.read_html(path)
    assert read.text.split("\n")[:3] == ["标题 一", "正文第一行", "正文第二行<甲>"]
    assert read.tables[0].rows == (
        ("序号", "重点任务", "责任单位", "责任单位"),
        ("1", "任务甲", "民政部", "公安部"),
        ("1", "任务乙", "财政部", "公安部"),
    )


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "空.html"
    path.write_text("<html><head><title>x</title></head><body><script>1</script></body></html>", "utf-8")
    with pytest.raises(ParseError):
        html_reader.read_html(path)


# --------------------------------------------------------------------------- pdf


def test_pdf_merged_and_empty_cells_reach_the_table_block(tmp_path: Path) -> None:
    rows: list[list[str | None]] = [
        ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
        ["1", "任务甲", "民政部", "", "2030年"],
        ["2", "任务乙", tf.UP, "公安部", tf.UP],
        ["3", "合并两格", None, "财政部", ""],
    ]
    path = tmp_path / "表.pdf"
    path.write_bytes(tf.pdf_bytes([(["标题"], rows, ["落款"])]))
    read = pdf_reader.read_pdf(path)
    assert read.tables[0].rows == (
        ("序号", "重点任务", "牵头单位", "配合单位", "完成时限"),
        ("1", "任务甲", "民政部", "", "2030年"),
        ("2", "任务乙", "民政部", "公安部", "2030年"),
        ("3", "合并两格", "合并两格", "财政部", ""),
    )
    assert read.tables[0].where == "第 1 页的表格"
    assert read.text.split("\n")[0] == "标题" and read.text.split("\n")[-1] == "落款"


# --------------------------------------------------------------------------- size guard


def test_a_file_above_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "大.txt"
    with path.open("wb") as fh:  # sparse: no disk used
        fh.truncate(readers_module.MAX_FILE_BYTES + 1)
    called: list[Path] = []
    spec = readers_module.DocumentReaderSpec("text", (".txt",), lambda p: called.append(p) or "")
    with pytest.raises(ParseError) as info:
        read_document(path, [spec])
    assert called == []
    assert info.value.file == str(path)
    assert "50.0 MB" in str(info.value) and "文件太大" in str(info.value)
    assert os.path.getsize(path) > readers_module.MAX_FILE_BYTES


def test_a_text_above_the_character_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "多.txt"
    path.write_text("字" * 101, encoding="utf-8")
    monkeypatch.setattr(readers_module, "MAX_TEXT_CHARS", 100)
    spec = readers_module.DocumentReaderSpec("text", (".txt",), lambda p: p.read_text(encoding="utf-8"))
    with pytest.raises(ParseError) as info:
        read_document(path, [spec])
    assert "101 个字符" in str(info.value) and "100 个字符" in str(info.value)
    path.write_text("字" * 100, encoding="utf-8")
    assert read_document(path, [spec]).text == "字" * 100


def test_html_with_thousands_of_unclosed_inline_tags(tmp_path: Path) -> None:
    path = tmp_path / "乱.html"
    path.write_text(
        "<html><body>" + "<font>" * 5000 + "<p>一、任务。（民政部负责）</p></body></html>", "utf-8"
    )
    assert "一、任务。（民政部负责）" in html_reader.read_html(path).text.split("\n")
