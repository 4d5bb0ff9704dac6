"""``duban demo --scale national``: every province adopting 民发〔2019〕86号, cascaded to every county.

The national policy is imported from its seed (the ordinary import service). Then, for each of the 31
mainland provinces, a provincial 实施意见 implementing it (its 23 tasks, confirmed TaskLinks to the national
ones, the provincial departments), cascaded to every prefecture and county (see duban.services.cascade),
three calendar years of quarterly milestones ("quarterly +5wd", the default cycle, with the same keys
``duban milestones generate`` would give) and reports with realistic lateness: each county has a capacity,
each agency a habit; most reports are on time, some late, recent lapses are still unreported, about one in
twenty is returned and later corrected.

Rows are written with bulk ``insert()`` in batches with ids assigned here (no ORM object per row), the
secondary indexes of the big tables are dropped first and built at the end, and each province is committed
on its own (a demo file: on failure the CLI deletes it).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, Index, func, insert, select, text
from sqlalchemy.orm import Session

from duban.domain.divisions import department_name, load
from duban.domain.jsonable import JsonResult
from duban.domain.jurisdictions import PROVINCES
from duban.domain.progress import ProgressCallback
from duban.domain.schedule import milestone_key, parse_rule
from duban.domain.vocabulary import Role
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.calendar import working_calendar
from duban.services.clock import local_noon_utc
from duban.services.demo import DEMO_MARK, PROGRESS_TEXTS, RETURN_REASONS, seed_files
from duban.services.identity import SYSTEM, Actor, add_user, os_login
from duban.services.importing import import_policy, registry_from
from duban.services.reference import load_divisions
from duban.services.scheduling import DEFAULT_CYCLE, milestone_period
from duban.services.setup import prepare_database
from duban.storage.db import session_factory, unit_of_work
from duban.storage.models import (
    AppMeta,
    Base,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    TaskLink,
)

BATCH = 20_000
NATIONAL_SEED = "001_007993ffda9a68ac.txt"
#: 简称 used in provincial doc numbers (云民发〔2020〕8号)
SHORT = {
    "110000": "京",
    "120000": "津",
    "130000": "冀",
    "140000": "晋",
    "150000": "内",
    "210000": "辽",
    "220000": "吉",
    "230000": "黑",
    "310000": "沪",
    "320000": "苏",
    "330000": "浙",
    "340000": "皖",
    "350000": "闽",
    "360000": "赣",
    "370000": "鲁",
    "410000": "豫",
    "420000": "鄂",
    "430000": "湘",
    "440000": "粤",
    "450000": "桂",
    "460000": "琼",
    "500000": "渝",
    "510000": "川",
    "520000": "黔",
    "530000": "云",
    "540000": "藏",
    "610000": "陕",
    "620000": "甘",
    "630000": "青",
    "640000": "宁",
    "650000": "新",
}
BIG_TABLES = (Responsibility, Milestone, Report, TaskLink, Task)

#: rows written so far (see duban.domain.progress); the CLI announces the total from estimate_rows()
Progress = ProgressCallback


@dataclass(frozen=True, slots=True)
class NationalSummary(JsonResult):
    """``duban demo --scale national --json``: what was built, and how long each step took."""

    path: str
    provinces: int = 0
    jurisdictions: int = 0
    tasks: int = 0
    responsibilities: int = 0
    milestones: int = 0
    reports: int = 0
    late: int = 0
    returned: int = 0
    unreported: int = 0
    seconds: Mapping[str, float] = field(
        default_factory=dict
    )  #: per step (setup, each province, indexes, total)


@dataclass
class _Tally:
    """The counts of :class:`NationalSummary` while the database is built."""

    path: str
    provinces: int = 0
    jurisdictions: int = 0
    tasks: int = 0
    responsibilities: int = 0
    milestones: int = 0
    reports: int = 0
    late: int = 0
    returned: int = 0
    unreported: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def estimate_rows(provinces: list[str] | None = None, years: int = 3) -> int:
    """About how many rows :func:`build_national` writes (for a progress bar)."""
    tree = load()
    codes = provinces or list(SHORT)
    jurisdictions = sum(1 + len(tree.descendants(c)) for c in codes)
    resp = jurisdictions * 74  # the national annex names 74 parties over its 23 tasks
    return int(resp * (1 + 4 * years * 1.75))


def _secondary_indexes() -> list[Index]:
    return [idx for model in BIG_TABLES for idx in model.__table__.indexes]


def drop_indexes(session: Session) -> None:
    for idx in _secondary_indexes():
        idx.drop(session.connection(), checkfirst=True)


def build_indexes(session: Session) -> None:
    for idx in _secondary_indexes():
        idx.create(session.connection(), checkfirst=True)


class _Ids:
    """Next primary key per table, read once."""

    def __init__(self, session: Session) -> None:
        self.next: dict[type[Base], int] = {
            m: (session.scalar(select(func.max(m.id))) or 0) + 1
            for m in (Policy, Task, TaskLink, Responsibility, Milestone, Report)
        }

    def take(self, model: type[Base]) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def _batched(
    session: Session, model: type[Base], rows: Iterator[dict[str, Any]], progress: Progress | None
) -> int:
    """Core executemany on the table (the ORM bulk path costs ~3× more per row)."""
    table, conn = model.__table__, session.connection()
    batch: list[dict[str, Any]] = []
    n = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            n += len(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        n += len(batch)
        if progress:
            progress(len(batch))
    return n


def build_national(
    engine: Engine,
    *,
    host: PluginHost,
    today: dt.date,
    seed: int = 20190920,
    years: int = 3,
    provinces: list[str] | None = None,
    login: str | None = None,
    progress: Progress | None = None,
) -> NationalSummary:
    """Fill an empty database at national scale (see the module docstring). ``provinces`` limits it (tests)."""
    clock = time.perf_counter()
    summary = _Tally(path=engine.url.render_as_string(hide_password=True))
    prepare_database(engine, host=host, meta={DEMO_MARK: "1"})
    registry = registry_from(host)
    rng = random.Random(seed)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        session.merge(AppMeta(key=DEMO_MARK, value="1"))
        me = login or os_login()
        add_user(
            session, actor=SYSTEM, name=me, role="coordinator", os_login_name=me, display_name="演示协调人"
        )
        coordinator = Actor(me, "coordinator")
        load_divisions(session, actor=me)
        national_path = next(p for p in seed_files() if p.name == NATIONAL_SEED)
        national_id = import_policy(
            session, actor=coordinator, host=host, path=national_path, today=today
        ).policy_id
        national = session.get(Policy, national_id)
        assert national is not None
        national_tasks = [
            (
                t.id,
                t.number,
                t.text,
                t.position,
                [(r.agency_key, r.role) for r in t.responsibilities if r.agency_key],
            )
            for t in national.tasks
        ]
        drop_indexes(session)
    summary.seconds["setup"] = round(time.perf_counter() - clock, 2)

    tree = load()
    first_year = today.year - years + 1
    until = dt.date(today.year, 12, 31)
    with unit_of_work(factory) as session:
        calendar = working_calendar(session, first_year, today.year)
    rule = parse_rule(DEFAULT_CYCLE)
    agency_habit = {key: rng.uniform(0.85, 1.05) for key in registry.keys()}
    codes = provinces or [c for c, _n in PROVINCES if c in SHORT]
    names_cache: dict[tuple[str, str], str] = {}

    def dept(key: str, code: str, day: dt.date) -> str:
        if (key, code) not in names_cache:
            division = tree.by_code[code]
            names_cache[key, code] = department_name(
                registry.name_on(key, division.level, day), division.name
            )
        return names_cache[key, code]

    for number, code in enumerate(codes, start=1):
        t0 = time.perf_counter()
        with unit_of_work(factory) as session:
            ids = _Ids(session)
            issued = dt.date(first_year, 1, 1) + dt.timedelta(days=rng.randint(0, 80))
            occurrences = [
                (milestone_period(rule, o), o.due) for o in rule.occurrences(issued, until, calendar)
            ]
            policy_id = ids.take(Policy)
            province = tree.by_code[code]
            session.execute(
                insert(Policy.__table__),
                [
                    {
                        "id": policy_id,
                        "doc_number": f"{SHORT[code]}民发〔{first_year}〕{number}号",
                        "title": f"{province.name}关于加强农村留守妇女关爱服务工作的实施意见",
                        "issuers": [f"{province.name}民政厅"],
                        "jurisdiction_code": code,
                        "level": "province",
                        "issued": issued,
                        "status": "in_force",
                        "implements_id": national_id,
                        "implements_doc_number": national.doc_number,
                        "source_name": "national-demo",
                        "imported_at": local_noon_utc(issued),
                    }
                ],
            )
            task_rows: list[dict[str, Any]] = []
            link_rows: list[dict[str, Any]] = []
            parties: list[tuple[int, str, Role]] = []
            for national_task_id, num, body, position, task_parties in national_tasks:
                task_id = ids.take(Task)
                task_rows.append(
                    {
                        "id": task_id,
                        "policy_id": policy_id,
                        "section": None,
                        "number": num,
                        "text": body,
                        "position": position,
                        "schedule_hints": [],
                    }
                )
                link_rows.append(
                    {
                        "id": ids.take(TaskLink),
                        "child_task_id": task_id,
                        "parent_task_id": national_task_id,
                        "confidence": 1.0,
                        "confirmed": True,
                    }
                )
                parties += [(task_id, key, role) for key, role in task_parties]
            session.execute(insert(Task.__table__), task_rows)
            session.execute(insert(TaskLink.__table__), link_rows)
            summary.tasks += len(task_rows)

            targets = [code, *tree.descendants(code)]
            resp_rows: list[dict[str, Any]] = []
            capacity: dict[int, float] = {}
            for target in targets:
                county_capacity = rng.uniform(0.7, 1.0)
                for task_id, key, role in parties:
                    rid = ids.take(Responsibility)
                    capacity[rid] = min(1.0, county_capacity * agency_habit.get(key, 1.0))
                    resp_rows.append(
                        {
                            "id": rid,
                            "task_id": task_id,
                            "agency_key": key,
                            "name_as_written": dept(key, target, issued),
                            "jurisdiction_code": target,
                            "role": role,
                            "state": "assigned",
                            "version": 1,
                        }
                    )
            summary.responsibilities += _batched(session, Responsibility, iter(resp_rows), progress)
            summary.jurisdictions += len(targets)

            reports: list[dict[str, Any]] = []
            touched: dict[int, str] = {}

            history = _History(rng, ids, today, reports, touched, summary)
            summary.milestones += _batched(
                session, Milestone, _milestones(ids, resp_rows, occurrences, capacity, history), progress
            )
            summary.reports += _batched(session, Report, iter(reports), progress)
            for state in ("in_progress", "returned"):
                rids = [rid for rid, s in touched.items() if s == state]
                for start in range(0, len(rids), 900):
                    session.execute(
                        Responsibility.__table__.update()
                        .where(Responsibility.id.in_(rids[start : start + 900]))
                        .values(state=state)
                    )
        summary.provinces += 1
        summary.seconds[code] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    with unit_of_work(factory) as session:
        build_indexes(session)
        if engine.dialect.name == "sqlite":
            session.execute(text("ANALYZE"))
        audit.record(
            session,
            actor=login or os_login(),
            action="demo.generate_national",
            entity_type="database",
            entity_id="demo",
            after={k: v for k, v in asdict(summary).items() if k != "seconds"},
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    summary.seconds["indexes"] = round(time.perf_counter() - t0, 2)
    summary.seconds["total"] = round(time.perf_counter() - clock, 2)
    return NationalSummary(**asdict(summary))


def _milestones(
    ids: _Ids,
    resp_rows: list[dict[str, Any]],
    occurrences: list[tuple[str, dt.date]],
    capacity: dict[int, float],
    history: _History,
) -> Iterator[dict[str, Any]]:
    for resp in resp_rows:
        for period, due in occurrences:
            mid = ids.take(Milestone)
            first_report_on = history(resp, mid, due, capacity[resp["id"]])
            yield {
                "id": mid,
                "key": milestone_key(resp["task_id"], resp["id"], period),
                "task_id": resp["task_id"],
                "responsibility_id": resp["id"],
                "schedule_id": None,
                "period": period,
                "due_date": due,
                "effective_due_date": due,
                "first_report_on": first_report_on,
            }


@dataclass
class _History:
    rng: random.Random
    ids: _Ids
    today: dt.date
    reports: list[dict[str, Any]]
    touched: dict[int, str]
    summary: _Tally

    def __call__(self, resp: dict[str, Any], milestone_id: int, due: dt.date, care: float) -> dt.date | None:
        return _history(
            self.rng,
            self.ids,
            resp,
            milestone_id,
            due,
            self.today,
            care,
            self.reports,
            self.touched,
            self.summary,
        )


def _history(
    rng: random.Random,
    ids: _Ids,
    resp: dict[str, Any],
    milestone_id: int,
    due: dt.date,
    today: dt.date,
    care: float,
    reports: list[dict[str, Any]],
    touched: dict[int, str],
    summary: _Tally,
) -> dt.date | None:
    """Whether and when this milestone was reported, reviewed, returned and corrected; the first report's day.

    ``care`` (0.6–1) is the department's diligence: a lapse (fate above it) is a late report, or — when the
    due date is within the last 150 days — no report yet (red).
    """
    if due > today + dt.timedelta(days=30):
        return None
    fate = rng.random()
    if due >= today and fate < 0.6:
        return None  # not due yet: most are still open
    if due < today and fate > care + 0.04 and due > today - dt.timedelta(days=150):
        summary.unreported += 1
        return None  # a recent lapse: red
    late = due < today and fate > care
    day = due + dt.timedelta(days=rng.randint(1, 45)) if late else due - dt.timedelta(days=rng.randint(0, 20))
    if day > today:
        summary.unreported += due < today
        return None
    summary.late += late
    rid = resp["id"]
    review = day + dt.timedelta(days=rng.randint(1, 10))
    returned = review <= today and rng.random() < 0.05
    first = _report_row(ids.take(Report), rid, milestone_id, day, 1, rng, resp)
    if review <= today:
        first.update(
            review_state="returned" if returned else "accepted",
            reviewed_by="coordinator",
            reviewed_at=local_noon_utc(review),
            reviewed_on=review,
            review_reason=rng.choice(RETURN_REASONS) if returned else None,
        )
    reports.append(first)
    touched[rid] = "returned" if returned else "in_progress"
    if returned:
        summary.returned += 1
        fixed = review + dt.timedelta(days=rng.randint(3, 20))
        if fixed <= today - dt.timedelta(days=30):  # older returns were corrected
            first["is_current"] = False
            second = _report_row(ids.take(Report), rid, milestone_id, fixed, 2, rng, resp)
            second.update(
                review_state="accepted",
                reviewed_by="coordinator",
                reviewed_at=local_noon_utc(fixed + dt.timedelta(days=2)),
                reviewed_on=fixed + dt.timedelta(days=2),
            )
            reports.append(second)
            touched[rid] = "in_progress"
    return day


def _report_row(
    report_id: int,
    rid: int,
    milestone_id: int,
    day: dt.date,
    version: int,
    rng: random.Random,
    resp: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": report_id,
        "responsibility_id": rid,
        "milestone_id": milestone_id,
        "text": rng.choice(PROGRESS_TEXTS),
        "indicators": {},
        "attachments": [],
        "submitted_by": f"{resp['agency_key']}_{resp['jurisdiction_code']}",
        "submitted_at": local_noon_utc(day),
        "submitted_on": day,
        "review_state": "submitted",
        "review_reason": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "reviewed_on": None,
        "version": version,
        "is_current": True,
    }
