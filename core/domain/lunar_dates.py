"""Festival dates a schedule can hang on (春节, 母亲节 …), for a Gregorian year.

Lunar festivals come from lunar_python (its 春节 dates are correct, see PITFALLS.md). These are the
festival days themselves, not the days off: whether a day is worked is the working calendar's business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from lunar_python import Lunar, Solar


def _lunar(month: int, day: int) -> Callable[[int], date]:
    def anchor(year: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    return anchor


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _spring_festival_eve(year: int) -> date:
    return _lunar(1, 1)(year) - timedelta(days=1)


def _qingming(year: int) -> date:
    # The jieqi table of the lunar year around mid-April holds that Gregorian year's 清明.
    solar = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _nth_sunday(month: int, n: int) -> Callable[[int], date]:
    def anchor(year: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

    return anchor


_ANCHORS: dict[str, Callable[[int], date]] = {
    "元旦": _fixed(1, 1),
    "除夕": _spring_festival_eve,
    "春节": _lunar(1, 1),
    "元宵节": _lunar(1, 15),
    "三八妇女节": _fixed(3, 8),
    "清明节": _qingming,
    "劳动节": _fixed(5, 1),
    "母亲节": _nth_sunday(5, 2),  # second Sunday of May
    "全国助残日": _nth_sunday(5, 3),
    "六一儿童节": _fixed(6, 1),
    "父亲节": _nth_sunday(6, 3),  # third Sunday of June
    "端午节": _lunar(5, 5),
    "中秋节": _lunar(8, 15),
    "国庆节": _fixed(10, 1),
    "重阳节": _lunar(9, 9),
    "国际残疾人日": _fixed(12, 3),
}

_ALIASES = {
    "新年": "元旦",
    "农历除夕": "除夕",
    "元宵": "元宵节",
    "妇女节": "三八妇女节",
    "三八节": "三八妇女节",
    "国际妇女节": "三八妇女节",
    "清明": "清明节",
    "五一": "劳动节",
    "五一劳动节": "劳动节",
    "儿童节": "六一儿童节",
    "六一": "六一儿童节",
    "端午": "端午节",
    "中秋": "中秋节",
    "国庆": "国庆节",
    "重阳": "重阳节",
    "老年节": "重阳节",
    "助残日": "全国助残日",
    "残疾人日": "国际残疾人日",
}

#: Canonical festival names, in a fixed order (roughly the order of the year).
FESTIVAL_NAMES: tuple[str, ...] = tuple(_ANCHORS)


def canonical_festival_name(name: str) -> str | None:
    """The canonical name for ``name`` or one of its aliases (妇女节 → 三八妇女节); None if unknown."""
    name = name.strip()
    if name in _ANCHORS:
        return name
    return _ALIASES.get(name)


def festival_date(name: str, year: int) -> date:
    """The date of festival ``name`` (canonical or alias) in Gregorian ``year``; KeyError if unknown."""
    canonical = canonical_festival_name(name)
    if canonical is None:
        raise KeyError(name)
    return _ANCHORS[canonical](year)


def festival_dates(year: int) -> dict[str, date]:
    """Every known festival of Gregorian ``year``, by canonical name."""
    return {name: anchor(year) for name, anchor in _ANCHORS.items()}
