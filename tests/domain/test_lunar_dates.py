from datetime import date

import holidays
import pytest

from duban.domain.lunar_dates import FESTIVAL_NAMES, canonical_festival_name, festival_date, festival_dates


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2020, date(2020, 1, 25)),
        (2021, date(2021, 2, 12)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
    ],
)
def test_spring_festival(year, expected):
    assert festival_date("春节", year) == expected
    assert festival_date("除夕", year) == expected.replace(day=expected.day - 1)


@pytest.mark.parametrize(("year", "expected"), [(2025, date(2025, 5, 11)), (2026, date(2026, 5, 10))])
def test_mothers_day_is_the_second_sunday_of_may(year, expected):
    assert festival_date("母亲节", year) == expected


def test_every_festival_of_2025():
    assert festival_dates(2025) == {
        "元旦": date(2025, 1, 1),
        "除夕": date(2025, 1, 28),
        "春节": date(2025, 1, 29),
        "元宵节": date(2025, 2, 12),
        "三八妇女节": date(2025, 3, 8),
        "清明节": date(2025, 4, 4),
        "劳动节": date(2025, 5, 1),
        "全国助残日": date(2025, 5, 18),
        "母亲节": date(2025, 5, 11),
        "六一儿童节": date(2025, 6, 1),
        "父亲节": date(2025, 6, 15),
        "端午节": date(2025, 5, 31),
        "中秋节": date(2025, 10, 6),
        "国庆节": date(2025, 10, 1),
        "重阳节": date(2025, 10, 29),
        "国际残疾人日": date(2025, 12, 3),
    }
    assert tuple(festival_dates(2025)) == FESTIVAL_NAMES


def test_aliases_and_unknown_names():
    assert canonical_festival_name("妇女节") == "三八妇女节"
    assert canonical_festival_name(" 儿童节 ") == "六一儿童节"
    assert canonical_festival_name("老年节") == "重阳节"
    assert canonical_festival_name("圣诞节") is None
    with pytest.raises(KeyError):
        festival_date("圣诞节", 2025)


@pytest.mark.parametrize("year", range(2008, 2041))
def test_lunar_festivals_agree_with_the_holidays_library(year):
    by_name: dict[str, list[date]] = {}
    china = holidays.China(years=year, language="zh_CN", observed=False)
    for day in china:
        for name in china.get_list(day):  # 中秋节 and 国庆节 share a day in some years
            by_name.setdefault(name, []).append(day)
    assert festival_date("春节", year) == min(by_name["春节"])
    assert festival_date("清明节", year) == by_name["清明节"][0]
    assert festival_date("端午节", year) == by_name["端午节"][0]
    assert festival_date("中秋节", year) == by_name["中秋节"][0]
