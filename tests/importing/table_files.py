"""One 任务分工 table written as .docx, .xlsx, .html and .pdf, with cells merged across and down.

``ROWS`` is the table as a person sees it; ``None`` is a cell covered by the cell on its left (merged
across), ``UP`` a cell covered by the cell above (merged down). ``EXPECTED`` is what every reader and the
parser must make of it. Used by tests/importing/test_readers_tables.py and tests/cli/test_cli_import_tables.py.
"""

from __future__ import annotations

from pathlib import Path

import docx
from openpyxl import Workbook

UP = "^"
BEFORE = ["民发〔2030〕5号", "民政部 财政部", "关于印发农村留守妇女关爱服务重点任务分工的通知"]
AFTER = ["民政部 财政部", "2030年3月8日"]
ROWS: list[list[str | None]] = [
    ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
    ["一、加强关爱服务", None, None, None, None],
    ["1", "建立农村留守妇女关爱服务台账，至少每半年更新一次", "民政部", "公安部、全国妇联", "2030年6月底前"],
    ["2", "开展农村留守妇女技能培训", "人力资源社会保障部", "农业农村部", "2030年底前"],
    ["3", "支持农村留守妇女就业创业", UP, "", "长期坚持"],
    ["二、完善保障措施", None, None, None, None],
    ["4", "落实困难农村留守妇女救助政策", "民政部", "财政部", "2031年"],
]
#: (section, number, text, [(agency, role)], schedule rules)
EXPECTED = [
    (
        "一",
        "1",
        "建立农村留守妇女关爱服务台账，至少每半年更新一次",
        [("minzheng", "lead"), ("gongan", "support"), ("fulian", "support")],
    ),
    ("一", "2", "开展农村留守妇女技能培训", [("renshe", "lead"), ("nongye", "support")]),
    ("一", "3", "支持农村留守妇女就业创业", [("renshe", "lead")]),
    ("二", "4", "落实困难农村留守妇女救助政策", [("minzheng", "lead"), ("caizheng", "support")]),
]


def spread() -> list[list[str]]:
    """The table with every merged cell's text in every cell it covers (what a reader hands over)."""
    out: list[list[str]] = []
    for r, row in enumerate(ROWS):
        cells: list[str] = []
        for c, cell in enumerate(row):
            if cell is None:
                cells.append(cells[-1])
            elif cell == UP:
                cells.append(out[r - 1][c])
            else:
                cells.append(cell)
        out.append(cells)
    return out


def write_docx(path: Path) -> Path:
    document = docx.Document()
    for line in BEFORE:
        document.add_paragraph(line)
    table = document.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    for r, row in enumerate(ROWS):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if cell == UP:
                table.cell(r - 1, c).merge(table.cell(r, c))
                continue
            span = c
            while span + 1 < len(row) and row[span + 1] is None:
                span += 1
            target = table.cell(r, c) if span == c else table.cell(r, c).merge(table.cell(r, span))
            target.text = cell
    for line in AFTER:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def write_xlsx(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "任务分工"
    offset = len(BEFORE)
    for r, line in enumerate(BEFORE, 1):
        sheet.cell(row=r, column=1, value=line)
    for r, row in enumerate(ROWS, offset + 1):
        for c, cell in enumerate(row, 1):
            if cell is None or cell == UP:
                continue
            sheet.cell(row=r, column=c, value=int(cell) if cell.isdigit() else cell)
            span = c
            while span < len(row) and row[span] is None:
                span += 1
            down = r
            while down - offset < len(ROWS) and ROWS[down - offset][c - 1] == UP:
                down += 1
            if span > c or down > r:
                sheet.merge_cells(start_row=r, start_column=c, end_row=down, end_column=span)
    for r, line in enumerate(AFTER, offset + len(ROWS) + 1):
        sheet.cell(row=r, column=1, value=line)
    workbook.save(str(path))
    return path


def html(encoding: str = "utf-8") -> str:
    rows = []
    for r, row in enumerate(ROWS):
        cells = []
        for c, cell in enumerate(row):
            if cell is None or cell == UP:
                continue
            span = c
            while span + 1 < len(row) and row[span + 1] is None:
                span += 1
            down = r
            while down + 1 < len(ROWS) and ROWS[down + 1][c] == UP:
                down += 1
            attrs = (f' colspan="{span - c + 1}"' if span > c else "") + (
                f" rowspan={down - r + 1}" if down > r else ""
            )
            tag = "th" if r == 0 else "td"
            cells.append(f"<{tag}{attrs}><p>{cell}</p></{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(f"<p>{line}</p>\n" for line in BEFORE)
    tail = "".join(f"<div>{line}</div>\n" for line in AFTER)
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
        "<title>网站标题_不是正文</title><style>p {color: red}</style><script>var x = '一、假的（民政部负责）';"
        "</script></head><body>\n"
        f"{body}<table border=1><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
        f'{tail}<div style="display:none">隐藏的文字</div></body></html>'
    )


def write_html(path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(html(encoding).encode(encoding))
    return path


# --------------------------------------------------------------------------- PDF by hand

_CMAP = (
    b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
    b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
    b"1 beginbfrange <0000> <FFFF> <0000> endbfrange\n"
    b"endcmap CMapName currentdict /CMap defineresource pop end end"
)
WIDTHS = [30, 200, 90, 90, 80]


def _text(x: float, y: float, text: str, size: int) -> str:
    return f"BT /F1 {size} Tf {x:.1f} {y:.1f} Td <" + "".join(f"{ord(ch):04X}" for ch in text) + "> Tj ET"


def _table(top: float, rows: list[list[str | None]], height: float = 20, left: float = 40) -> str:
    """Ruled cells: a cell covered from the left has no line on its left, one covered from above none on top."""
    xs = [left]
    for width in WIDTHS:
        xs.append(xs[-1] + width)
    ys = [top - height * r for r in range(len(rows) + 1)]
    ops = [f"0.5 w {xs[0]} {ys[-1]} {xs[-1] - xs[0]} {ys[0] - ys[-1]} re S"]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if c > 0 and cell is not None:
                ops.append(f"{xs[c]} {ys[r]} m {xs[c]} {ys[r + 1]} l S")
            if r > 0 and cell != UP:
                ops.append(f"{xs[c]} {ys[r]} m {xs[c + 1]} {ys[r]} l S")
            if cell not in (None, UP, ""):
                ops.append(_text(xs[c] + 2, ys[r] - height + 6, cell, 8))
    return "\n".join(ops)


def pdf_bytes(pages: list[tuple[list[str], list[list[str | None]], list[str]]]) -> bytes:
    """Pages of (lines above, table rows, lines below) with a CJK text layer.

    The font is a non-embedded Type0 font (Identity-H, code = Unicode code point, ToUnicode mapping each
    code to itself): a viewer may draw other glyphs, but the text layer is exact; the table is drawn with
    ruling lines, which is what pdfplumber's table finder looks for.
    """
    contents = []
    for above, rows, below in pages:
        ops = [_text(40, 800 - 16 * i, line, 12) for i, line in enumerate(above)]
        top = 800 - 16 * len(above) - 10
        ops.append(_table(top, rows))
        bottom = top - 20 * len(rows) - 20
        ops += [_text(40, bottom - 16 * i, line, 12) for i, line in enumerate(below)]
        contents.append("\n".join(ops).encode("ascii"))
    first = 7
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (first + 2 * i) for i in range(len(pages))), len(pages)),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /FontDescriptor 6 0 R "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(_CMAP), _CMAP),
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 4 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 >>",
    ]
    for i, stream in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (first + 2 * i + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_pdf(path: Path) -> Path:
    """The table over two pages, the header repeated on the second."""
    path.write_bytes(pdf_bytes([(BEFORE, ROWS[:5], []), ([], [ROWS[0], *ROWS[5:]], AFTER)]))
    return path
