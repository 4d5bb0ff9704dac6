"""Pick the document reader for a file by its suffix and read the file into text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from duban.errors import ParseError, PluginError
from duban.hookspecs import DocumentReaderSpec, ReadDocument

__all__ = ["read_document", "reader_for"]


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

    :raises ParseError: unknown suffix, missing or unreadable file, or whatever the reader cannot read.
    :raises PluginError: the reader failed in a way it did not report as a ParseError (a plugin bug).
    """
    path = Path(path)
    spec = reader_for(path, readers)
    if not path.is_file():
        raise ParseError("文件不存在或不是普通文件", file=str(path), expected="一个可读的文件")
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
        return ReadDocument(read)
    if not isinstance(read, ReadDocument):
        raise PluginError(
            f"文档读取插件“{spec.name}”读取 {path} 返回了 {type(read).__name__}：应为文本或 ReadDocument"
        )
    return read
