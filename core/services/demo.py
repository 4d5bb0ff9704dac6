"""``duban demo``: a fresh embedded database with the five seed policies and plausible history.

Everything random comes from one ``random.Random(seed)``, so the same seed and the same "today" give the
same database. Reports, reviews and extensions are synthetic; they are written in bulk (not through the
report service, which would take minutes) and the whole generation is one audit event.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import PolicyStatus, ResponsibilityState, ReviewState
from duban.errors import ValidationError
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.clock import local_noon_utc
from duban.services.identity import SYSTEM, Actor, add_user, os_login
from duban.services.importing import import_policy
from duban.services.scheduling import confirm_schedule, generate_milestones, propose_schedules
from duban.services.setup import prepare_database
from duban.services.supervision import set_supervision_start
from duban.storage.db import session_factory, unit_of_work
from duban.storage.models import AppMeta, Extension, Milestone, Policy, Report, Responsibility

DEMO_SEED = 20190920
DEMO_MARK = "demo"
SEED_ORDER = (  # parents before children, so 落实 links resolve
    "001_007993ffda9a68ac.txt",
    "004_1692d70bd32bb6db.txt",
    "000_ec88c21d93956c79.txt",
    "002_09c426360c691ab7.txt",
    "003_206813141252fb57.txt",
)
PROGRESS_TEXTS = (
    "已召开专题会议部署，明确责任人和时间表。",
    "开展“巾帼家政”培训，组织留守妇女参加。",
    "完成农村留守妇女摸底排查，更新信息台账。",
    "联合开展走访慰问，覆盖重点困难家庭。",
    "组织法律知识进村入户宣传活动。",
    "推进“两癌”免费筛查，做好筛查结果登记。",
    "依托妇女之家开展心理疏导和家庭教育讲座。",
    "落实专项经费，纳入年度预算。",
)
RETURN_REASONS = ("缺少具体数据，请补充台账人数", "进展描述过于笼统", "未附佐证材料")


@dataclass(frozen=True, slots=True)
class DemoPolicy(JsonResult):
    doc_number: str | None
    title: str
    status: PolicyStatus


@dataclass(frozen=True, slots=True)
class DemoSummary(JsonResult):
    """``duban demo --json``: what the demo database holds."""

    path: str
    policies: tuple[DemoPolicy, ...] = ()
    milestones: int = 0
    reports: int = 0
    returned: int = 0
    extensions: int = 0
    closed: int = 0
    users: tuple[str, ...] = ()


@dataclass
class _Tally:
    """The counts of :class:`DemoSummary` while the history is generated."""

    reports: int = 0
    returned: int = 0
    extensions: int = 0
    closed: int = 0
    users: list[str] = field(default_factory=list)


def seed_files() -> list[Path]:
    folder = resources.files("duban.demo.seeds")
    return [Path(str(folder.joinpath(name))) for name in SEED_ORDER]


def is_demo_database(engine: Engine) -> bool:
    try:
        with session_factory(engine)() as session:
            row = session.get(AppMeta, DEMO_MARK)
            return row is not None and row.value == "1"
    except Exception:  # not a duban database at all (or an older schema): not a demo one
        return False


def check_can_replace(path: Path) -> None:
    """Refuse to overwrite a file that is not a demo database."""
    if not path.exists():
        return
    from duban.config import sqlite_url
    from duban.storage.db import make_engine

    engine = make_engine(sqlite_url(path))
    try:
        demo = is_demo_database(engine)
    finally:
        engine.dispose()
    if not demo:
        raise ValidationError(
            f"{path} 已存在且不是演示数据库：duban demo 不会覆盖它，请用 --db 指定另一个文件"
        )


def build_demo(
    engine: Engine, *, host: PluginHost, today: dt.date, seed: int = DEMO_SEED, login: str | None = None
) -> DemoSummary:
    """Fill an empty database: seeds, users, schedules, milestones and 2020–today history."""
    prepare_database(engine, host=host)
    factory = session_factory(engine)
    summary = _Tally()
    with unit_of_work(factory) as session:
        session.merge(AppMeta(key=DEMO_MARK, value="1"))
        me = login or os_login()
        add_user(
            session, actor=SYSTEM, name=me, role="coordinator", os_login_name=me, display_name="演示协调人"
        )
        coordinator = Actor(me, "coordinator")
        for key, code in (
            ("minzheng", "530000"),
            ("fulian", "530000"),
            ("renshe", "530000"),
            ("minzheng", "220000"),
        ):
            name = f"{key}_{code}"
            add_user(session, actor=coordinator, name=name, role="department", agency=key, jurisdiction=code)
            summary.users.append(name)
        summary.users.insert(0, me)
        for path in seed_files():
            result = import_policy(session, actor=coordinator, host=host, path=path, today=today)
            assert result.policy_id is not None
            # the demo shows years of history: each document is supervised from the day it was issued
            # (a real import starts on the import day, or on --from)
            issued = session.get(Policy, result.policy_id).issued  # type: ignore[union-attr]
            if issued is not None:
                set_supervision_start(session, actor=coordinator, policy_id=result.policy_id, start=issued)
            proposed = propose_schedules(session, actor=coordinator, policy_id=result.policy_id)
            for row in proposed.proposed:
                confirm_schedule(session, actor=coordinator, schedule_id=row.id)
        generate_milestones(session, actor=coordinator, until=dt.date(today.year, 12, 31), today=today)
        _history(session, random.Random(seed), today, summary)
        demo = DemoSummary(
            path=engine.url.render_as_string(hide_password=True),
            policies=tuple(
                DemoPolicy(p.doc_number, p.title, PolicyStatus(p.status))
                for p in session.scalars(select(Policy).order_by(Policy.issued))
            ),
            milestones=session.scalar(select(func.count()).select_from(Milestone)) or 0,
            **{**asdict(summary), "users": tuple(summary.users)},
        )
        audit.record(
            session,
            actor=coordinator.name,
            action="demo.generate",
            entity_type="database",
            entity_id="demo",
            after={k: v for k, v in demo.to_json().items() if k != "policies"},
        )
    return demo


def _history(session: Session, rng: random.Random, today: dt.date, summary: _Tally) -> None:
    """Reports, late items, returned reports, extensions and closings for milestones due up to today."""
    rows = session.execute(
        select(Milestone, Responsibility)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
        .order_by(Milestone.due_date, Milestone.id)
    ).all()
    diligence: dict[int, float] = {}
    for milestone, resp in rows:
        due = milestone.due_date
        care = diligence.setdefault(resp.id, rng.uniform(0.6, 1.0))  # some departments are laxer than others
        fate = rng.random()
        if due > today + dt.timedelta(days=30):
            continue
        if due >= today and fate < 0.5:
            continue  # not yet due: half are still open
        if fate < 0.04 and due > today - dt.timedelta(days=400):
            _extension(session, rng, milestone, resp, summary)
        if fate > care and due < today and due > today - dt.timedelta(days=150):
            continue  # recent lapses are never reported (red); older ones were caught up late
        late = fate > 0.55 + 0.4 * care and due < today
        day = (
            due + dt.timedelta(days=rng.randint(1, 40))
            if late
            else due - dt.timedelta(days=rng.randint(0, 20))
        )
        if day > today:
            continue
        first = _report(resp, milestone, day, 1, rng)
        session.add(first)
        summary.reports += 1
        review_day = day + dt.timedelta(days=rng.randint(1, 10))
        if review_day > today:
            resp.state = ResponsibilityState.IN_PROGRESS
            continue
        returned = rng.random() < 0.06
        _review(first, review_day, returned, rng)
        summary.returned += returned
        resp.state = ResponsibilityState.RETURNED if returned else ResponsibilityState.IN_PROGRESS
        fixed_day = review_day + dt.timedelta(days=rng.randint(3, 20))
        if returned and fixed_day <= today - dt.timedelta(days=30):  # older returns were corrected
            first.is_current = False
            second = _report(resp, milestone, fixed_day, 2, rng)
            _review(second, fixed_day + dt.timedelta(days=2), False, rng)
            session.add(second)
            summary.reports += 1
            resp.state = ResponsibilityState.IN_PROGRESS
    session.flush()
    _closings(session, rng, today, summary)


def _report(
    resp: Responsibility, milestone: Milestone, day: dt.date, version: int, rng: random.Random
) -> Report:
    return Report(
        responsibility_id=resp.id,
        milestone_id=milestone.id,
        text=rng.choice(PROGRESS_TEXTS),
        indicators={},
        attachments=[],
        submitted_by=f"{resp.agency_key}_{resp.jurisdiction_code}",
        submitted_at=local_noon_utc(day),
        submitted_on=day,
        version=version,
    )


def _review(report: Report, day: dt.date, returned: bool, rng: random.Random) -> None:
    report.review_state = ReviewState.RETURNED if returned else ReviewState.ACCEPTED
    report.review_reason = rng.choice(RETURN_REASONS) if returned else None
    report.reviewed_by, report.reviewed_at, report.reviewed_on = "coordinator", local_noon_utc(day), day


def _extension(
    session: Session, rng: random.Random, milestone: Milestone, resp: Responsibility, summary: _Tally
) -> None:
    asked = milestone.due_date - dt.timedelta(days=rng.randint(2, 10))
    new_date = milestone.due_date + dt.timedelta(days=rng.choice((15, 30, 45)))
    approved = rng.random() < 0.8
    ext = Extension(
        milestone_id=milestone.id,
        requested_by=f"{resp.agency_key}_{resp.jurisdiction_code}",
        requested_at=local_noon_utc(asked),
        reason="基层数据汇总需要更多时间",
        progress="已完成约七成",
        new_date=new_date,
        state="approved" if approved else "refused",
        decided_by="coordinator",
        decided_at=local_noon_utc(asked + dt.timedelta(days=1)),
        decided_on=asked + dt.timedelta(days=1),
    )
    if approved:
        milestone.effective_due_date = new_date
    session.add(ext)
    summary.extensions += 1


def _closings(session: Session, rng: random.Random, today: dt.date, summary: _Tally) -> None:
    """Close about one lead responsibility in ten of the older policies (办结 accepted)."""
    leads = session.scalars(
        select(Responsibility).where(Responsibility.role == "lead").order_by(Responsibility.id)
    )
    for resp in leads:
        if rng.random() < 0.1:
            closed_on = today - dt.timedelta(days=rng.randint(30, 300))
            resp.state, resp.closed_on = ResponsibilityState.CLOSED, closed_on
            summary.closed += 1
