"""The pure 考核 maths: periods, grades, caps, ranks."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.domain.scoring import Period, Term, cap_deductions, grade, rank

GRADES = {"excellent": 90.0, "good": 80.0, "pass": 60.0}


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025", "2025-01-01", "2025-12-31"),
        ("2025-H1", "2025-01-01", "2025-06-30"),
        ("2025-h2", "2025-07-01", "2025-12-31"),
        ("2025-Q1", "2025-01-01", "2025-03-31"),
        ("2024-Q1", "2024-01-01", "2024-03-31"),
        ("2025-Q3", "2025-07-01", "2025-09-30"),
        ("2025-Q4", "2025-10-01", "2025-12-31"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    p = Period.parse(text)
    assert (p.start, p.end) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize("text", ["25", "2025-Q5", "2025-H3", "2025年", "2025-03"])
def test_bad_periods_say_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="2025-H1"):
        Period.parse(text)


@pytest.mark.parametrize(
    ("score", "name"),
    [
        (100, "优秀"),
        (90, "优秀"),
        (89.99, "良好"),
        (80, "良好"),
        (79.99, "合格"),
        (60, "合格"),
        (59.99, "不合格"),
        (0, "不合格"),
    ],
)
def test_grade_thresholds(score: float, name: str) -> None:
    assert grade(score, GRADES) == name


def test_cap_gives_back_the_excess() -> None:
    terms = [Term("overdue", "逾期报送", -17.6), Term("red", "红灯节点", -3.0)]
    back = cap_deductions(terms, 20.0, task_id=1, task="三")
    assert back is not None and back.points == 0.6 and "返还 0.6" in back.formula
    assert cap_deductions(terms[:1], 20.0, task_id=1, task="三") is None


def test_competition_ranks() -> None:
    assert rank([{"score": 100}, {"score": 90}, {"score": 90}, {"score": 80}]) == [1, 2, 2, 4]
