"""``duban demo``: a fresh embedded database with the five seed policies and plausible history.

Everything random comes from one ``random.Random(seed)``, so the same seed and the same "today" give the
same database. Reports, reviews and extensions are synthetic; they are written in bulk (not through the
report service, which would take minutes), then journaled like real work: every 签收, report, review,
extension request and decision gets its audit event (the action a service would record, by the department user
or the coordinator, at the moment it happened), in the order it happened, after the imports' events; the
generation itself is one more event (``demo.generate``).

The demo shows the whole 督办 loop, whatever "today" is: reports awaiting 复核, extension requests awaiting
审批, duties not yet 签收 on the newest policy, a task whose every duty is 办结 (a final report accepted),
and — when built with a ``folder`` — a configuration file beside the database whose notification routes
write into ``<folder>/通知/``, with one ``duban notify`` pass already run.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import tempfile
from collections.abc import Mapping, Set
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.progress import ProgressCallback
from duban.domain.vocabulary import (
    ExtensionState,
    PolicyStatus,
    ResponsibilityState,
    ReviewState,
    Role,
)
from duban.errors import ValidationError
from duban.hookspecs import IndicatorSpec, ReportContext
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.calendar import calendar_around
from duban.services.clock import DEFAULT_TZ, local_noon_utc
from duban.services.identity import SYSTEM, Actor, add_user, os_login
from duban.services.importing import import_policy
from duban.services.reports import indicator_specs_for
from duban.services.scheduling import confirm_schedule, generate_milestones, propose_schedules
from duban.services.setup import prepare_database
from duban.services.supervision import set_supervision_start
from duban.services.templates import bound_templates, confirm_binding, propose_template_bindings
from duban.storage.db import session_factory, unit_of_work
from duban.storage.models import (
    AppMeta,
    Extension,
    Finding,
    Milestone,
    Policy,
    Report,
    Responsibility,
    Task,
    TemplateBinding,
)
from duban.testing_points import pause

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
#: at least this many reports wait for 复核 and extension requests for 审批 in every demo
AWAITING_REVIEW = 6
AWAITING_DECISION = 3
#: the last tasks of the newest policy in force are left unsigned (签收), their duties untouched
UNSIGNED_TASKS = 2
#: the demo's configuration file and notification folder, beside the database
CONFIG_NAME = "duban-demo.toml"
SINK_NAME = "通知"
#: (receiver tag set, sub-folder of the sink): the coordinator and the departments of the demo users
DEMO_ROUTES = (
    ("妇儿工委办（协调人）", ("coordinator",)),
    ("云南省民政厅", ("minzheng", "jur-530000")),
    ("云南省妇联", ("fulian", "jur-530000")),
    ("云南省人力资源和社会保障厅", ("renshe", "jur-530000")),
    ("吉林省民政厅", ("minzheng", "jur-220000")),
)
#: ``duban notify`` runs on this many working days up to today (overdue items repeat every 3 working days,
#: so every department with overdue work gets a digest)
NOTIFY_PASSES = 3
_SINK_FILE = re.compile(r"^\d{6}-.+-\d+\.json$")


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
    awaiting_review: int = 0  #: current reports awaiting 复核
    awaiting_decision: int = 0  #: extension requests awaiting 审批
    unsigned: int = 0  #: duties not yet 签收 (policies in force)
    closed_tasks: tuple[int, ...] = ()  #: tasks whose every duty is 办结
    bound_tasks: int = 0  #: tasks bound to an agency template
    findings: int = 0  #: findings of the agencies' checks on the synthetic reports
    config: str | None = None  #: the demo's configuration file (``duban --config FILE …``)
    sink: str | None = None  #: the folder the notification routes write into
    notify_day: dt.date | None = None  #: the working day the demo's ``duban notify`` pass ran for
    messages: int = 0  #: outbox messages that pass delivered
    files: int = 0  #: message files in the sink folder


@dataclass
class _Tally:
    """The counts of :class:`DemoSummary` while the history is generated."""

    reports: int = 0
    returned: int = 0
    extensions: int = 0
    closed: int = 0
    users: list[str] = field(default_factory=list)
    awaiting_review: int = 0
    awaiting_decision: int = 0
    unsigned: int = 0
    closed_tasks: list[int] = field(default_factory=list)
    bound_tasks: int = 0
    findings: int = 0


def seed_files() -> list[Path]:
    folder = resources.files("duban.demo.seeds")
    return [Path(str(folder.joinpath(name))) for name in SEED_ORDER]


def is_demo_database(engine: Engine) -> bool:
    """Whether ``duban demo`` made this database. The mark is written in the transaction that creates the
    schema, so a demo killed half way (after that commit) is still recognised as one."""
    try:
        with session_factory(engine)() as session:
            row = session.get(AppMeta, DEMO_MARK)
            return row is not None and row.value == "1"
    except Exception:  # not a duban database at all (or an older schema): not a demo one
        return False


def _holds_nothing(engine: Engine) -> bool:
    """An SQLite file without a single table (e.g. a demo killed before its schema was committed)."""
    try:
        with engine.connect() as conn:
            return not conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except Exception:  # not an SQLite database: it holds something that is not ours
        return False


def check_can_replace(path: Path) -> None:
    """Refuse to overwrite a file that is not a demo database (an empty file, or an SQLite database without
    any table, holds nothing to lose: it is replaced too)."""
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    from duban.config import sqlite_url
    from duban.storage.db import make_engine

    engine = make_engine(sqlite_url(path))
    try:
        demo = is_demo_database(engine) or _holds_nothing(engine)
    finally:
        engine.dispose()
    if not demo:
        raise ValidationError(
            f"{path} 已存在且不是演示数据库：duban demo 不会覆盖它，请用 --db 指定另一个文件"
        )


def build_demo(
    engine: Engine,
    *,
    host: PluginHost,
    today: dt.date,
    seed: int = DEMO_SEED,
    login: str | None = None,
    folder: Path | None = None,
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Fill an empty database: seeds, users, schedules, milestones, 2020–today history and the open loop
    (reviews, extensions, 签收, a closed task). With ``folder`` (the database's folder), also write the
    demo's configuration file there and run one ``duban notify`` pass into ``folder/通知/``.

    ``progress`` hears of each step: the schema, each seed document, and the steps after them."""
    seeds = seed_files()
    step = progress or _no_progress
    step(0, 9 + len(seeds) + (1 if folder is not None else 0))
    # the demo mark goes in with the schema (one transaction): a demo killed at any later point is still
    # recognised as one, and its rerun rebuilds it
    prepare_database(engine, host=host, meta={DEMO_MARK: "1"})
    step(1)
    factory = session_factory(engine)
    summary = _Tally()
    rng = random.Random(seed)
    with unit_of_work(factory) as session:
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
        policy_ids = []
        for path in seeds:
            result = import_policy(session, actor=coordinator, host=host, path=path, today=today)
            assert result.policy_id is not None
            policy_ids.append(result.policy_id)
            step(1)
        for policy in list(session.scalars(select(Policy).where(Policy.id.in_(policy_ids)))):
            if policy.issued:  # the demo's story: each document was imported soon after it was issued
                policy.imported_at = local_noon_utc(min(policy.issued + dt.timedelta(days=10), today))
                # the demo shows years of history: each document is supervised from the day it was issued
                # (a real import starts on the import day, or on --from)
                set_supervision_start(session, actor=coordinator, policy_id=policy.id, start=policy.issued)
        summary.bound_tasks = _bind_templates(session, coordinator, host)
        step(1)
        for policy_id in policy_ids:
            proposed = propose_schedules(session, actor=coordinator, policy_id=policy_id)
            for row in proposed.proposed:
                confirm_schedule(session, actor=coordinator, schedule_id=row.id)
        step(1)
        generate_milestones(session, actor=coordinator, until=dt.date(today.year, 12, 31), today=today)
        step(1)
        unsigned = _unsigned(session)
        summary.unsigned = len(unsigned)
        bound = _template_specs(session, host)
        _history(session, rng, today, summary, skip=unsigned, bound=bound)
        step(1)
        _closed_task(session, rng, today, summary, skip=unsigned)
        _awaiting_review(session, summary, skip=unsigned)
        _awaiting_decision(session, rng, today, summary, skip=unsigned)
        step(1)
        _check_reports(session, host, summary, bound)
        step(1)
        _journal_history(session, coordinator.name)
        step(1)
        demo = DemoSummary(
            path=engine.url.render_as_string(hide_password=True),
            policies=tuple(
                DemoPolicy(p.doc_number, p.title, PolicyStatus(p.status))
                for p in session.scalars(select(Policy).order_by(Policy.issued))
            ),
            milestones=session.scalar(select(func.count()).select_from(Milestone)) or 0,
            **{
                **asdict(summary),
                "users": tuple(summary.users),
                "closed_tasks": tuple(summary.closed_tasks),
            },
        )
        audit.record(
            session,
            actor=coordinator.name,
            action="demo.generate",
            entity_type="database",
            entity_id="demo",
            after={k: v for k, v in demo.to_json().items() if k != "policies"},
        )
        pause("demo.before_commit")
    step(1)
    if folder is None:
        return demo
    notified = _with_notifications(demo, engine, folder, today)
    step(1)
    return notified


def _no_progress(advance: int, /, total: int | None = None) -> None:
    """The progress callback of a caller that passed none."""


# --------------------------------------------------------------------------- templates


def _bind_templates(session: Session, coordinator: Actor, host: PluginHost) -> int:
    """Bind the imported tasks to the agencies' templates as a coordinator confirming every proposal would
    (``duban template propose`` then ``template confirm --all``); the number of tasks bound."""
    proposed = propose_template_bindings(session, actor=coordinator, host=host)
    for row in proposed.proposed:
        confirm_binding(session, actor=coordinator, host=host, binding_id=row.id)
    return len({row.task for row in proposed.proposed})


def _template_specs(
    session: Session, host: PluginHost
) -> dict[tuple[int, str], tuple[str, dict[str, IndicatorSpec]]]:
    """(task id, agency) → (the first template bound, the indicators its reports carry)."""
    task_ids = list(session.scalars(select(TemplateBinding.task_id).distinct()))
    out: dict[tuple[int, str], tuple[str, dict[str, IndicatorSpec]]] = {}
    for (task_id, agency), keys in bound_templates(session, task_ids).items():
        out[(task_id, agency)] = (keys[0], indicator_specs_for(host, agency, keys[0]))
    return out


def _indicators(specs: Mapping[str, IndicatorSpec], day: dt.date, rng: random.Random) -> dict[str, Any]:
    """Plausible values for a template's indicators; now and then one that an agency's check flags (a
    count of 0, a 否), so that the demo has findings to show."""
    values: dict[str, Any] = {}
    slip = rng.random() < 0.08
    for key, spec in specs.items():
        if spec.type == "int":
            whole = values.get(spec.part_of) if spec.part_of else None
            top = whole if isinstance(whole, int) else rng.choice((40, 120, 600, 2400))
            values[key] = (
                rng.randint(0, max(top // 3, 1)) if spec.part_of else rng.randint(max(top // 4, 1), top)
            )
        elif spec.type == "float":
            values[key] = round(rng.uniform(1, 50), 1)
        elif spec.type == "bool":
            values[key] = True
        elif spec.type == "date":  # e.g. the day the 台账 was last updated: shortly before the report
            values[key] = (day - dt.timedelta(days=rng.randint(0, 20))).isoformat()
        else:
            values[key] = "已按要求完成"
    slippable = sorted(k for k, v in values.items() if isinstance(v, int))  # bools are ints too
    if slip and slippable:
        key = rng.choice(slippable)
        value = values[key]
        if isinstance(value, bool):
            values[key] = False
        elif isinstance(value, int):
            values[key] = 0
            for part, spec in specs.items():
                if spec.part_of == key and isinstance(values.get(part), int):
                    values[part] = 0
    return values


def _check_reports(
    session: Session,
    host: PluginHost,
    summary: _Tally,
    bound: Mapping[tuple[int, str], tuple[str, dict[str, IndicatorSpec]]],
) -> None:
    """Run the agencies' report checks on the synthetic reports of bound tasks and store what they find
    (as :func:`duban.services.reports.submit_report` does). A report a check would have refused (an error)
    keeps the finding: the demo's reports were filed before the check existed."""
    rows = session.execute(
        select(Report, Responsibility.agency_key, Responsibility.task_id, Milestone.effective_due_date)
        .join(Responsibility, Responsibility.id == Report.responsibility_id)
        .outerjoin(Milestone, Milestone.id == Report.milestone_id)
        .order_by(Report.id)
    ).all()
    for report, agency, task_id, due in rows:
        if (task_id, agency or "") not in bound:
            continue
        template, specs = bound[(task_id, agency or "")]
        context = ReportContext(
            agency=agency or "",
            template=template,
            indicators=report.indicators,
            text=report.text,
            due_date=due,
            submitted_on=report.submitted_on,
            indicator_specs=specs,
        )
        for plugin, found in host.check_report(context):
            session.add(
                Finding(
                    responsibility_id=report.responsibility_id,
                    report_id=report.id,
                    milestone_id=report.milestone_id,
                    plugin=plugin,
                    code=found.code,
                    severity=found.severity,
                    message=found.message,
                    created_at=report.submitted_at,
                )
            )
            summary.findings += 1
    session.flush()


# --------------------------------------------------------------------------- history


def _history(
    session: Session,
    rng: random.Random,
    today: dt.date,
    summary: _Tally,
    *,
    skip: Set[int] = frozenset(),
    bound: Mapping[tuple[int, str], tuple[str, dict[str, IndicatorSpec]]] | None = None,
) -> None:
    """Reports, late items, returned reports, extensions and closings for milestones due up to today.

    Responsibilities in ``skip`` (left unsigned) get nothing; reports on the tasks of ``bound`` (task id →
    template key and indicators, :func:`_template_specs`) carry the template's indicators."""
    bound = bound or {}
    rows = session.execute(
        select(Milestone, Responsibility)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
        .order_by(Milestone.due_date, Milestone.id)
    ).all()
    diligence: dict[int, float] = {}
    for milestone, resp in rows:
        if resp.id in skip:
            continue
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
        template = bound.get((resp.task_id, resp.agency_key or ""))
        first = _report(resp, milestone, day, 1, rng, template)
        session.add(first)
        summary.reports += 1
        if resp.acknowledged_at is None:  # reporting implies 签收 (on the day of the first report at latest)
            resp.acknowledged_at = local_noon_utc(day - dt.timedelta(days=rng.randint(0, 5)))
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
            second = _report(resp, milestone, fixed_day, 2, rng, template)
            _review(second, fixed_day + dt.timedelta(days=2), False, rng)
            session.add(second)
            summary.reports += 1
            resp.state = ResponsibilityState.IN_PROGRESS
    session.flush()
    _closings(session, rng, today, summary, skip=skip)


def _report(
    resp: Responsibility,
    milestone: Milestone | None,
    day: dt.date,
    version: int,
    rng: random.Random,
    template: tuple[str, dict[str, IndicatorSpec]] | None = None,
    *,
    text: str | None = None,
) -> Report:
    return Report(
        responsibility_id=resp.id,
        milestone_id=milestone.id if milestone else None,
        text=text or rng.choice(PROGRESS_TEXTS),
        indicators=_indicators(template[1], day, rng) if template else {},
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


def _closings(
    session: Session, rng: random.Random, today: dt.date, summary: _Tally, *, skip: Set[int] = frozenset()
) -> None:
    """Close about one lead responsibility in ten (办结 accepted), after its last report."""
    leads = session.scalars(
        select(Responsibility).where(Responsibility.role == "lead").order_by(Responsibility.id)
    )
    last_report = dict(
        session.execute(
            select(Report.responsibility_id, func.max(Report.submitted_on)).group_by(Report.responsibility_id)
        ).all()
    )
    for resp in leads:
        if rng.random() < 0.1 and resp.id not in skip:
            closed_on = today - dt.timedelta(days=rng.randint(30, 300))
            reported = last_report.get(resp.id)
            if reported is not None and reported >= closed_on:  # 办结 follows the last report
                closed_on = reported + dt.timedelta(days=rng.randint(3, 20))
                if closed_on > today - dt.timedelta(days=7):
                    continue
            final = _report(  # 办结 as in real work: a final report (申请办结), accepted
                resp,
                None,
                closed_on - dt.timedelta(days=3),
                1,
                rng,
                text="本项工作已完成，申请办结。",
            )
            _review(final, closed_on, False, rng)
            session.add(final)
            summary.reports += 1
            resp.state, resp.closed_on = ResponsibilityState.CLOSED, closed_on
            summary.closed += 1


# --------------------------------------------------------------------------- the journal


def _journal_history(session: Session, coordinator: str) -> None:
    """The audit events of the synthetic history, in the order it happened (see the module docstring)."""
    session.flush()
    for model, column in ((Report, Report.reviewed_by), (Extension, Extension.decided_by)):
        session.execute(update(model).where(column == "coordinator").values({column.key: coordinator}))
    events: list[tuple[tuple[dt.datetime, int, int], audit.PastEvent]] = []

    def add(at: dt.datetime, order: int, row: int, event: audit.PastEvent) -> None:
        events.append(((at, order, row), event))

    department = Responsibility.agency_key + "_" + Responsibility.jurisdiction_code
    for resp_id, task_id, acked, who in session.execute(
        select(Responsibility.id, Responsibility.task_id, Responsibility.acknowledged_at, department).where(
            Responsibility.acknowledged_at.is_not(None)
        )
    ):
        if acked is None or who is None:
            continue
        add(
            acked,
            0,
            resp_id,
            audit.PastEvent(
                acked,
                who,
                "responsibility.acknowledge",
                "responsibility",
                str(resp_id),
                task_id,
                {"state": "assigned"},
                {"state": "acknowledged"},
            ),
        )
    codes: dict[int, list[str]] = {}
    for report_id, code in session.execute(
        select(Finding.report_id, Finding.code).where(Finding.report_id.is_not(None))
    ):
        if report_id is not None:
            codes.setdefault(report_id, []).append(code)
    for report, task_id in session.execute(
        select(Report, Responsibility.task_id).join(
            Responsibility, Responsibility.id == Report.responsibility_id
        )
    ):
        final = report.milestone_id is None
        add(
            report.submitted_at,
            1,
            report.id,
            audit.PastEvent(
                report.submitted_at,
                report.submitted_by,
                "report.submit",
                "report",
                str(report.id),
                task_id,
                None,
                {
                    "responsibility": report.responsibility_id,
                    "version": report.version,
                    "milestone": report.milestone_id,
                    "final": final,
                    "indicators": report.indicators,
                    "findings": codes.get(report.id, []),
                },
            ),
        )
        if report.reviewed_at is not None and report.reviewed_by is not None:
            accepted = report.review_state == ReviewState.ACCEPTED
            add(
                report.reviewed_at,
                2,
                report.id,
                audit.PastEvent(
                    report.reviewed_at,
                    report.reviewed_by,
                    "report.accept" if accepted else "report.return",
                    "report",
                    str(report.id),
                    task_id,
                    {"report": "submitted"},
                    {"report": report.review_state, "reason": report.review_reason, "final": final},
                ),
            )
    for ext, task_id in session.execute(
        select(Extension, Milestone.task_id).join(Milestone, Milestone.id == Extension.milestone_id)
    ):
        add(
            ext.requested_at,
            1,
            ext.id,
            audit.PastEvent(
                ext.requested_at,
                ext.requested_by,
                "extension.request",
                "extension",
                str(ext.id),
                task_id,
                None,
                {
                    "milestone": ext.milestone_id,
                    "new_date": ext.new_date.isoformat(),
                    "reason": ext.reason,
                    "progress": ext.progress,
                },
            ),
        )
        if ext.decided_at is not None and ext.decided_by is not None:
            approved = ext.state == ExtensionState.APPROVED
            add(
                ext.decided_at,
                2,
                ext.id,
                audit.PastEvent(
                    ext.decided_at,
                    ext.decided_by,
                    "extension.approve" if approved else "extension.refuse",
                    "extension",
                    str(ext.id),
                    task_id,
                    {"state": "pending"},
                    {"state": ext.state, "reason": ext.decision_reason},
                ),
            )
    events.sort(key=lambda pair: pair[0])
    audit.record_many(session, (event for _key, event in events))


# --------------------------------------------------------------------------- the open loop


def _in_force(stmt: Any) -> Any:
    """Only duties of the policies in force (drafts are not supervised) and not yet closed."""
    return (
        stmt.join(Task, Task.id == Responsibility.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            Policy.status == PolicyStatus.IN_FORCE,
            Policy.superseded_by_id.is_(None),
            Responsibility.closed_on.is_(None),
            Responsibility.agency_key.is_not(None),
        )
    )


def _unsigned(session: Session) -> set[int]:
    """The duties of the last :data:`UNSIGNED_TASKS` tasks of the newest policy in force: nobody has
    signed for them (签收), so they stay 交办 and get no history."""
    newest = session.scalar(
        select(Policy.id)
        .where(Policy.status == PolicyStatus.IN_FORCE, Policy.superseded_by_id.is_(None))
        .order_by(Policy.issued.desc(), Policy.id.desc())
        .limit(1)
    )
    chosen: set[int] = set()
    taken = 0
    for task_id in session.scalars(
        select(Task.id).where(Task.policy_id == newest).order_by(Task.position.desc())
    ):
        duties = set(
            session.scalars(
                select(Responsibility.id).where(
                    Responsibility.task_id == task_id, Responsibility.agency_key.is_not(None)
                )
            )
        )
        if duties:
            chosen |= duties
            taken += 1
            if taken == UNSIGNED_TASKS:
                break
    return chosen


def _closed_task(
    session: Session, rng: random.Random, today: dt.date, summary: _Tally, *, skip: Set[int]
) -> None:
    """办结 one whole task of the oldest policy in force, a week ago: each of its duties (two or more, a lead
    among them) files a final report (申请办结) that the coordinator accepts. The task shows 已办结."""
    closed_on = today - dt.timedelta(days=7)
    candidates = session.execute(
        _in_force(select(Task.id, Policy.issued, Task.position, func.count(Responsibility.id)))
        .group_by(Task.id, Policy.issued, Task.position)
        .having(
            func.count(Responsibility.id) >= 2,
            func.sum(case((Responsibility.role == Role.LEAD, 1), else_=0)) >= 1,
        )
        .order_by(Policy.issued, Task.position)
    ).all()
    for task_id, *_rest in candidates:
        duties = list(
            session.scalars(
                select(Responsibility).where(Responsibility.task_id == task_id).order_by(Responsibility.id)
            )
        )
        if any(r.id in skip or r.agency_key is None or r.closed_on is not None for r in duties):
            continue
        if any(r.state == ResponsibilityState.RETURNED for r in duties):
            continue  # a task with a report sent back is not the one to show as finished
        for resp in duties:
            for pending in session.scalars(
                select(Report).where(
                    Report.responsibility_id == resp.id, Report.review_state == ReviewState.SUBMITTED
                )
            ):
                _review(pending, min(closed_on, pending.submitted_on + dt.timedelta(days=2)), False, rng)
            final = _report(
                resp,
                None,
                closed_on - dt.timedelta(days=3),
                1,
                rng,
                text="任务已全面完成，申请办结：相关制度已建立并常态化运行，台账资料齐全。",
            )
            _review(final, closed_on, False, rng)
            session.add(final)
            summary.reports += 1
            resp.state, resp.closed_on = ResponsibilityState.CLOSED, closed_on
            if resp.acknowledged_at is None:
                resp.acknowledged_at = local_noon_utc(closed_on - dt.timedelta(days=30))
            summary.closed += 1
        summary.closed_tasks.append(task_id)
        session.flush()
        return


def _awaiting_review(session: Session, summary: _Tally, *, skip: Set[int]) -> None:
    """At least :data:`AWAITING_REVIEW` current reports wait for 复核: the newest accepted reports of open
    duties become not yet reviewed (the coordinator has not got to them)."""
    waiting = select(func.count()).select_from(
        _in_force(select(Report.id).join(Responsibility, Responsibility.id == Report.responsibility_id))
        .where(Report.review_state == ReviewState.SUBMITTED, Report.is_current.is_(True))
        .subquery()
    )
    have = session.scalar(waiting) or 0
    if have < AWAITING_REVIEW:
        newest = session.scalars(
            _in_force(select(Report).join(Responsibility, Responsibility.id == Report.responsibility_id))
            .where(
                Report.review_state == ReviewState.ACCEPTED,
                Report.is_current.is_(True),
                Report.version == 1,
                Report.milestone_id.is_not(None),
                Responsibility.id.not_in(skip) if skip else Responsibility.id.is_not(None),
            )
            .order_by(Report.submitted_on.desc(), Report.id.desc())
            .limit(AWAITING_REVIEW - have)
        )
        for report in newest:
            report.review_state = ReviewState.SUBMITTED
            report.review_reason = report.reviewed_by = report.reviewed_at = report.reviewed_on = None
        session.flush()
    summary.awaiting_review = session.scalar(waiting) or 0


def _awaiting_decision(
    session: Session, rng: random.Random, today: dt.date, summary: _Tally, *, skip: Set[int]
) -> None:
    """:data:`AWAITING_DECISION` extension requests (on different tasks) wait for 审批: on the open
    milestones due next, or, when none is due from today on, on the latest overdue ones."""
    open_milestones = (
        _in_force(select(Milestone).join(Responsibility, Responsibility.id == Milestone.responsibility_id))
        .where(
            Milestone.first_report_on.is_(None),
            ~select(Extension.id).where(Extension.milestone_id == Milestone.id).exists(),
            Responsibility.id.not_in(skip) if skip else Responsibility.id.is_not(None),
        )
        .limit(500)
    )
    upcoming = session.scalars(
        open_milestones.where(Milestone.effective_due_date >= today).order_by(
            Milestone.effective_due_date, Milestone.id
        )
    ).all()
    overdue = session.scalars(
        open_milestones.where(Milestone.effective_due_date < today).order_by(
            Milestone.effective_due_date.desc(), Milestone.id
        )
    ).all()
    tasks: set[int] = set()
    for milestone in [*upcoming, *overdue]:
        if len(tasks) == AWAITING_DECISION:
            break
        if milestone.task_id in tasks:
            continue
        tasks.add(milestone.task_id)
        resp = session.get(Responsibility, milestone.responsibility_id)
        assert resp is not None
        asked = min(today, milestone.effective_due_date) - dt.timedelta(days=rng.randint(1, 4))
        session.add(
            Extension(
                milestone_id=milestone.id,
                requested_by=f"{resp.agency_key}_{resp.jurisdiction_code}",
                requested_at=local_noon_utc(asked),
                reason=rng.choice(
                    (
                        "县级台账数据尚未汇总完毕，需核实后报送",
                        "“两癌”筛查结果待医疗机构反馈",
                        "春节前后集中走访，统计工作顺延",
                    )
                ),
                progress="已完成约六成，预计两周内报齐",
                new_date=milestone.effective_due_date + dt.timedelta(days=rng.choice((15, 30))),
                state=ExtensionState.PENDING,
            )
        )
        summary.extensions += 1
    session.flush()
    summary.awaiting_decision = len(tasks)


# --------------------------------------------------------------------------- notifications


def demo_config_text(db_url: str, sink: Path) -> str:
    """The demo's ``duban.toml``: its database and one ``file://`` route per receiver into ``sink``."""
    import tomli_w

    data = {
        "database": {"url": db_url},
        "notify": {
            "routes": [
                {"name": f"{name}（演示收件夹）", "url": f"file://{sink / name}", "tags": list(tags)}
                for name, tags in DEMO_ROUTES
            ]
        },
    }
    return (
        "# duban demo 生成的演示配置：重建演示数据库时覆盖。\n"
        "# 用法：duban --config 本文件 inbox | notify | notify log | dashboard\n"
        "# 通知渠道是本机文件夹（file://），每条消息一个 JSON 文件，见 docs/notifications.md。\n\n"
        + tomli_w.dumps(data)
    )


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _clear_sink(sink: Path) -> None:
    """Remove the message files an earlier demo wrote (only files named as the sink names them)."""
    if not sink.is_dir():
        return
    for sub in sink.iterdir():
        if sub.is_dir():
            for f in sub.iterdir():
                if f.is_file() and _SINK_FILE.match(f.name):
                    f.unlink()


def _with_notifications(demo: DemoSummary, engine: Engine, folder: Path, today: dt.date) -> DemoSummary:
    """Write ``folder/duban-demo.toml`` and run ``duban notify`` (at 10:00) on the last
    :data:`NOTIFY_PASSES` working days up to ``today``, into ``folder/通知/``."""
    from dataclasses import replace

    from duban.config import load_settings
    from duban.notify import load_notify_config
    from duban.services.notifications import run_notifications

    folder.mkdir(parents=True, exist_ok=True)
    sink = folder / SINK_NAME
    config_path = folder / CONFIG_NAME
    _write_atomic(config_path, demo_config_text(engine.url.render_as_string(hide_password=False), sink))
    _clear_sink(sink)
    config = load_notify_config(load_settings(config_path))
    factory = session_factory(engine)
    with factory() as session:
        cal = calendar_around(session, today)
    days = [cal.previous_working_day(today)]
    while len(days) < NOTIFY_PASSES:
        days.insert(0, cal.previous_working_day(days[0], include_today=False))
    sent = 0
    for day in days:
        now = dt.datetime.combine(day, dt.time(10), ZoneInfo(DEFAULT_TZ)).astimezone(dt.UTC)
        report = run_notifications(factory, config=config, as_of=day, now=now)
        sent += sum(1 for s in report.sent if s.state == "sent")
    files = sum(1 for f in sink.rglob("*.json") if _SINK_FILE.match(f.name)) if sink.is_dir() else 0
    return replace(
        demo, config=str(config_path), sink=str(sink), notify_day=days[-1], messages=sent, files=files
    )
