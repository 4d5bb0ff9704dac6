"""Pick the document reader for a file by its suffix and read the file into text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from duban.errors import ParseError, PluginError
from duban.hookspecs import DocumentReaderSpec, ReadDocument

__all__ = ["MAX_FILE_BYTES", "MAX_TEXT_CHARS", "read_document", "reader_for"]

#: Files larger than this are refused before any reader opens them (docs/import.md “能读哪些文件”):
#: a 任务分工 is a few hundred kilobytes; a 50 MB text would take minutes and gigabytes to parse.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: The text a reader returns is refused above this many characters (a small file can unpack to a lot).
MAX_TEXT_CHARS = 5_000_000


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def reader_for(path: Path, readers: Iterable[DocumentReaderSpec]) -> DocumentReaderSpec:
    """The first reader (in the order given) that claims ``path``'s suffix; ParseError if none does."""
    readers = list(readers)
    suffix = path.suffix.lower()
    for spec in readers:
        if suffix in {s.lower() if s.startswith(".") else "." + s.lower() for s in spec.suffixes}:
            return spec
    known = sorted({s if s.startswith(".") else "." + s for spec in readers for s in spec.suffixes})
    raise ParseError(
        f"不认识的文件类型“{suffix or '（无后缀）'}”",
        file=str(path),
        expected="可读的文件类型：" + ("、".join(known) if known else "（没有安装文档读取插件）"),
    )


def read_document(path: str | Path, readers: Iterable[DocumentReaderSpec]) -> ReadDocument:
    """Read a policy document into text and tables with the reader plugin for its suffix.

    A reader returning plain text gets no tables.

    :raises ParseError: unknown suffix, missing or unreadable file, a file above :data:`MAX_FILE_BYTES` or a
        text above :data:`MAX_TEXT_CHARS`, or whatever the reader cannot read.
    :raises PluginError: the reader failed in a way it did not report as a ParseError (a plugin bug).
    """
    path = Path(path)
    spec = reader_for(path, readers)
    if not path.is_file():
        raise ParseError("文件不存在或不是普通文件", file=str(path), expected="一个可读的文件")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(
            f"文件太大：{_megabytes(size)}，超过导入上限 {_megabytes(MAX_FILE_BYTES)}",
            file=str(path),
            expected=f"不超过 {_megabytes(MAX_FILE_BYTES)} 的文件（只导入任务分工部分，或拆成几个文件）",
        )
    try:
        read = spec.read(path)
    except ParseError:
        raise
    except OSError as exc:
        raise ParseError(f"无法读取文件：{exc.strerror or exc}", file=str(path)) from exc
    except Exception as exc:  # a reader plugin's bug: name the plugin, keep the cause
        raise PluginError(
            f"文档读取插件“{spec.name}”读取 {path} 时出错：{type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(read, str):
        read = ReadDocument(read)
    if not isinstance(read, ReadDocument):
        raise PluginError(
            f"文档读取插件“{spec.name}”读取 {path} 返回了 {type(read).__name__}：应为文本或 ReadDocument"
        )
    if len(read.text) > MAX_TEXT_CHARS:
        raise ParseError(
            f"文件读出的文字太多：{len(read.text):,} 个字符，超过导入上限 {MAX_TEXT_CHARS:,} 个字符",
            file=str(path),
            expected=f"不超过 {MAX_TEXT_CHARS:,} 个字符的文件（只导入任务分工部分，或拆成几个文件）",
        )
    return read
