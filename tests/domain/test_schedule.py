from datetime import date
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duban.domain.cn_calendar_source import build_working_calendar
from duban.domain.lunar_dates import FESTIVAL_NAMES
from duban.domain.schedule import (
    EveryMonths,
    Festival,
    Occurrence,
    Once,
    Rule,
    Yearly,
    describe,
    milestone_key,
    parse_rule,
)
from duban.domain.workcal import WorkingCalendar
from duban.errors import ParseError


@cache
def calendar() -> WorkingCalendar:
    return build_working_calendar(2019, 2032)


def occurrences(text: str, start: date, end: date) -> list[Occurrence]:
    return parse_rule(text).occurrences(start, end, calendar())


def test_once():
    assert occurrences("once 2025-06-30", date(2025, 1, 1), date(2025, 12, 31)) == [
        Occurrence("once", date(2025, 6, 30), date(2025, 6, 30))
    ]
    # 国庆节 2025: moved to the next working day
    assert occurrences("once 2025-10-01", date(2025, 1, 1), date(2025, 12, 31))[0].due == date(2025, 10, 9)
    assert occurrences("once 2025-06-30", date(2025, 7, 1), date(2025, 12, 31)) == []


def test_working_days_after_a_date():
    rule = parse_rule("5 working days after 2025-09-30")
    assert rule == parse_rule("once 2025-09-30 +5wd")
    assert rule.occurrences(date(2025, 1, 1), date(2025, 12, 31), calendar()) == [
        Occurrence("once", date(2025, 9, 30), date(2025, 10, 14))
    ]  # 10-11 is a make-up Saturday


def test_quarterly_plus_five_working_days_is_the_default_cycle():
    assert occurrences("quarterly +5wd", date(2025, 1, 1), date(2025, 12, 31)) == [
        Occurrence("2025-Q1", date(2025, 3, 31), date(2025, 4, 8)),  # 清明 4-4..4-6
        Occurrence("2025-Q2", date(2025, 6, 30), date(2025, 7, 7)),
        Occurrence("2025-Q3", date(2025, 9, 30), date(2025, 10, 14)),
        Occurrence("2025-Q4", date(2025, 12, 31), date(2026, 1, 8)),
    ]


def test_every_n_months_and_named_periods():
    assert [o.period for o in occurrences("every 6 months", date(2025, 1, 1), date(2026, 12, 31))] == [
        "2025-H1",
        "2025-H2",
        "2026-H1",
        "2026-H2",
    ]
    assert parse_rule("every 6 months") == parse_rule("half-yearly")
    assert parse_rule("every 3 months") == parse_rule("quarterly")
    monthly = occurrences("monthly", date(2025, 1, 1), date(2025, 3, 31))
    assert [(o.period, o.nominal) for o in monthly] == [
        ("2025-01", date(2025, 1, 31)),
        ("2025-02", date(2025, 2, 28)),
        ("2025-03", date(2025, 3, 31)),
    ]
    assert monthly[1].due == date(2025, 2, 28)
    assert occurrences("yearly", date(2025, 1, 1), date(2025, 12, 31)) == [
        Occurrence("2025", date(2025, 12, 31), date(2025, 12, 31))
    ]
    # 2025-05-31 is 端午节 (a Saturday): due on the next working day
    assert occurrences("every 2 months", date(2025, 5, 1), date(2025, 6, 30)) == [
        Occurrence("2025-05", date(2025, 6, 30), date(2025, 6, 30))
    ]


def test_every_n_months_from_a_date():
    found = occurrences("every 5 months from 2025-03-15", date(2025, 1, 1), date(2026, 6, 30))
    assert [(o.period, o.nominal) for o in found] == [
        ("2025-03-15", date(2025, 8, 14)),
        ("2025-08-15", date(2026, 1, 14)),
        ("2026-01-15", date(2026, 6, 14)),
    ]
    assert found[-1].due == date(2026, 6, 15)  # 6-14 is a Sunday
    quarters = occurrences("quarterly from 2025-04-01", date(2025, 1, 1), date(2025, 12, 31))
    assert [o.period for o in quarters] == ["2025-Q2", "2025-Q3", "2025-Q4"]


def test_yearly_on_a_day():
    assert occurrences("yearly 01-31", date(2025, 1, 1), date(2026, 12, 31)) == [
        Occurrence("2025", date(2025, 1, 31), date(2025, 2, 5)),  # 春节 2025
        Occurrence("2026", date(2026, 1, 31), date(2026, 2, 2)),  # Saturday
    ]
    assert [o.nominal for o in occurrences("yearly 02-29", date(2027, 1, 1), date(2028, 12, 31))] == [
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_holiday_anchored_rules():
    assert occurrences("holiday 春节 -7", date(2025, 1, 1), date(2026, 12, 31)) == [
        Occurrence("2025-春节", date(2025, 1, 22), date(2025, 1, 22)),
        Occurrence("2026-春节", date(2026, 2, 10), date(2026, 2, 10)),
    ]
    # a visit before 春节 that lands on a weekend moves earlier, not into the holiday
    assert occurrences("holiday 春节 -4", date(2025, 1, 1), date(2025, 12, 31))[0].due == date(2025, 1, 24)
    # … and a make-up Sunday is a working day
    assert occurrences("holiday 春节 -3", date(2025, 1, 1), date(2025, 12, 31))[0].due == date(2025, 1, 26)
    # after the festival: the next working day
    assert occurrences("holiday 春节", date(2026, 1, 1), date(2026, 12, 31)) == [
        Occurrence("2026-春节", date(2026, 2, 17), date(2026, 2, 24))
    ]
    assert occurrences("holiday 母亲节", date(2026, 1, 1), date(2026, 12, 31)) == [
        Occurrence("2026-母亲节", date(2026, 5, 10), date(2026, 5, 11))
    ]
    assert parse_rule("holiday 妇女节 +0") == parse_rule("holiday 三八妇女节")
    assert parse_rule("holiday 春节-7") == parse_rule("HOLIDAY  春节  －７")


def test_negative_working_day_offset_counts_backwards():
    # 2025-01-31 is in the 春节 break; two working days before it: 01-27 and the make-up Sunday 01-26
    assert occurrences("monthly -2wd", date(2025, 1, 1), date(2025, 1, 31)) == [
        Occurrence("2025-01", date(2025, 1, 31), date(2025, 1, 26))
    ]


@pytest.mark.parametrize(
    ("text", "canonical", "chinese"),
    [
        ("once 2025-6-30", "once 2025-06-30", "2025年6月30日"),
        ("every 6 months", "half-yearly", "每半年"),
        ("every 4 months", "every 4 months", "每4个月"),
        ("every 6 months from 2025-03-01", "half-yearly from 2025-03-01", "每半年（自2025年3月1日起）"),
        ("Quarterly ＋5WD", "quarterly +5wd", "每季度结束后第5个工作日"),
        ("yearly 1-31", "yearly 01-31", "每年1月31日"),
        ("holiday 春节 -7", "holiday 春节 -7", "每年春节前7天"),
        ("holiday 重阳 +3 days", "holiday 重阳节 +3", "每年重阳节后3天"),
        ("holiday 母亲节", "holiday 母亲节", "每年母亲节"),
        ("3 working days after 2025-07-01", "once 2025-07-01 +3wd", "2025年7月1日后第3个工作日"),
        ("yearly 12-31 -3wd", "yearly 12-31 -3wd", "每年12月31日前第3个工作日"),
    ],
)
def test_canonical_text_and_chinese_description(text, canonical, chinese):
    rule = parse_rule(text)
    assert str(rule) == canonical
    assert parse_rule(str(rule)) == rule
    assert describe(rule) == chinese


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "weekly",
        "every 0 months",
        "every 5 months",
        "every six months",
        "once 2025-02-30",
        "once tomorrow",
        "yearly 13-01",
        "yearly 02-30",
        "holiday 圣诞节",
        "holiday 春节 -400",
        "3 working days after 2025-07-01 +2wd",
        "quarterly +5",
        "every 121 months from 2025-01-01",
    ],
)
def test_bad_rules_raise_a_parse_error_that_is_a_value_error(text):
    with pytest.raises(ParseError) as caught:
        parse_rule(text)
    assert isinstance(caught.value, ValueError)
    assert caught.value.expected


def test_unknown_festival_lists_the_known_ones():
    with pytest.raises(ValueError, match="母亲节"):
        parse_rule("holiday 圣诞节")


def test_milestone_key_is_deterministic():
    assert milestone_key(12, 3, "2025-Q3") == "t12:r3:2025-Q3"
    assert milestone_key(12, 3, "2025-春节") == milestone_key("12", "3", "2025-春节")


# -- properties ------------------------------------------------------------------------------------------

days_in_range = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
bases = st.one_of(
    st.builds(Once, days_in_range),
    st.builds(EveryMonths, st.sampled_from([1, 2, 3, 4, 6, 12])),
    st.builds(EveryMonths, st.integers(1, 24), days_in_range),
    st.builds(Yearly, st.integers(1, 12), st.integers(1, 28)),
    st.builds(Festival, st.sampled_from(FESTIVAL_NAMES), st.integers(-60, 60)),
)
rules = st.builds(Rule, bases, st.integers(-10, 10))


@settings(deadline=None)
@given(rules, days_in_range, days_in_range)
def test_due_is_a_working_day_on_the_right_side_of_nominal(rule, a, b):
    start, end = min(a, b), max(a, b)
    cal = calendar()
    for occurrence in rule.occurrences(start, end, cal):
        assert start <= occurrence.nominal <= end
        assert cal.is_working_day(occurrence.due)
        if rule.falls_before:
            assert occurrence.due <= occurrence.nominal
        else:
            assert occurrence.due >= occurrence.nominal
        if rule.working_days:
            assert cal.working_days_between(occurrence.nominal, occurrence.due) == rule.working_days


@settings(deadline=None)
@given(
    rules.filter(lambda rule: rule.working_days >= 0 and getattr(rule.base, "days", 0) >= 0),
    days_in_range,
    days_in_range,
)
def test_due_never_precedes_nominal_for_non_negative_offsets(rule, a, b):
    for occurrence in rule.occurrences(min(a, b), max(a, b), calendar()):
        assert occurrence.due >= occurrence.nominal


@settings(deadline=None)
@given(rules, days_in_range, days_in_range, days_in_range)
def test_occurrences_are_deterministic_and_split_cleanly(rule, a, b, c):
    start, middle, end = sorted((a, b, c))
    whole = rule.occurrences(start, end, calendar())
    assert whole == rule.occurrences(start, end, calendar())
    split = rule.occurrences(start, middle, calendar()) + [
        o for o in rule.occurrences(middle, end, calendar()) if o.nominal > middle
    ]
    assert split == whole
    assert len({o.period for o in whole}) == len(whole)
    assert [o.nominal for o in whole] == sorted(o.nominal for o in whole)


@settings(deadline=None)
@given(rules)
def test_canonical_text_round_trips(rule):
    assert parse_rule(str(rule)) == rule
    assert describe(rule)
