from datetime import date, timedelta

import pytest

from duban.domain.cn_calendar_source import (
    apply_calendar_files,
    build_working_calendar,
    library_calendar_data,
    parse_calendar_file,
    parse_calendar_text,
)
from duban.domain.workcal import WorkingCalendar
from duban.errors import ParseError

# 国务院办公厅关于2026年部分节假日安排的通知：the make-up working days (上班).
OFFICIAL_2026_MAKEUP_DAYS = {
    date(2026, 1, 4),  # 元旦, Sunday
    date(2026, 2, 14),  # 春节, Saturday
    date(2026, 2, 28),  # 春节, Saturday
    date(2026, 5, 9),  # 劳动节, Saturday
    date(2026, 9, 20),  # 国庆节, Sunday
    date(2026, 10, 10),  # 国庆节, Saturday
}
# … and the days off (放假), first and last day of each block.
OFFICIAL_2026_DAYS_OFF = [
    ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
]

CALENDAR_2027 = """\
year = 2027
source = "国办发明电〔2026〕X号"

[[holiday]]
name = "元旦"
from = 2027-01-01

[[holiday]]
name = "春节"
from = 2027-02-05
to = 2027-02-13

[[workday]]
name = "春节调休"
date = 2027-02-14
"""


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_library_make_up_days_of_2026_match_the_official_schedule():
    exceptions, covered = library_calendar_data(2026, 2026)
    assert covered == {2026: True}
    makeup = {day for day, (working, _) in exceptions.items() if working}
    assert makeup == OFFICIAL_2026_MAKEUP_DAYS
    cal = WorkingCalendar(exceptions, covered)
    for day in OFFICIAL_2026_MAKEUP_DAYS:
        assert day.weekday() >= 5 and cal.is_working_day(day)
        assert cal.day_info(day).kind == "makeup"
    assert cal.day_info(date(2026, 2, 14)).name == "春节调休上班"
    assert cal.day_info(date(2026, 9, 20)).name == "国庆节调休上班"


@pytest.mark.parametrize(("name", "first", "last"), OFFICIAL_2026_DAYS_OFF)
def test_library_days_off_of_2026_match_the_official_schedule(name, first, last):
    cal = build_working_calendar(2026, 2026)
    assert not any(cal.is_working_day(day) for day in days(first, last))
    assert cal.is_working_day(cal.previous_working_day(first - timedelta(days=1)))
    assert cal.next_working_day(last) > last


def test_library_covers_2001_to_2026_and_not_2027():
    _, covered = library_calendar_data(1999, 2031)
    assert [year for year, known in covered.items() if known] == list(range(2001, 2027))


def test_uncovered_year_has_statutory_holidays_only_and_warns():
    cal = build_working_calendar(2027, 2027)
    assert cal.uncovered_years(2027, 2027) == [2027]
    assert cal.warnings_for(2027)
    assert not cal.is_working_day(date(2027, 2, 8))  # 春节 (正月初三), a Monday
    assert cal.is_working_day(date(2027, 2, 9))  # the library's estimated 补假 is not used
    assert not any(working for working, _ in cal.exceptions.values())


@pytest.mark.parametrize("year", [2031, 2150])
def test_fallback_year_is_monday_to_friday_with_a_warning(year):
    cal = build_working_calendar(year, year)
    assert cal.warnings_for(year)
    weekday, saturday = date(year, 3, 3), date(year, 3, 1)
    while weekday.weekday() >= 5:
        weekday += timedelta(days=1)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    assert cal.is_working_day(weekday)
    assert not cal.is_working_day(saturday)
    assert cal.add_working_days(date(year, 3, 1), 30) > date(year, 3, 1)


def test_parse_and_apply_a_calendar_file(tmp_path):
    path = tmp_path / "2027年放假安排.toml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    schedule = parse_calendar_file(path)
    assert schedule.year == 2027 and schedule.source == "国办发明电〔2026〕X号"
    assert [block.name for block in schedule.holidays] == ["元旦", "春节"]
    assert schedule.holidays[0].last == date(2027, 1, 1)

    exceptions, covered = library_calendar_data(2026, 2027)
    cal = WorkingCalendar(*apply_calendar_files(exceptions, covered, [schedule]))
    assert cal.uncovered_years(2026, 2027) == []
    assert cal.day_info(date(2027, 2, 14)).kind == "makeup"
    assert cal.day_info(date(2027, 2, 13)).name == "春节"
    assert cal.is_working_day(date(2027, 4, 5))  # the file replaces the library's 2027 entirely
    assert cal.is_working_day(date(2026, 2, 14))  # 2026 untouched


def test_a_workday_name_is_optional_and_dates_may_be_strings():
    schedule = parse_calendar_text(
        'year = 2027\n[[holiday]]\nname = "春节"\nfrom = "2027-02-05"\n[[workday]]\ndate = "2027-02-14"\n'
    )
    assert schedule.workdays[0].name == "调休上班"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[holiday]]\nname = "春节"\nfrom = 2027-02-05\n', None, "year"),
        ('year = 2027\nmonth = 2\n[[holiday]]\nname = "春节"\nfrom = 2027-02-05\n', 2, "month"),
        ('year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2027-02-05\nuntil = 2027-02-13\n', 5, "until"),
        ('year = 2027\n[[holiday]]\nname = "春节"\n', 2, "from"),
        ('year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2027-02-30x\n', 4, "TOML"),
        ('year = 2027\n[[holiday]]\nname = "春节"\nfrom = "2027-02-30"\n', 4, "from"),
        ('year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2026-02-05\n', 4, "from"),
        ('year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2027-02-13\nto = 2027-02-05\n', 5, "to"),
        ("year = 2027\n[[holiday]]\nfrom = 2027-02-05\n", 2, "name"),
        ("year = 2027\n", None, "[[holiday]]"),
        (
            'year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2027-02-05\n\n[[workday]]\ndate = 2027-02-15\n',
            7,
            "周六",
        ),
        (
            'year = 2027\n[[holiday]]\nname = "春节"\nfrom = 2027-02-05\nto = 2027-02-13\n'
            "[[workday]]\ndate = 2027-02-06\n",
            7,
            "放假",
        ),
    ],
)
def test_bad_calendar_files_name_the_key_and_line(text, line, words):
    with pytest.raises(ParseError) as caught:
        parse_calendar_text(text, file="2027.toml")
    error = caught.value
    assert error.file == "2027.toml"
    assert error.line == line
    assert words in str(error)


def test_missing_calendar_file(tmp_path):
    with pytest.raises(ParseError) as caught:
        parse_calendar_file(tmp_path / "没有.toml")
    assert caught.value.file.endswith("没有.toml")
