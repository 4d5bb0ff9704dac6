"""Traditional characters → simplified, for documents copied from a traditional-character page.

gov.cn and many provincial sites serve every page through a traditional-character (big5) gateway too; a
coordinator who copies from there hands duban 國務院辦公廳 and 農業部, which no agency's names match. Such a
text is converted to simplified characters (OpenCC's ``t2s``, character for character, so line numbers stay
right) and the parse says so in a warning. A simplified text is left alone: it is converted only when a
noticeable share of its Chinese characters are traditional-only.
"""

from __future__ import annotations

from functools import cache

__all__ = ["TRADITIONAL_SHARE", "to_simplified"]

#: converted when at least this share of the Chinese characters change under t2s
TRADITIONAL_SHARE = 0.02


@cache
def _converter() -> object:
    import opencc  # imported on first use: a read command that parses nothing does not pay for it

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> tuple[str, bool]:
    """``(text in simplified characters, whether anything was converted)``.

    Only a text with at least :data:`TRADITIONAL_SHARE` traditional characters is converted, and only where
    the conversion keeps every line's length (so positions and line numbers stay valid).
    """
    chinese = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if chinese == 0:
        return text, False
    converted: str = _converter().convert(text)  # type: ignore[attr-defined]
    if len(converted) != len(text):
        # a phrase conversion changed a length: convert line by line, keeping lines whose length changed
        lines = [
            (c if len(c) == len(o) else o)
            for o, c in zip(text.split("\n"), converted.split("\n"), strict=False)
        ]
        if len(lines) != text.count("\n") + 1:
            return text, False
        converted = "\n".join(lines)
    changed = sum(1 for a, b in zip(text, converted, strict=False) if a != b)
    if changed / chinese < TRADITIONAL_SHARE:
        return text, False
    return converted, True
