"""Dates as Chinese documents write them: 2019年9月20日, 2020 年 9 月 21日, 二〇一九年九月二十日, 2020-04-15."""

from __future__ import annotations

import datetime as dt
import re

from duban.importing.numbering import cn_to_int

__all__ = ["DATE_PATTERN", "parse_date"]

_CN = "〇零一二三四五六七八九十"
DATE_PATTERN = re.compile(
    rf"(?P<y>\d{{4}}|[{_CN}]{{4}})\s*(?:年|[-./])\s*(?P<m>\d{{1,2}}|[{_CN}]{{1,3}})\s*(?:月|[-./])\s*"
    rf"(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})\s*日?"
)
# 2020510日: the year and day are there, the 年 and 月 are not.
_RUN_TOGETHER = re.compile(r"(?<!\d)(?P<run>\d{5,8})\s*日")


def _cn_year(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    digits = "〇一二三四五六七八九"
    text = text.replace("零", "〇")
    if all(ch in digits for ch in text):
        return int("".join(str(digits.index(ch)) for ch in text))
    return None


def _cn_small(text: str) -> int | None:
    return int(text) if text.isdigit() else cn_to_int(text)


def _make(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None or m is None or d is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str) -> tuple[dt.date | None, bool]:
    """The first date in ``text`` and whether it had to be guessed (digits run together).

    ``parse_date("2020年9月21日")`` → (2020-09-21, False); ``parse_date("2020510日")`` → (2020-05-10, True).
    """
    m = DATE_PATTERN.search(text)
    if m is not None:
        day = _make(_cn_year(m.group("y")), _cn_small(m.group("m")), _cn_small(m.group("d")))
        if day is not None:
            return day, False
    m2 = _RUN_TOGETHER.search(text)
    if m2 is not None:
        run = m2.group("run")
        year, rest = int(run[:4]), run[4:]
        found = {
            day
            for split in range(1, len(rest))
            if (day := _make(year, int(rest[:split]), int(rest[split:]))) is not None
        }
        if len(found) == 1:
            return found.pop(), True
    return None, False
