"""Split a message into parts that fit a channel's limit in UTF-8 bytes (WeCom robots: 2048 bytes).

Parts are cut at line ends; only a line longer than the limit is cut inside, and then between
characters, never inside a character's UTF-8 sequence.
"""

from __future__ import annotations


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut one over-long line between characters into pieces of at most ``limit`` bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = utf8_len(char)
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def split_utf8(text: str, limit: int) -> list[str]:
    """Pieces of ``text``, each at most ``limit`` UTF-8 bytes, joined by newlines they reproduce ``text``
    (when no line had to be cut)."""
    if limit < 4:
        raise ValueError("a byte limit below 4 cannot hold every UTF-8 character")
    if utf8_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf8_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        if utf8_len(line) <= limit:
            current = line
        else:
            *full, current = _cut_line(line, limit)
            parts.extend(full)
    if current:
        parts.append(current)
    return parts


def split_message(title: str, body: str, limit: int | None) -> list[str]:
    """The texts to post to a chat channel: the title on the first line of each part, numbered
    "（1/3）" when the message needs several parts, each part within ``limit`` bytes."""
    whole = f"{title}\n{body}" if title else body
    if limit is None or utf8_len(whole) <= limit:
        return [whole]
    # reserve room for the longest header this split can need ("title（99/99）\n")
    for digits in range(1, 6):
        header_room = utf8_len(f"{title}（{'9' * digits}/{'9' * digits}）\n")
        room = limit - header_room
        if room < 4:
            raise ValueError(f"标题过长，无法在 {limit} 字节内分段发送")
        parts = split_utf8(body, room)
        if len(str(len(parts))) <= digits:
            break
    n = len(parts)
    return [f"{title}（{i}/{n}）\n{part}" for i, part in enumerate(parts, start=1)]
