"""Bytes → text for plain-text policy documents: a BOM, else UTF-8, else GB18030 (a superset of GBK)."""

from __future__ import annotations

import codecs

from duban.errors import ParseError

__all__ = ["EXPECTED_ENCODINGS", "decode_bytes"]

EXPECTED_ENCODINGS = "UTF-8（可带 BOM）、UTF-16（带 BOM）或 GB18030/GBK 编码的文本"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    return controls > max(2, len(sample) // 100)


def decode_bytes(data: bytes, *, file: str = "<bytes>") -> str:
    """Decode a text document. Line ends become ``\\n``; a BOM is dropped.

    Raises :class:`ParseError` naming ``file``, the line of the first undecodable byte and the encodings
    that were tried.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(
                    f"文件以 {encoding} 的 BOM 开头，但内容不是 {encoding} 编码",
                    file=file,
                    line=_line_of(data, exc.start + len(bom)),
                    expected=EXPECTED_ENCODINGS,
                ) from exc
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                # The encoding that read further is the one the file was meant to be in: name its line.
                offset = max(utf8_error.start, exc.start)
                raise ParseError(
                    "无法识别文件编码：既不是 UTF-8，也不是 GB18030/GBK",
                    file=file,
                    line=_line_of(data, offset),
                    expected=EXPECTED_ENCODINGS,
                ) from exc
    if _looks_binary(text):
        raise ParseError("文件不是文本文件（含有二进制内容）", file=file, line=1, expected=EXPECTED_ENCODINGS)
    return text.replace("\r\n", "\n").replace("\r", "\n")
