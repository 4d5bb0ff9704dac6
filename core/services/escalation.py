"""The escalation ladder (升级督办): red items are escalated, and escalated again while they stay red.

Planned inside a notify run (:func:`duban.services.notifications.plan_messages` calls :func:`plan_ladder`
in its transaction). On a working day D, for every open milestone that is red (overdue at least
``escalate_after`` working days):

- without a 督办单: the item is escalated — a numbered 督办单 (:class:`~duban.storage.models.SupervisionNotice`,
  rung 1, 黄) is issued, the coordinator's escalation notice lists it, the department's leadership route
  (if one is configured) is told, and the department's digest goes out that day naming the 督办单. This is
  also what happens to the backlog on the first run: every red item is escalated, whatever its age;
- with an open 督办单: the coordinator is told again once ``coordinator_every`` working days have passed
  since the last time (the rung goes up: 橙, then 红), the department's leadership once ``leadership_every``
  working days have passed since it was last told;
- a 督办单 whose item is no longer red (reported, extended, closed) is resolved; if the item turns red again
  the ladder resumes one rung higher.

Nothing is escalated without a coordinator route: the 督办单 is issued only together with the coordinator's
message, so the words "已升级督办" in a digest are true exactly when a 督办单 exists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from duban.domain.vocabulary import AlertLevel, MessageKind, NoticeColor, Role
from duban.notify import COORDINATOR, NotifyConfig
from duban.notify.digest import FOOTER, DigestItem, cn_date
from duban.notify.rules import Calendar
from duban.storage.models import Milestone, SupervisionNotice

T = TypeVar("T")

DEFAULT_REQUIREMENT = (
    "请于办理时限前报送办理进展（duban report submit），并书面反馈未按期报送的原因、整改措施和完成时间；"
    "收到本督办单后请签收（duban notice sign）。"
)
#: an escalation notice lists at most this many items (the most overdue), then counts per department
LISTED_MAX = 200
DEPARTMENTS_MAX = 100
#: transaction-scoped PostgreSQL advisory lock serialising the ladder of overlapping notify runs
LADDER_LOCK_KEY = 0x6475_6C64  # "duld"
#: routes tagged ``leader`` receive the weekly leader digest and the monthly 督办通报 (``tag:leader``)
LEADER_RECEIVER = "tag:leader"


@dataclass(frozen=True)
class LadderConfig:
    """``[notify.escalation]``: the ladder's cadence (working days) and the 督办单's wording."""

    coordinator_every: int = 5
    leadership_every: int = 10
    notice_days: int = 5
    requirement: str = DEFAULT_REQUIREMENT
    weekly: bool = True
    monthly: bool = True


def load_ladder_config(settings: Any) -> LadderConfig:
    """The ``[notify.escalation]`` table of the effective settings (shipped defaults documented there)."""
    d = LadderConfig()
    return LadderConfig(
        coordinator_every=int(settings.get("notify.escalation.coordinator_every", d.coordinator_every)),
        leadership_every=int(settings.get("notify.escalation.leadership_every", d.leadership_every)),
        notice_days=int(settings.get("notify.escalation.notice_days", d.notice_days)),
        requirement=str(settings.get("notify.escalation.requirement", "") or d.requirement),
        weekly=bool(settings.get("notify.escalation.weekly", d.weekly)),
        monthly=bool(settings.get("notify.escalation.monthly", d.monthly)),
    )


def notice_label(year: int, number: int) -> str:
    """督〔2026〕第3号"""
    return f"督〔{year}〕第{number}号"


@dataclass(frozen=True)
class LadderMessage:
    """A message the ladder wants in the outbox (the run inserts it with its idempotency key)."""

    key: str
    receiver: str
    level: AlertLevel
    subject: str
    body: str
    period: dt.date

    @property
    def kind(self) -> MessageKind:
        return MessageKind(self.key.split("|", 1)[0])


@dataclass(frozen=True)
class LadderStep:
    """One escalated item of today's run: the item, its 督办单 and what happened (``new`` or ``again``)."""

    item: DigestItem
    notice: str
    color: NoticeColor
    rung: int
    issued_on: dt.date
    signed: bool
    what: str


@dataclass
class LadderPlan:
    """What the ladder decided on one run day."""

    messages: list[LadderMessage] = field(default_factory=list)
    #: milestone id → 督办单 label, for every red item with an open 督办单 (the digest names it)
    notices: dict[int, str] = field(default_factory=dict)
    #: milestones escalated for the first time today (their department's digest goes out today)
    new: set[int] = field(default_factory=set)
    steps: list[LadderStep] = field(default_factory=list)


def _chunks(values: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _matter(item: DigestItem) -> str:
    text = " ".join(item.task_text.split())
    return f"{item.policy} 任务{item.task}（{item.period}期）：{text}"


def _step_lines(step: LadderStep, *, for_department_leader: bool) -> list[str]:
    item = step.item
    what = "新下发督办单" if step.what == "new" else f"第 {step.rung} 次督办"
    signed = "已签收" if step.signed else "未签收"
    head = (
        f"  {step.notice}［{step.color.label}］ {item.policy} 任务{item.task}（{Role(item.role).label}）"
        f" {item.period}期"
    )
    lines = [
        head,
        f"      应于 {item.due.isoformat()} 报送，已逾期 {item.days_overdue} 个工作日；{what}"
        f"（首次督办 {step.issued_on.isoformat()}，{signed}）",
    ]
    if not for_department_leader:
        lines.append(
            f"      部门办理：duban report submit {item.responsibility_id} --milestone {item.milestone_id}"
        )
    return lines


def ladder_notice(
    day: dt.date, steps: Sequence[LadderStep], *, escalate_after: int, leadership_of: str | None = None
) -> tuple[str, str]:
    """The coordinator's (or a department leadership's) escalation notice: what was escalated today."""
    new = sum(1 for s in steps if s.what == "new")
    again = len(steps) - new
    counts = "，".join(
        p for p in (f"新升级 {new} 项" if new else "", f"再次督办 {again} 项" if again else "") if p
    )
    ordered = sorted(steps, key=lambda s: (-s.item.days_overdue, s.notice))
    counts_by: dict[str, int] = defaultdict(int)
    for s in ordered:
        counts_by[s.item.department] += 1
    by_department: dict[str, list[LadderStep]] = defaultdict(list)
    for s in ordered[:LISTED_MAX]:  # a national backlog is hundreds of thousands: the worst are listed
        by_department[s.item.department].append(s)
    if leadership_of:
        subject = f"【督办·{AlertLevel.RED.label}】{leadership_of}：{counts}（{day.isoformat()}）"
        intro = (
            f"截至{cn_date(day)}，{leadership_of}以下事项逾期已满 {escalate_after} 个工作日仍未报送，"
            f"已下发督办单（{counts}），请督促办理。"
        )
    else:
        subject = (
            f"【督办·{AlertLevel.RED.label}】升级督办：{len(counts_by)} 个部门，{counts}（{day.isoformat()}）"
        )
        intro = (
            f"截至{cn_date(day)}，以下事项逾期已满 {escalate_after} 个工作日仍未报送，按规则升级督办"
            f"（{counts}）。"
        )
    lines = [intro, ""]
    for department, group in by_department.items():
        if not leadership_of:
            lines.append(f"【{department}】")
        for s in group:
            lines += _step_lines(s, for_department_leader=bool(leadership_of))
        lines.append("")
    if len(ordered) > LISTED_MAX:
        lines.append(
            f"以上列出逾期最久的 {LISTED_MAX} 项；另有 {len(ordered) - LISTED_MAX} 项未逐项列出。"
            + ("" if leadership_of else f"各部门项数（共 {len(counts_by)} 个部门，按项数排序）：")
        )
        if not leadership_of:
            ranked = sorted(counts_by.items(), key=lambda kv: (-kv[1], kv[0]))
            lines += [f"  {department}：{n} 项" for department, n in ranked[:DEPARTMENTS_MAX]]
            if len(ranked) > DEPARTMENTS_MAX:
                lines.append(f"  ……另有 {len(ranked) - DEPARTMENTS_MAX} 个部门")
        lines.append("")
    lines += [
        "督办单：duban notice list；打印：duban notice export 编号 --out 督办单.docx",
        FOOTER,
    ]
    return subject, "\n".join(lines)


def _next_number(session: Session, year: int) -> int:
    current = session.scalar(select(func.max(SupervisionNotice.number)).where(SupervisionNotice.year == year))
    return int(current or 0) + 1


def plan_ladder(
    session: Session,
    *,
    config: NotifyConfig,
    ladder: LadderConfig,
    day: dt.date,
    items: Sequence[DigestItem],
    cal: Calendar,
    add_working_days: Any,
    write: bool = True,
) -> LadderPlan:
    """Climb the ladder for ``day`` (see the module docstring); writes 督办单 rows, returns the messages.

    ``items`` are the open items of the run (:func:`duban.services.notifications._open_items`);
    ``add_working_days(day, n)`` is the calendar's (for the 办理时限)."""
    plan = LadderPlan()
    if write and session.get_bind().dialect.name == "postgresql":
        # two overlapping runs climb one at a time (numbers are per year; the second sees the first's notices)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LADDER_LOCK_KEY})
    red = [i for i in items if i.level == AlertLevel.RED]
    red_ids = sorted({i.milestone_id for i in red})
    # resolve the open 督办单 whose item is no longer red
    red_set = set(red_ids)
    for open_notice in session.scalars(
        select(SupervisionNotice).where(SupervisionNotice.resolved_on.is_(None))
    ):
        if open_notice.milestone_id not in red_set and write:
            open_notice.resolved_on = day
    if not red:
        return plan
    notices: dict[int, SupervisionNotice] = {}
    for chunk in _chunks(red_ids):
        for found in session.scalars(
            select(SupervisionNotice).where(SupervisionNotice.milestone_id.in_(chunk))
        ):
            notices[found.milestone_id] = found
    task_ids: dict[int, int] = {}
    missing = [m for m in red_ids if m not in notices]
    for chunk in _chunks(missing):
        task_ids.update(
            (mid, tid)
            for mid, tid in session.execute(
                select(Milestone.id, Milestone.task_id).where(Milestone.id.in_(chunk))
            )
        )
    to_coordinator = bool(config.routes_for(COORDINATOR))
    number = _next_number(session, day.year)
    due_by = add_working_days(day, ladder.notice_days)
    coordinator_steps: list[LadderStep] = []
    leadership_steps: dict[str, list[LadderStep]] = defaultdict(list)
    has_leadership: dict[str, bool] = {}
    #: new 督办单, inserted in bulk (a national first run issues hundreds of thousands)
    new_rows: list[dict[str, Any]] = []
    for item in sorted(red, key=lambda i: (-i.days_overdue, i.receiver, i.milestone_id)):
        leadership = f"{item.receiver}#leadership"
        if leadership not in has_leadership:
            has_leadership[leadership] = bool(config.routes_for(leadership))
        notice = notices.get(item.milestone_id)
        what = ""
        if notice is None:
            if not to_coordinator:
                continue  # nobody to escalate to: nothing is said to have been escalated
            agency, _, jur = item.receiver.partition("@")
            new_rows.append(
                {
                    "year": day.year,
                    "number": number,
                    "milestone_id": item.milestone_id,
                    "responsibility_id": item.responsibility_id,
                    "task_id": task_ids[item.milestone_id],
                    "agency_key": agency,
                    "jurisdiction_code": jur or None,
                    "department": item.department[:100],
                    "matter": _matter(item),
                    "due_by": due_by,
                    "requirement": ladder.requirement,
                    "rung": 1,
                    "color": NoticeColor.of_rung(1),
                    "issued_on": day,
                    "coordinator_on": day,
                    "leadership_on": day if has_leadership[leadership] else None,
                }
            )
            label, color, rung, issued_on, signed = (
                notice_label(day.year, number),
                NoticeColor.of_rung(1),
                1,
                day,
                False,
            )
            number += 1
            what = "new"
            plan.new.add(item.milestone_id)
            tell_leadership = has_leadership[leadership]
        else:
            if to_coordinator and (
                notice.resolved_on is not None
                or cal.working_days_between(notice.coordinator_on, day) >= ladder.coordinator_every
            ):
                what = "again"
                if write:  # a dry run or a drill changes no 督办单
                    notice.rung += 1
                    notice.color = NoticeColor.of_rung(notice.rung)
                    notice.coordinator_on = day
                    notice.resolved_on = None
                    notice.due_by = due_by
            tell_leadership = has_leadership[leadership] and (
                notice.leadership_on is None
                or cal.working_days_between(notice.leadership_on, day) >= ladder.leadership_every
            )
            if tell_leadership and write:
                notice.leadership_on = day
            rung = notice.rung + (1 if what and not write else 0)
            label, color = notice_label(notice.year, notice.number), NoticeColor.of_rung(rung)
            issued_on, signed = notice.issued_on, notice.signed_at is not None
        plan.notices[item.milestone_id] = label
        step = LadderStep(item, label, color, rung, issued_on, signed, what or "again")
        if what:
            coordinator_steps.append(step)
            plan.steps.append(step)
        if tell_leadership:
            leadership_steps[leadership].append(step)
    if write:
        for rows in _chunks(new_rows, 1000):
            session.execute(insert(SupervisionNotice), list(rows))
        session.flush()
    escalate_after = config.rules.escalate_after
    for receiver in sorted(leadership_steps):
        steps = leadership_steps[receiver]
        subject, body = ladder_notice(
            day, steps, escalate_after=escalate_after, leadership_of=steps[0].item.department
        )
        plan.messages.append(
            LadderMessage(
                f"escalate|{receiver}|{day.isoformat()}|red", receiver, AlertLevel.RED, subject, body, day
            )
        )
    if coordinator_steps:
        subject, body = ladder_notice(day, coordinator_steps, escalate_after=escalate_after)
        plan.messages.append(
            LadderMessage(
                f"escalate|{COORDINATOR}|{day.isoformat()}|red",
                COORDINATOR,
                AlertLevel.RED,
                subject,
                body,
                day,
            )
        )
    return plan


def mark_items(
    items: Sequence[tuple[DigestItem, set[str]]], plan: LadderPlan
) -> list[tuple[DigestItem, set[str]]]:
    """The run's items with their 督办单 named, and a first escalation counting as a reason to send the
    department's digest today (it learns of its 督办单 the day it is issued)."""
    out = []
    for item, fired in items:
        label = plan.notices.get(item.milestone_id, "")
        if label:
            item = replace(item, notice=label)
        if item.milestone_id in plan.new:
            fired = fired | {"escalate"}
        out.append((item, fired))
    return out
