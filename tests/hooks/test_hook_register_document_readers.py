"""duban_register_document_readers: a reader for a new suffix is what ``duban import`` reads it with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hooks.conftest import JIAOYU, Site, make_world

#: An OFD-like container for the test: the text, UTF-16 encoded, after a magic line.
OFD_READER = """
from pathlib import Path

from duban.plugin import DocumentReaderSpec, ParseError, hookimpl

MAGIC = "OFD-TEST\\n".encode("utf-16")


def read(path: Path) -> str:
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ParseError("不是 OFD 文件", file=str(path), line=1, expected="OFD-TEST 文件头")
    return data[len(MAGIC):].decode("utf-16")


@hookimpl
def duban_register_document_readers():
    return [DocumentReaderSpec(name="ofd", suffixes=(".ofd",), read=read)]
"""

DOCUMENT = """教基〔2030〕2号

教育部
关于开展农村留守妇女子女关爱服务的通知

一、建立农村留守妇女子女关爱台账。（教育部负责）

教育部
2030年3月8日
"""


def write_ofd(path: Path, text: str) -> Path:
    path.write_bytes("OFD-TEST\n".encode("utf-16") + text.encode("utf-16"))
    return path


def test_hook_register_document_readers(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("reader_ofd", OFD_READER)
    world = make_world(tmp_path)
    document = write_ofd(tmp_path / "通知.ofd", DOCUMENT)

    code, out, err = world.run("import", str(document), "--dry-run", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["policy"]["doc_number"] == "教基〔2030〕2号"
    assert data["tasks"][0]["responsibilities"][0]["agency"] == "jiaoyu"

    broken = tmp_path / "损坏.ofd"
    broken.write_bytes(b"not an ofd file")
    code, _out, err = world.run("import", str(broken), "--dry-run")
    assert code == 4 and "不是 OFD 文件" in err and "损坏.ofd:1" in err


@pytest.mark.departments
def test_without_the_plugin_the_suffix_is_refused(tmp_path: Path) -> None:
    world = make_world(tmp_path, agency="minzheng")
    document = write_ofd(tmp_path / "通知.ofd", DOCUMENT)
    code, _out, err = world.run("import", str(document), "--dry-run")
    assert code == 4 and "不认识的文件类型“.ofd”" in err
