from datetime import date

import pytest

from duban.domain.cn_calendar_source import build_working_calendar
from duban.domain.workcal import DayInfo, WorkingCalendar


def plain_calendar() -> WorkingCalendar:
    """Monday to Friday, one holiday on Wednesday 2025-01-01 and a make-up Saturday 2025-01-04."""
    return WorkingCalendar(
        {date(2025, 1, 1): (False, "元旦"), date(2025, 1, 4): (True, "元旦调休")}, {2025: True}
    )


def test_weekdays_holidays_and_makeup_days():
    cal = plain_calendar()
    assert cal.is_working_day(date(2024, 12, 31))  # Tuesday
    assert not cal.is_working_day(date(2025, 1, 1))  # holiday on a Wednesday
    assert cal.is_working_day(date(2025, 1, 4))  # make-up Saturday
    assert not cal.is_working_day(date(2025, 1, 5))  # Sunday


def test_next_and_previous_working_day():
    cal = plain_calendar()
    assert cal.next_working_day(date(2025, 1, 1)) == date(2025, 1, 2)
    assert cal.next_working_day(date(2025, 1, 2)) == date(2025, 1, 2)
    assert cal.next_working_day(date(2025, 1, 2), include_today=False) == date(2025, 1, 3)
    assert cal.next_working_day(date(2025, 1, 5)) == date(2025, 1, 6)
    assert cal.previous_working_day(date(2025, 1, 1)) == date(2024, 12, 31)
    assert cal.previous_working_day(date(2025, 1, 5)) == date(2025, 1, 4)


def test_add_working_days_forwards_backwards_and_zero():
    cal = plain_calendar()
    assert cal.add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)
    assert cal.add_working_days(date(2025, 1, 3), 1) == date(2025, 1, 4)
    assert cal.add_working_days(date(2025, 1, 6), -2) == date(2025, 1, 3)
    assert cal.add_working_days(date(2025, 1, 5), 0) == date(2025, 1, 5)


def test_working_days_between_counts_after_a_up_to_b():
    cal = plain_calendar()
    assert cal.working_days_between(date(2024, 12, 31), date(2025, 1, 6)) == 4  # 2, 3, 4 (make-up) and 6 Jan
    assert cal.working_days_between(date(2025, 1, 6), date(2024, 12, 31)) == -4
    assert cal.working_days_between(date(2025, 1, 6), date(2025, 1, 6)) == 0


def test_working_days_between_inverts_add_working_days():
    cal = plain_calendar()
    start = date(2024, 12, 20)
    for n in range(-15, 16):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_month_view_kinds():
    cal = plain_calendar()
    january = cal.month(2025, 1)
    assert len(january) == 31
    assert january[0] == DayInfo(date(2025, 1, 1), False, "holiday", "元旦")
    assert january[1].kind == "workday"
    assert january[3] == DayInfo(date(2025, 1, 4), True, "makeup", "元旦调休")
    assert january[4] == DayInfo(date(2025, 1, 5), False, "weekend", "")


def test_across_national_day_2025():
    cal = build_working_calendar(2025, 2025)
    # 10月1日至8日放假；9月28日（周日）、10月11日（周六）上班
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert cal.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert cal.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert cal.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)


def test_uncovered_year_falls_back_to_weekdays_with_a_warning():
    cal = WorkingCalendar({}, {2025: True})
    assert cal.warnings_for(2025) == []
    [warning] = cal.warnings_for(2031)
    assert "2031年" in warning and "调休" in warning and "duban calendar import" in warning
    assert cal.uncovered_years(date(2024, 6, 1), date(2026, 1, 1)) == [2024, 2026]
    assert cal.uncovered_years(2025, 2025) == []
    assert cal.is_working_day(date(2031, 1, 31))  # Friday
    assert not cal.is_working_day(date(2031, 2, 1))  # Saturday


@pytest.mark.parametrize("n", [0, 1, 2, 250])
def test_add_working_days_lands_on_a_working_day(n):
    cal = build_working_calendar(2025, 2027)
    day = cal.add_working_days(date(2025, 12, 31), n)
    assert n == 0 or cal.is_working_day(day)
