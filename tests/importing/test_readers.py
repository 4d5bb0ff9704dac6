"""Reader plugins: GB18030 and UTF-8-with-BOM text, .docx written with python-docx, and a .pdf with a CJK
text layer written by hand here (no PDF writer with CJK support is installed; see make_pdf)."""

from __future__ import annotations

import codecs
from pathlib import Path

import docx
import pluggy
import pytest

from duban.domain.agencies import AgencyRegistry
from duban.errors import ParseError, PluginError
from duban.hookspecs import PROJECT_NAME, DocumentReaderSpec, DubanHookSpecs
from duban.importing import parse_policy, read_document, reader_for
from duban.plugins.readers import docx_reader, pdf_reader
from duban.plugins.readers import text as text_reader

from .conftest import SEEDS

SEED_2025 = SEEDS / "003_206813141252fb57.txt"
SEED_2019 = SEEDS / "001_007993ffda9a68ac.txt"


@pytest.fixture
def readers() -> list[DocumentReaderSpec]:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(DubanHookSpecs)
    for module in (text_reader, docx_reader, pdf_reader):
        pm.register(module)
    return [spec for specs in pm.hook.duban_register_document_readers() for spec in specs]


def summary(
    text: str, registry: AgencyRegistry
) -> list[tuple[str | None, str, frozenset[tuple[str | None, str]]]]:
    policy = parse_policy(text, registry)
    return [
        (t.section, t.number, frozenset((r.agency, r.role) for r in t.responsibilities)) for t in policy.tasks
    ]


# --------------------------------------------------------------------------- text


def test_gb18030_file(tmp_path: Path, readers: list[DocumentReaderSpec], registry: AgencyRegistry) -> None:
    original = SEED_2019.read_text(encoding="utf-8")
    path = tmp_path / "gbk.txt"
    path.write_bytes(original.encode("gb18030"))
    text = read_document(path, readers).text
    assert text == original
    assert len(parse_policy(text, registry).tasks) == 23


def test_utf8_bom_and_crlf(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    original = SEED_2025.read_text(encoding="utf-8")
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + original.replace("\n", "\r\n").encode("utf-8"))
    assert read_document(path, readers).text == original


def test_undecodable_text_names_file_line_and_encodings(
    tmp_path: Path, readers: list[DocumentReaderSpec]
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes("第一行\n第二行\n".encode() + b"\x81\xff\xfe\x80\n")
    with pytest.raises(ParseError) as info:
        read_document(path, readers)
    assert info.value.file == str(path) and info.value.line == 3
    assert "GB18030" in (info.value.expected or "")


def test_binary_is_not_text(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"\x00\x01\x02abc" * 50)
    with pytest.raises(ParseError):
        read_document(path, readers)


# --------------------------------------------------------------------------- docx


def test_docx_from_a_seed(
    tmp_path: Path, readers: list[DocumentReaderSpec], registry: AgencyRegistry
) -> None:
    original = SEED_2019.read_text(encoding="utf-8")
    document = docx.Document()
    for line in original.split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "序号"
    table.rows[0].cells[1].text = "备注"
    path = tmp_path / "seed.docx"
    document.save(str(path))
    text = read_document(path, readers).text
    assert "序号 备注" in text
    assert summary(text, registry) == summary(original, registry)


def test_broken_docx(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError) as info:
        read_document(path, readers)
    assert info.value.file == str(path) and ".docx" in (info.value.expected or "")


# --------------------------------------------------------------------------- pdf


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose text layer is ``pages`` (lines of BMP text, CJK included).

    The font is a non-embedded Type0 font with Identity-H encoding (code = Unicode code point) and a
    ToUnicode CMap mapping every code to itself: a viewer may draw the wrong glyphs, but the text layer —
    what pypdf extracts and what the parser reads — is exact. reportlab/fpdf are not installed.
    """
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        b"1 beginbfrange <0000> <FFFF> <0000> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    n_pages = len(pages)
    first_page = 6  # objects 1-5: catalog, pages, font, descendant font, cmap
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(n_pages)), n_pages),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 10 Tf", "12 TL", "36 800 Td"]
        ops += ["<" + "".join(f"{ord(ch):04X}" for ch in line) + "> Tj T*" for line in lines]
        stream = "\n".join([*ops, "ET"]).encode("ascii")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (first_page + 2 * i + 1)
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


def test_pdf_with_a_text_layer(
    tmp_path: Path, readers: list[DocumentReaderSpec], registry: AgencyRegistry
) -> None:
    lines = [line for line in SEED_2025.read_text(encoding="utf-8").split("\n") if line.strip()]
    half = len(lines) // 2  # a page break in the middle of the task list
    path = tmp_path / "seed.pdf"
    path.write_bytes(make_pdf([lines[:half], lines[half:]]))
    text = read_document(path, readers).text
    assert "民政部、中国残联按照职责分工负责" in text
    policy = parse_policy(text, registry)
    assert [(t.section, t.number) for t in policy.tasks] == [("03", n) for n in "一二三四五六"]
    assert summary(text, registry) == summary(SEED_2025.read_text(encoding="utf-8"), registry)
    assert policy.issued is not None and policy.issued.isoformat() == "2025-03-27"


def test_pdf_without_text_layer(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[]]))
    with pytest.raises(ParseError) as info:
        read_document(path, readers)
    assert "OCR" in (info.value.expected or "")


def test_not_a_pdf(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"hello")
    with pytest.raises(ParseError):
        read_document(path, readers)


# --------------------------------------------------------------------------- choosing a reader


def test_unknown_suffix(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    path = tmp_path / "policy.wps"
    path.write_bytes(b"x")
    with pytest.raises(ParseError) as info:
        read_document(path, readers)
    assert info.value.file == str(path)
    assert ".docx" in (info.value.expected or "") and ".pdf" in (info.value.expected or "")


def test_suffix_is_case_insensitive(readers: list[DocumentReaderSpec]) -> None:
    assert reader_for(Path("A.PDF"), readers).name == "pdf"
    assert reader_for(Path("a.Docx"), readers).name == "docx"


def test_missing_file(tmp_path: Path, readers: list[DocumentReaderSpec]) -> None:
    with pytest.raises(ParseError):
        read_document(tmp_path / "nope.txt", readers)


def test_a_province_can_add_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text("# 标题\n", encoding="utf-8")
    markdown = DocumentReaderSpec("markdown", (".md",), lambda p: p.read_text(encoding="utf-8"))
    assert read_document(path, [markdown]).text == "# 标题\n"


def test_a_reader_bug_is_a_plugin_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text("x", encoding="utf-8")

    def broken(_path: Path) -> str:
        raise RuntimeError("boom")

    with pytest.raises(PluginError, match="markdown"):
        read_document(path, [DocumentReaderSpec("markdown", (".md",), broken)])
