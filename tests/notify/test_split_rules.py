"""Pure parts: UTF-8 splitting and the alert rules on the 2026 calendar (春节 and 调休)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.domain.cn_calendar_source import library_calendar_data
from duban.domain.workcal import WorkingCalendar
from duban.notify import Rules, message_parts, parse_route
from duban.notify.rules import CountingCalendar, item_level, triggers_on
from duban.notify.split import split_message, split_utf8, utf8_len

LINE = "云南省民政厅：“农村留守妇女关爱服务”——任务三（牵头）逾期 3 个工作日…"


def test_split_keeps_lines_and_characters_whole() -> None:
    text = "\n".join(f"{i:03d} {LINE}" for i in range(100))
    parts = split_utf8(text, 2048)
    assert len(parts) > 1
    assert all(utf8_len(p) <= 2048 for p in parts)
    assert "\n".join(parts) == text  # no line was cut
    assert all(p.encode("utf-8").decode("utf-8") == p for p in parts)


def test_an_over_long_line_is_cut_between_characters() -> None:
    line = "督办" * 1000 + "😀"  # 6004 bytes, one line
    parts = split_utf8(line, 2048)
    assert "".join(parts) == line
    assert all(utf8_len(p) <= 2048 for p in parts)
    assert [utf8_len(p) for p in parts][:2] == [2046, 2046]  # 682 characters of 3 bytes; 683 would exceed
    with pytest.raises(ValueError):
        split_utf8("督办", 3)


def test_split_message_numbers_parts_within_the_limit() -> None:
    body = "\n".join(LINE for _ in range(60))
    parts = split_message("【督办·黄】云南省民政厅：逾期 60 项", body, 2048)
    n = len(parts)
    assert n > 1 and all(utf8_len(p) <= 2048 for p in parts)
    assert [p.split("\n", 1)[0] for p in parts] == [
        f"【督办·黄】云南省民政厅：逾期 60 项（{i}/{n}）" for i in range(1, n + 1)
    ]
    assert "\n".join(p.split("\n", 1)[1] for p in parts) == body
    assert split_message("标题", "短消息", 2048) == ["标题\n短消息"]


def test_message_parts_per_route() -> None:
    wecom = parse_route({"url": "wecombot://KEY", "tags": ["x"]}, 1)
    mail = parse_route({"url": "mailto://127.0.0.1:2525?from=a@x.cn&to=b@y.cn", "tags": ["x"]}, 2)
    small = parse_route(
        {"url": "mailto://127.0.0.1:2525?from=a@x.cn&to=b@y.cn", "tags": ["x"], "max_bytes": 200}, 3
    )
    body = "\n".join(LINE for _ in range(40))
    assert wecom.max_bytes == 2048 and all(
        utf8_len(t) <= 2048 and not title for title, t in message_parts(wecom, "标题", body)
    )
    assert message_parts(mail, "标题", body) == [("标题", body)]
    parts = message_parts(small, "标题", body)
    assert (
        len(parts) > 1
        and parts[0][0] == f"标题（1/{len(parts)}）"
        and all(utf8_len(b) <= 200 for _t, b in parts)
    )


@pytest.fixture(scope="module")
def cal() -> CountingCalendar:
    exceptions, covered = library_calendar_data(2025, 2027)
    return CountingCalendar(WorkingCalendar(exceptions, covered), dt.date(2025, 1, 1), dt.date(2027, 12, 31))


def fired_days(
    cal: CountingCalendar, due: dt.date, first: str, last: str, rules: Rules | None = None
) -> list[tuple[str, list[str]]]:
    rules = rules or Rules()
    out, day = [], dt.date.fromisoformat(first)
    while day <= dt.date.fromisoformat(last):
        fired = triggers_on(day, due, rules, cal)
        if fired:
            out.append((day.isoformat(), sorted(fired)))
        day += dt.timedelta(days=1)
    return out


def test_rules_across_chunjie(cal: CountingCalendar) -> None:
    # due Tue 02-24, the first working day after 春节 (02-15..02-23); 02-14 is a 调休 Saturday
    assert fired_days(cal, dt.date(2026, 2, 24), "2026-02-01", "2026-03-13") == [
        ("2026-02-10", ["blue"]),  # 5 working days before: 11, 12, 13, 14, 24
        ("2026-02-14", ["blue"]),  # 1 working day before: the 调休 Saturday
        ("2026-02-25", ["yellow"]),  # k = 1: the next working morning
        ("2026-02-28", ["yellow"]),  # k = 4 (26, 27, 28 调休 Saturday)
        ("2026-03-02", ["escalate", "red"]),  # k = 5
        ("2026-03-05", ["red"]),  # k = 8
        ("2026-03-10", ["red"]),  # k = 11
        ("2026-03-13", ["red"]),  # k = 14
    ]
    assert item_level(dt.date(2026, 2, 13), dt.date(2026, 2, 24), Rules(), cal) == "blue"
    assert item_level(dt.date(2026, 2, 9), dt.date(2026, 2, 24), Rules(), cal) is None
    assert item_level(dt.date(2026, 3, 2), dt.date(2026, 2, 24), Rules(), cal) == "red"


def test_custom_rules(cal: CountingCalendar) -> None:
    rules = Rules(remind_days=(3,), repeat_every=2, escalate_after=3)
    assert fired_days(cal, dt.date(2026, 3, 6), "2026-03-01", "2026-03-16", rules) == [
        ("2026-03-03", ["blue"]),
        ("2026-03-09", ["yellow"]),
        ("2026-03-11", ["escalate", "red"]),
        ("2026-03-13", ["red"]),
    ]
