"""总览's ranking: severity, trend against the previous quarter end, and overdue rows grouped — on rows this
test inserts, with every expected number computed by hand (docs/dashboard.md, 总览).

The days are chosen in stretches without holidays or make-up working days (late March, early June 2026;
端午 is 19 June), so the working days are counted on a plain calendar:
- as of 2026-06-12 (Fri): after 06-01 (Mon) → 2,3,4,5,8,9,10,11,12 June = 9; after 06-05 (Fri) → 5;
- as of 2026-03-31 (Tue): after 03-25 (Wed) → 26, 27, 30, 31 March = 4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.domain.vocabulary import Light, Trend
from duban.services.calendar import working_calendar
from duban.services.dashboard import department_ranking, overdue_groups, policy_progress
from duban.services.dashboard_results import severity_of
from duban.services.status import Scope
from duban.storage.models import Milestone, Policy, Responsibility, Task

AS_OF = dt.date(2026, 6, 12)
PREVIOUS = dt.date(2026, 3, 31)
YUNNAN = "530000"


@dataclass
class World:
    policy: Policy


def _build(session: Session) -> World:
    policy = Policy(
        doc_number="云民发〔2020〕8号",
        title="关于加强农村留守妇女关爱服务工作的实施意见",
        issuers=["minzheng"],
        jurisdiction_code=YUNNAN,
        level="province",
        issued=dt.date(2020, 7, 22),
    )

    def resp(agency: str, written: str, role: str) -> Responsibility:
        return Responsibility(agency_key=agency, name_as_written=written, role=role, jurisdiction_code=YUNNAN)

    a = Task(number="一", text="开展精准摸排，建立农村留守妇女信息台账。", position=1)
    b = Task(number="二", text="加大对侵害农村留守妇女合法权益违法犯罪行为的打击力度。", position=2)
    c = Task(number="三", text="组织“巾帼家美积分超市”等关爱活动。", position=3)
    a_mz, a_fl = resp("minzheng", "省民政厅", "lead"), resp("fulian", "省妇联", "support")
    b_ga, b_cl, b_sf = (
        resp("gongan", "省公安厅", "lead"),
        resp("canlian", "省残联", "support"),
        resp("sifa", "省司法厅", "support"),
    )
    c_mz = resp("minzheng", "省民政厅", "lead")
    a.responsibilities += [a_mz, a_fl]
    b.responsibilities += [b_ga, b_cl, b_sf]
    c.responsibilities += [c_mz]
    policy.tasks += [a, b, c]
    session.add(policy)
    session.flush()

    def milestone(task: Task, r: Responsibility, period: str, due: str, reported: str | None = None) -> None:
        d = dt.date.fromisoformat(due)
        session.add(
            Milestone(
                key=milestone_key(task.id, r.id, period),
                task_id=task.id,
                responsibility_id=r.id,
                period=period,
                due_date=d,
                effective_due_date=d,
                first_report_on=dt.date.fromisoformat(reported) if reported else None,
            )
        )

    milestone(a, a_mz, "2026-03", "2026-03-20", reported="2026-03-18")  # on time
    milestone(a, a_mz, "2026-06上", "2026-06-01")
    milestone(a, a_mz, "2026-06下", "2026-06-05")
    milestone(a, a_fl, "2026-06下", "2026-06-05")
    milestone(c, c_mz, "2026-06下", "2026-06-05")
    milestone(b, b_ga, "2026-03下", "2026-03-25", reported="2026-04-10")  # late
    milestone(b, b_cl, "2026-03下", "2026-03-25", reported="2026-04-10")  # late
    milestone(b, b_ga, "2026-06中", "2026-06-16")  # within the warning window: yellow
    milestone(b, b_sf, "2026-Q3", "2026-09-30")
    session.commit()
    return World(policy)


def test_the_hand_counted_working_days_hold_for_the_stored_calendar(session: Session) -> None:
    cal = working_calendar(session, 2026, 2026)
    assert cal.working_days_between(dt.date(2026, 6, 1), AS_OF) == 9
    assert cal.working_days_between(dt.date(2026, 6, 5), AS_OF) == 5
    assert cal.working_days_between(dt.date(2026, 3, 25), PREVIOUS) == 4


def test_severity_formula() -> None:
    assert severity_of(red=2, yellow=0, due=4, overdue_working_days=19) == 25  # 20 + round(4.75)
    assert severity_of(red=1, yellow=2, due=0, overdue_working_days=0) == 16  # nothing due: no day term
    assert severity_of(red=0, yellow=0, due=3, overdue_working_days=1) == 0  # round(0.33)


def test_departments_ranked_by_severity_with_trend_and_history(session: Session) -> None:
    _build(session)
    ranking = department_ranking(session, as_of=AS_OF, warning_days=5, scope=Scope(), quarters=4)
    assert ranking.periods == (
        dt.date(2025, 6, 30),
        dt.date(2025, 9, 30),
        dt.date(2025, 12, 31),
        PREVIOUS,
        AS_OF,
    )
    got = [
        (
            d.rank,
            d.name,
            d.jurisdiction_name,
            d.light,
            d.severity,
            d.previous_severity,
            d.trend,
            d.new_overdue,
        )
        for d in ranking.departments
    ]
    assert got == [
        # 2 red responsibilities; (9 + 5 + 5) working days over 4 due milestones → 20 + 5; was 0
        (1, "云南省民政厅", "云南省", Light.RED, 25, 0, Trend.UP, 3),
        # 1 red; 5 days over 1 due → 10 + 5; was 0
        (2, "云南省妇联", "云南省", Light.RED, 15, 0, Trend.UP, 1),
        # one yellow, nothing overdue; was red with 4 days over 1 due → 14
        (3, "云南省公安厅", "云南省", Light.YELLOW, 3, 14, Trend.DOWN, 0),
        # a tie at 0, by name: 司 (U+53F8) before 残 (U+6B8B); 残联 was red like 公安 (reported late since)
        (4, "云南省司法厅", "云南省", Light.GREEN, 0, 0, Trend.SAME, 0),
        (5, "云南省残联", "云南省", Light.GREEN, 0, 14, Trend.DOWN, 0),
    ]
    mz = ranking.departments[0]
    assert (mz.agency, mz.jurisdiction) == ("minzheng", YUNNAN)
    now, before = mz.history[-1], mz.history[-2]
    assert (now.red, now.yellow, now.green, now.due, now.late, now.overdue) == (2, 0, 0, 4, 3, 3)
    assert now.overdue_working_days == 19 and now.on_time_rate == 0.25 and not now.quarter_end
    assert (before.red, before.green, before.due, before.late, before.on_time_rate) == (0, 2, 1, 0, 1.0)
    assert before.quarter_end
    ga = ranking.departments[2]
    assert [p.severity for p in ga.history] == [0, 0, 0, 14, 3]
    assert ga.history[-2].overdue_working_days == 4
    sf = ranking.departments[3]
    assert sf.current.on_time_rate is None  # nothing due yet: no rate, never 0 %


def test_trend_is_new_for_a_department_without_work_at_the_previous_period(session: Session) -> None:
    _build(session)
    ranking = department_ranking(session, as_of=AS_OF, warning_days=5, scope=Scope(), quarters=0)
    assert ranking.periods == (AS_OF,)
    assert {d.trend for d in ranking.departments} == {Trend.NEW}
    assert all(d.previous_severity is None for d in ranking.departments)


def test_ranking_follows_the_scope(session: Session) -> None:
    _build(session)
    ranking = department_ranking(
        session, as_of=AS_OF, warning_days=5, scope=Scope(agency="minzheng", jurisdiction=YUNNAN)
    )
    assert [(d.name, d.severity) for d in ranking.departments] == [("云南省民政厅", 25)]


def test_overdue_rows_grouped_by_policy_period_and_due_date(session: Session) -> None:
    world = _build(session)
    result = overdue_groups(session, as_of=AS_OF, scope=Scope())
    assert (result.total_groups, result.total_milestones) == (2, 4)
    got = [
        (g.policy, g.period, g.effective_due, g.days_overdue, g.count, g.tasks, g.departments)
        for g in result.groups
    ]
    assert got == [
        ("云民发〔2020〕8号", "2026-06上", dt.date(2026, 6, 1), 11, 1, 1, ("云南省民政厅",)),
        # three milestones of two tasks and two departments read the same: one row
        ("云民发〔2020〕8号", "2026-06下", dt.date(2026, 6, 5), 7, 3, 2, ("云南省妇联", "云南省民政厅")),
    ]
    first = result.groups[1]
    assert first.policy_id == world.policy.id
    assert (first.first_number, first.first_text) == ("一", "开展精准摸排，建立农村留守妇女信息台账。")
    assert overdue_groups(session, as_of=AS_OF, scope=Scope(), limit=1).total_groups == 2
    assert overdue_groups(session, as_of=PREVIOUS, scope=Scope()).total_milestones == 2  # 公安, 残联


def test_policy_progress_counts_reported_of_due_milestones(session: Session) -> None:
    world = _build(session)
    progress = policy_progress(session, as_of=AS_OF, warning_days=5, scope=Scope())
    p = progress[world.policy.id]
    # due by 06-12: 03-20 (reported), 03-25 ×2 (reported late), 06-01, 06-05 ×3 → 3 of 7; 06-16, 09-30 not due
    assert (p.due, p.reported, p.tasks, p.done) == (7, 3, 3, 0)
    assert p.rate == 3 / 7
    early = policy_progress(session, as_of=dt.date(2026, 3, 1), warning_days=5, scope=Scope())
    assert early[world.policy.id].rate is None  # nothing due yet
