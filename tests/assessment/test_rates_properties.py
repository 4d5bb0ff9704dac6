"""The default (rates) scheme's promises, as properties over generated departments (Hypothesis).

- more on-time work never lowers a score;
- doubling a department's workload at the same performance leaves its score unchanged (tolerance 0.01 —
  in fact exactly equal: every rate is an exact fraction and each rule is rounded once);
- a department that files nothing in a period never reaches 良好;
- the terms of every explanation add up exactly to the score (Decimal, no float drift);
plus the grade bands' rank share and tie rule, and 不适用 when nothing was due.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from decimal import Decimal
from itertools import count
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from duban.config import shipped_defaults
from duban.domain.scoring import (
    NOT_APPLICABLE,
    DepartmentFacts,
    DepartmentScore,
    GradeBand,
    MilestoneFacts,
    TaskFacts,
    band_grades,
    explain_line,
)
from duban.plugins.scoring.default import compute

CONFIG: dict[str, Any] = copy.deepcopy(shipped_defaults()["scoring"])
TOLERANCE = 0.01  #: the stated tolerance of the workload property (the scheme meets it exactly)
DUE = dt.date(2025, 3, 31)
_ids = count(1)


@st.composite
def tasks(draw: st.DrawFn) -> TaskFacts:
    """A responsibility with a plausible mix of on-time, late, red, extended, returned and found work."""
    role = draw(st.sampled_from(["lead", "support", "joint"]))
    on_time = draw(st.integers(0, 6))
    late_days = draw(st.lists(st.integers(1, 60), max_size=5))
    unreported = draw(st.integers(0, len(late_days)))
    extended = draw(st.integers(0, on_time))
    returned = draw(st.integers(0, on_time + len(late_days) - unreported))
    # a finding is always on a filed report: no report, no findings (the facts query cannot produce any)
    filed_any = on_time + len(late_days) - unreported + returned > 0
    errors = draw(st.integers(0, 3 if filed_any else 0))
    warnings = draw(st.integers(0, 3 if filed_any else 0))
    return _task(role, on_time, late_days, unreported, extended, returned, errors, warnings)


def _task(
    role: str,
    on_time: int,
    late_days: list[int],
    unreported: int,
    extended: int,
    returned: int,
    errors: int,
    warnings: int,
) -> TaskFacts:
    tid = next(_ids)
    miles = []
    for i, days in enumerate(late_days):
        filed = i >= unreported
        miles.append(
            MilestoneFacts(
                id=next(_ids),
                period=f"2025-{i + 1:02d}",
                due=DUE,
                effective_due=DUE,
                reported_on=DUE + dt.timedelta(days=days) if filed else None,
                overdue=True,
                red=not filed,
                days_late=days,
                working_days_late=days * 5 // 7,
            )
        )
    for _ in range(extended):
        miles.append(
            MilestoneFacts(
                id=next(_ids),
                period="2025-Q1",
                due=DUE,
                effective_due=DUE + dt.timedelta(days=15),
                reported_on=DUE,
                extended=True,
            )
        )
    filed = on_time + len(late_days) - unreported
    return TaskFacts(
        responsibility_id=tid,
        task_id=tid,
        task=f"云民发〔2020〕8号 {tid}",
        role=role,
        due=on_time + len(late_days),
        on_time=on_time,
        overdue=len(late_days),
        red=unreported,
        days_late=sum(late_days),
        returned=returned,
        errors=errors,
        warnings=warnings,
        overdue_refs=tuple(m.id for m in miles if m.overdue),
        red_refs=tuple(m.id for m in miles if m.red),
        returned_refs=tuple(next(_ids) for _ in range(returned)),
        error_refs=tuple(next(_ids) for _ in range(errors)),
        warning_refs=tuple(next(_ids) for _ in range(warnings)),
        reports=filed + returned,
        extended=extended,
        extended_refs=tuple(m.id for m in miles if m.extended),
        milestones=tuple(miles),
    )


def dept(*ts: TaskFacts) -> DepartmentFacts:
    return DepartmentFacts("minzheng", "民政", "530000", "云南省", tuple(ts))


def score(d: DepartmentFacts) -> DepartmentScore:
    return compute([d], CONFIG)[0]


def renumbered(t: TaskFacts) -> TaskFacts:
    """The same work on a new responsibility (new ids)."""
    shift = 10_000_000
    return replace(
        t,
        responsibility_id=t.responsibility_id + shift,
        task_id=t.task_id + shift,
        milestones=tuple(replace(m, id=m.id + shift) for m in t.milestones),
        overdue_refs=tuple(i + shift for i in t.overdue_refs),
        red_refs=tuple(i + shift for i in t.red_refs),
        extended_refs=tuple(i + shift for i in t.extended_refs),
        returned_refs=tuple(i + shift for i in t.returned_refs),
        error_refs=tuple(i + shift for i in t.error_refs),
        warning_refs=tuple(i + shift for i in t.warning_refs),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(tasks(), min_size=1, max_size=6), st.integers(1, 5), st.sampled_from(["lead", "support"]))
def test_more_on_time_work_never_lowers_a_score(ts: list[TaskFacts], more: int, role: str) -> None:
    before = score(dept(*ts))
    after = score(dept(*ts, _task(role, more, [], 0, 0, 0, 0, 0)))
    if before.score is None:
        assert after.score is not None
        return
    assert after.score is not None and after.score >= before.score


def test_an_on_time_support_report_after_a_red_lead_task_does_not_lower_the_score() -> None:
    """The shape of the counterexample CI once found (there with a finding on no report, which cannot happen)."""
    red_lead = _task("lead", 0, [1, 1, 1, 1, 1], 5, 0, 0, 0, 0)
    found_lead = _task("lead", 1, [], 0, 0, 0, 0, 1)
    before = score(dept(red_lead, found_lead))
    after = score(dept(red_lead, found_lead, _task("support", 1, [], 0, 0, 0, 0, 0)))
    assert before.score is not None and after.score is not None
    assert after.score >= before.score


@settings(max_examples=200, deadline=None)
@given(st.lists(tasks(), min_size=1, max_size=6))
def test_doubling_the_workload_at_the_same_performance_keeps_the_score(ts: list[TaskFacts]) -> None:
    once = score(dept(*ts))
    twice = score(dept(*ts, *(renumbered(t) for t in ts)))
    if once.score is None:
        assert twice.score is None
        return
    assert twice.score is not None and abs(twice.score - once.score) <= TOLERANCE
    assert twice.score == once.score  # exact, in fact


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["lead", "support", "joint"]),
            st.lists(st.integers(0, 90), min_size=1, max_size=4),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_department_that_files_nothing_never_reaches_good(spec: list[tuple[str, list[int], int]]) -> None:
    ts = [_task(role, 0, days, len(days), 0, 0, 0, warnings) for role, days, warnings in spec]
    result = score(dept(*ts))
    assert result.score is not None and result.score < 80
    assert result.grade not in ("优秀", "良好")
    # nor by rank share, however badly everyone else did: the band's score floor holds
    assert band_grades([result.score, 0.0, 0.0, 0.0, 0.0], GradeBand.table(CONFIG["default"]["grade_bands"]))[
        0
    ] not in ("优秀", "良好")


@settings(max_examples=300, deadline=None)
@given(st.lists(tasks(), min_size=1, max_size=8))
def test_the_terms_add_up_exactly_to_the_score(ts: list[TaskFacts]) -> None:
    result = score(dept(*ts))
    if result.score is None:
        return
    total = sum((Decimal(str(t.points)) for t in result.terms), Decimal(0))
    assert total == Decimal(str(result.score))
    for t in result.terms:
        if t.code not in ("base", "rate"):
            # every deduction names the task, the milestone (or that there is none), the rule and the number
            assert t.points < 0 and t.task.startswith("云民发〔2020〕8号 ") and t.milestone and t.refs
            assert t.label in explain_line(t) and t.task in explain_line(t)


def test_nothing_due_is_not_applicable_never_zero_percent_beside_100() -> None:
    pending = replace(_task("lead", 0, [], 0, 0, 0, 0, 0), pending=2)
    result = score(dept(pending))
    assert result.score is None and result.grade == NOT_APPLICABLE
    assert "不适用" in result.terms[0].formula


def test_no_reports_makes_returns_and_findings_not_applicable() -> None:
    result = score(dept(_task("lead", 0, [5], 1, 0, 0, 0, 2)))
    rates = {t.label: t.formula for t in result.terms if t.code == "rate"}
    assert rates["退办率（10 分）"].startswith("不适用") and rates["发现率（10 分）"].startswith("不适用")


def test_support_milestones_weigh_less_in_the_rates() -> None:
    lead_late = dept(_task("lead", 1, [10], 0, 0, 0, 0, 0), _task("support", 1, [], 0, 0, 0, 0, 0))
    support_late = dept(_task("lead", 1, [], 0, 0, 0, 0, 0), _task("support", 1, [10], 0, 0, 0, 0, 0))
    a, b = score(lead_late).score, score(support_late).score
    assert a is not None and b is not None and b > a


def test_grade_bands_rank_share_and_ties() -> None:
    bands = GradeBand.table(CONFIG["default"]["grade_bands"])  # 优秀 ≥ 90 and within the best 20 %
    assert band_grades([99, 95, 91, 85, 70, 50, 93, 92, 60, 40], bands) == [
        "优秀",
        "优秀",
        "良好",  # 91 would be third: 20 % of 10 is 2
        "良好",
        "合格",
        "不合格",
        "良好",
        "良好",
        "合格",
        "不合格",
    ]
    # a tie straddling the limit falls as a whole to the next band ("at most 20 %")
    assert band_grades([99, 95, 95, 85, 70, 50, 60, 60, 60, 60], bands)[:3] == ["优秀", "良好", "良好"]
    assert band_grades([None, 95], bands) == [NOT_APPLICABLE, "良好"]  # 20 % of one department is none
