"""Schedules and milestones: hints become proposed schedules, confirmed schedules become milestones.

A task's milestones come from its *confirmed* schedules; a task without any falls back to the configured
default cycle (``schedule.default_cycle``, "quarterly +5wd") from its policy's issue date. Each occurrence
gives one milestone per responsibility (or only the schedule's responsibility), identified by
``milestone_key(task, responsibility, period)``, so generating again never duplicates. Due dates are
computed on the database's working calendar (:mod:`duban.services.calendar`).

Period labels are the rule's own (``2026-Q1``, ``2026-H1``, ``2026-春节``), except where the rule's label
would not tell two dates apart: a ``once`` or ``yearly MM-DD`` occurrence is labelled by its nominal date
(``2026-03-08``), a festival with an offset carries it (``2026-春节-7``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from duban.domain.jsonable import JsonResult
from duban.domain.schedule import (
    Festival,
    Occurrence,
    Once,
    Rule,
    RuleSyntaxError,
    Yearly,
    describe,
    milestone_key,
    parse_rule,
)
from duban.domain.vocabulary import PolicyStatus, Role, ScheduleSource, TaskKind
from duban.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from duban.services import audit
from duban.services.calendar import working_calendar
from duban.services.catalog import find_policy
from duban.services.identity import Actor, require_coordinator
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.services.status import task_number
from duban.services.supervision import policy_start
from duban.storage.models import Milestone, Policy, Responsibility, Schedule, Task
from duban.storage.queries import merged_duties

DEFAULT_CYCLE = "quarterly +5wd"
#: tasks handled per round trip when generating (existing keys are read once per batch)
TASK_BATCH = 200


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleRow(JsonResult):
    """A schedule (proposed or confirmed) of a task, or of one responsibility of it."""

    json_extra = ("description",)

    id: int
    task: int
    task_number: str
    policy: str | None  #: the policy's doc number
    rule: str
    responsibility: int | None
    start: dt.date | None
    end: dt.date | None
    source: ScheduleSource
    confirmed: bool
    note: str | None

    @property
    def description(self) -> str:
        """The rule in Chinese words (每季度…), or a note that it no longer parses."""
        try:
            return describe(parse_rule(self.rule))
        except RuleSyntaxError:
            return "（规则无法识别）"


@dataclass(frozen=True, slots=True)
class ProposeResult(JsonResult):
    """``duban schedule propose``: the schedules proposed from a policy's hints."""

    policy: int
    proposed: tuple[ScheduleRow, ...] = ()
    existing: int = 0  #: hints whose rule the task already has
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerateResult(JsonResult):
    """``duban milestones generate``: what was created, found, moved."""

    policies: int = 0
    tasks: int = 0
    created: int = 0
    existing: int = 0
    redated: int = 0
    until: dt.date | None = None
    #: milestones not created because they fall before the supervision start (see --include-past)
    skipped_before_start: int = 0
    #: milestones not created for duties merged into their successor's (see duban.domain.succession)
    skipped_merged: int = 0
    include_past: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MilestoneRow(JsonResult):
    """A milestone of one responsibility: its period, original and effective due dates."""

    json_extra = ("withdrawn",)

    id: int
    key: str
    task: int
    task_number: str
    policy: str
    responsibility: int
    agency: str | None
    agency_name: str  #: the department as the document writes it
    role: Role
    period: str
    schedule: int | None
    due_date: dt.date
    effective_due_date: dt.date
    #: when the coordinator withdrew (撤回) it: a withdrawn milestone is listed as history and counts nowhere
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


# -- helpers ------------------------------------------------------------------------------------------


def _canonical(rule_text: str) -> str:
    """The canonical text of a stored rule, or the text itself when it no longer parses."""
    try:
        return str(parse_rule(rule_text))
    except RuleSyntaxError:
        return rule_text.strip()


def milestone_period(rule: Rule, occurrence: Occurrence) -> str:
    """The period label stored on a milestone (and used in its key); see the module docstring."""
    if isinstance(rule.base, Once | Yearly):
        return occurrence.nominal.isoformat()
    if isinstance(rule.base, Festival) and rule.base.days:
        return f"{occurrence.period}{rule.base.days:+d}"
    return occurrence.period


def _schedule_row(s: Schedule, task: Task, doc_number: str | None) -> ScheduleRow:
    return ScheduleRow(
        id=s.id,
        task=task.id,
        task_number=task_number(task.section, task.number),
        policy=doc_number,
        rule=s.rule,
        responsibility=s.responsibility_id,
        start=s.start,
        end=s.end,
        source=ScheduleSource(s.source),
        confirmed=s.confirmed,
        note=s.note,
    )


def _snapshot(s: Schedule) -> dict[str, Any]:
    return {
        "task": s.task_id,
        "responsibility": s.responsibility_id,
        "rule": s.rule,
        "start": s.start,
        "end": s.end,
        "source": s.source,
        "confirmed": s.confirmed,
    }


def _load_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFoundError(f"没有编号为 {schedule_id} 的排期（见 duban schedule list）")
    return schedule


# -- schedules ----------------------------------------------------------------------------------------


def propose_schedules(session: Session, *, actor: Actor, policy_id: int) -> ProposeResult:
    """Turn every task's schedule hints into unconfirmed schedules (source "hint").

    A rule the task already has (in any source, compared in canonical form) is not proposed again;
    a hint whose rule does not parse is skipped with a warning.
    """
    require_coordinator(actor, "生成排期建议")
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFoundError(f"没有编号为 {policy_id} 的政策（见 duban policies）")
    tasks = list(session.scalars(select(Task).where(Task.policy_id == policy.id).order_by(Task.position)))
    have: dict[int, set[tuple[int | None, str]]] = {t.id: set() for t in tasks}
    for s in session.scalars(select(Schedule).where(Schedule.task_id.in_(list(have)))):
        have[s.task_id].add((s.responsibility_id, _canonical(s.rule)))
    warnings: list[str] = []
    existing = 0
    added: list[tuple[Task, Schedule]] = []
    for task in tasks:
        for hint in task.schedule_hints or []:
            raw = hint.get("rule") if isinstance(hint, dict) else None
            why = str(hint.get("why", "")) if isinstance(hint, dict) else ""
            try:
                rule = parse_rule(raw)
            except RuleSyntaxError as exc:
                warnings.append(
                    f"任务 {task_number(task.section, task.number)}：提示“{why or raw}”的规则 {raw!r} 无法识别，"
                    f"已跳过（{exc.reason}）"
                )
                continue
            text = str(rule)
            if (None, text) in have[task.id]:
                existing += 1
                continue
            have[task.id].add((None, text))
            kind = hint.get("kind", "")
            schedule = Schedule(
                task_id=task.id,
                rule=text,
                source=ScheduleSource.HINT,
                confirmed=False,
                note=f"{kind}：{why}" if kind else why,
            )
            session.add(schedule)
            added.append((task, schedule))
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="schedule.propose",
        entity_type="policy",
        entity_id=policy.id,
        after={
            "proposed": [{"id": s.id, "task": s.task_id, "rule": s.rule} for _t, s in added],
            "existing": existing,
            "skipped": len(warnings),
        },
    )
    return ProposeResult(
        policy=policy.id,
        proposed=tuple(_schedule_row(s, task, policy.doc_number) for task, s in added),
        existing=existing,
        warnings=tuple(warnings),
    )


def confirm_schedule(
    session: Session, *, actor: Actor, schedule_id: int, start: dt.date | None = None
) -> Schedule:
    """Confirm a proposed schedule, so milestones are generated from it. Confirming twice changes nothing.

    ``start`` (``--from``) is the schedule's own supervision start, overriding its policy's: no milestone
    of this schedule falls before it. Confirming again with another start changes only the start.
    """
    require_coordinator(actor, "确认排期")
    schedule = _load_schedule(session, schedule_id)
    if schedule.confirmed and (start is None or start == schedule.start):
        return schedule
    parse_rule(schedule.rule)  # a rule edited into something unreadable is refused here, not at generation
    if start is not None and schedule.end is not None and schedule.end < start:
        raise ValidationError(f"排期 #{schedule.id} 的结束日期 {schedule.end} 早于开始日期 {start}")
    before = _snapshot(schedule)
    schedule.confirmed, schedule.rejected = True, False
    if start is not None:
        schedule.start = start
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="schedule.confirm",
        entity_type="schedule",
        entity_id=schedule.id,
        task_id=schedule.task_id,
        before=before,
        after=_snapshot(schedule),
    )
    return schedule


def set_schedule(
    session: Session,
    *,
    actor: Actor,
    task_id: int,
    rule: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    responsibility_id: int | None = None,
) -> Schedule:
    """Give a task (or one of its responsibilities) a confirmed schedule.

    The same rule for the same task and responsibility updates that schedule instead of adding another.
    """
    require_coordinator(actor, "设定排期")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"没有编号为 {task_id} 的任务（见 duban tasks）")
    parsed = parse_rule(rule)  # RuleSyntaxError: names the rule and the expected syntax
    if start and end and end < start:
        raise ValidationError(f"排期的结束日期 {end} 早于开始日期 {start}")
    if responsibility_id is not None:
        resp = session.get(Responsibility, responsibility_id)
        if resp is None or resp.task_id != task.id:
            raise ValidationError(f"责任 #{responsibility_id} 不属于任务 #{task.id}")
    text = str(parsed)
    same = [
        s
        for s in session.scalars(
            select(Schedule)
            .where(
                Schedule.task_id == task.id,
                Schedule.responsibility_id.is_(None)
                if responsibility_id is None
                else Schedule.responsibility_id == responsibility_id,
            )
            .order_by(Schedule.id)
        )
        if _canonical(s.rule) == text
    ]
    schedule = same[0] if same else Schedule(task_id=task.id, responsibility_id=responsibility_id)
    before = _snapshot(schedule) if same else None
    schedule.rule, schedule.start, schedule.end = text, start, end
    schedule.source, schedule.confirmed, schedule.rejected = ScheduleSource.MANUAL, True, False
    session.add(schedule)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="schedule.set",
        entity_type="schedule",
        entity_id=schedule.id,
        task_id=task.id,
        before=before,
        after=_snapshot(schedule),
    )
    return schedule


def remove_schedule(session: Session, *, actor: Actor, schedule_id: int) -> None:
    """Remove a schedule. Its milestones stay (history); they just lose the link to it.

    A schedule proposed from a hint is kept as rejected instead, so ``propose`` does not suggest it again.
    """
    require_coordinator(actor, "删除排期")
    schedule = _load_schedule(session, schedule_id)
    before = _snapshot(schedule)
    if schedule.source == ScheduleSource.HINT:
        schedule.rejected, schedule.confirmed = True, False
    else:
        session.delete(schedule)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="schedule.remove",
        entity_type="schedule",
        entity_id=schedule_id,
        task_id=before["task"],
        before=before,
    )


def list_schedules(
    session: Session,
    *,
    policy: str | None = None,
    task_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[ScheduleRow]:
    """A page of schedules (of current policies unless one is named), in task order."""
    check_window(limit, offset)
    stmt = (
        select(Schedule, Task, Policy.doc_number)
        .join(Task, Task.id == Schedule.task_id)
        .join(Policy, Policy.id == Task.policy_id)
    )
    if policy:
        stmt = stmt.where(Policy.id == find_policy(session, policy).id)
    else:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    if task_id is not None:
        stmt = stmt.where(Task.id == task_id)
    stmt = stmt.where(Schedule.rejected.is_(False))
    total = count_rows(session, stmt)
    page = session.execute(
        stmt.order_by(Task.policy_id, Task.position, Schedule.id).limit(limit).offset(offset)
    )
    return page_of((_schedule_row(s, t, doc) for s, t, doc in page), total=total, limit=limit, offset=offset)


# -- milestones ---------------------------------------------------------------------------------------


def _policies_to_generate(
    session: Session, policy_id: int | None, warnings: list[str]
) -> tuple[list[Policy], list[Policy]]:
    """The policies whose tasks get milestones, and the drafts of which only the comment duty does."""
    if policy_id is not None:
        policy = session.get(Policy, policy_id)
        if policy is None:
            raise NotFoundError(f"没有编号为 {policy_id} 的政策（见 duban policies）")
        if policy.superseded_by_id is not None or policy.status in ("superseded", "withdrawn"):
            raise ValidationError(
                f"政策 #{policy.id} {policy.doc_number or policy.title} 已被替换或废止，不再生成节点"
            )
        return [policy], []
    policies = list(
        session.scalars(
            select(Policy)
            .where(Policy.superseded_by_id.is_(None), Policy.status.not_in(("superseded", "withdrawn")))
            .order_by(Policy.id)
        )
    )
    drafts = [p for p in policies if p.status == PolicyStatus.DRAFT]
    for p in drafts:
        warnings.append(
            f"{p.doc_number or p.title} 是征求意见稿：只生成意见反馈节点，其余任务未生成（需要时用 --policy 指定）"
        )
    return [p for p in policies if p.status != PolicyStatus.DRAFT], drafts


def _batches(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def generate_milestones(
    session: Session,
    *,
    actor: Actor,
    until: dt.date,
    today: dt.date,
    policy_id: int | None = None,
    default_cycle: str = DEFAULT_CYCLE,
    include_past: bool = False,
) -> GenerateResult:
    """Create the milestones of every task of the current policies (or of one) whose nominal date is ≤ ``until``.

    Each schedule runs from its supervision start (its own, else its policy's; see
    duban.services.supervision): an occurrence whose nominal or due date falls before it is skipped and
    counted in ``skipped_before_start``. ``include_past`` generates from the policy's issue date instead
    (a schedule's own start still holds). A task whose confirmed schedules are all one-off deadlines keeps
    the default cycle as well, so a confirmed dated hint never ends the task's supervision; a draft's
    comment duty has its deadline only. Duties merged into a successor's get no new milestones.

    Idempotent: a milestone whose key exists is left alone (a withdrawn one stays withdrawn), except that a
    future one (due after ``today``, not extended) of the same schedule is moved when the calendar now
    gives another due date.
    """
    require_coordinator(actor, "生成督办节点")
    try:
        default_rule = parse_rule(default_cycle)
    except RuleSyntaxError as exc:
        raise ConfigError(f"配置项 schedule.default_cycle 无效：{exc}") from exc
    warnings: list[str] = []
    created = existing_count = redated = skipped_before_start = skipped_merged = 0
    full, drafts = _policies_to_generate(session, policy_id, warnings)
    policies = {p.id: p for p in [*full, *drafts]}
    task_ids = list(
        session.scalars(
            select(Task.id)
            .where(
                or_(
                    Task.policy_id.in_([p.id for p in full]),
                    and_(Task.policy_id.in_([p.id for p in drafts]), Task.kind == TaskKind.COMMENT),
                )
            )
            .order_by(Task.policy_id, Task.position)
        )
    )
    starts = [d for p in policies.values() for d in (policy_start(p), p.issued) if d is not None]
    earliest_start = session.scalar(
        select(func.min(Schedule.start))
        .join(Task, Task.id == Schedule.task_id)
        .where(Task.policy_id.in_(list(policies)), Schedule.confirmed.is_(True))
    )
    first_year = min(
        [*(d.year for d in starts), *([earliest_start.year] if earliest_start else [])], default=until.year
    )
    calendar = working_calendar(session, min(first_year, until.year), until.year)
    due_years: set[int] = set()
    merged = merged_duties(until)
    merged_since: dict[int, dt.date] = {
        row.responsibility_id: row.since
        for row in session.execute(select(merged.c.responsibility_id, merged.c.since))
    }

    for batch in _batches(task_ids, TASK_BATCH):
        tasks = list(
            session.scalars(
                select(Task)
                .where(Task.id.in_(batch))
                .order_by(Task.policy_id, Task.position)
                .options(selectinload(Task.responsibilities))
            )
        )
        schedules: dict[int, list[Schedule]] = {t.id: [] for t in tasks}
        for s in session.scalars(
            select(Schedule)
            .where(Schedule.task_id.in_(batch), Schedule.confirmed.is_(True))
            .order_by(Schedule.id)
        ):
            schedules[s.task_id].append(s)
        existing = {
            row.key: row
            for row in session.execute(
                select(
                    Milestone.id,
                    Milestone.key,
                    Milestone.schedule_id,
                    Milestone.due_date,
                    Milestone.effective_due_date,
                ).where(Milestone.task_id.in_(batch))
            )
        }
        new_rows: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        for task in tasks:
            policy = policies[task.policy_id]
            plans: list[tuple[Schedule | None, Rule]] = []
            for s in schedules[task.id]:
                try:
                    plans.append((s, parse_rule(s.rule)))
                except RuleSyntaxError as exc:
                    warnings.append(f"任务 #{task.id} 的排期 #{s.id} 规则无法识别，已跳过：{exc.reason}")
            if task.kind == TaskKind.TASK and all(isinstance(rule.base, Once) for _s, rule in plans):
                plans.append((None, default_rule))  # a one-off deadline does not end the cycle
            claimed: dict[str, dt.date] = {}
            for schedule, rule in plans:
                issued = policy.issued or policy_start(policy)
                if schedule is not None and schedule.start is not None:
                    start = schedule.start
                else:
                    start = issued if include_past else policy_start(policy)
                end = min(until, schedule.end) if schedule and schedule.end else until
                parties = [
                    r
                    for r in task.responsibilities
                    if schedule is None or schedule.responsibility_id in (None, r.id)
                ]
                schedule_id = schedule.id if schedule else None
                # scanned from the issue date too, to count what the start leaves out
                for occurrence in rule.occurrences(min(issued, start), end, calendar):
                    before_start = occurrence.nominal < start or occurrence.due < start
                    period = milestone_period(rule, occurrence)
                    for resp in parties:
                        if resp.closed_on is not None and occurrence.due > resp.closed_on:
                            continue  # no new duties after 办结
                        key = milestone_key(task.id, resp.id, period)
                        since = merged_since.get(resp.id)
                        if since is not None and occurrence.due >= since and key not in existing:
                            skipped_merged += not before_start
                            continue  # carried by the successor's own duty on this task
                        if before_start:
                            skipped_before_start += key not in existing  # what --include-past adds
                            continue
                        if key in claimed:
                            if claimed[key] != occurrence.nominal:
                                warnings.append(
                                    f"任务 #{task.id} 的两个排期在 {period} 期重叠，只生成一个节点（{key}）"
                                )
                            continue
                        claimed[key] = occurrence.nominal
                        due_years.add(occurrence.due.year)
                        old = existing.get(key)
                        if old is None:
                            new_rows.append(
                                {
                                    "key": key,
                                    "task_id": task.id,
                                    "responsibility_id": resp.id,
                                    "schedule_id": schedule_id,
                                    "period": period,
                                    "due_date": occurrence.due,
                                    "effective_due_date": occurrence.due,
                                }
                            )
                            continue
                        existing_count += 1
                        if (
                            old.schedule_id == schedule_id
                            and old.due_date > today
                            and old.due_date != occurrence.due
                            and occurrence.due > today
                        ):
                            extended = old.effective_due_date != old.due_date
                            moved.append(
                                {
                                    "id": old.id,
                                    "due_date": occurrence.due,
                                    "effective_due_date": old.effective_due_date
                                    if extended
                                    else occurrence.due,
                                }
                            )
        try:
            if new_rows:
                session.execute(insert(Milestone), new_rows)
            if moved:
                session.execute(update(Milestone), moved)
            session.flush()
        except IntegrityError as exc:
            raise ConflictError("生成节点时与另一项同时进行的生成冲突：本次未保存，请重试") from exc
        created += len(new_rows)
        redated += len(moved)

    for year in sorted(due_years):
        warnings.extend(calendar.warnings_for(year))
    audit.record(
        session,
        actor=actor.name,
        action="milestones.generate",
        entity_type="milestones",
        entity_id=policy_id if policy_id is not None else "all",
        after={
            "policies": sorted(policies),
            "until": until,
            "today": today,
            "default_cycle": str(default_rule),
            "created": created,
            "existing": existing_count,
            "redated": redated,
            "skipped_before_start": skipped_before_start,
            "skipped_merged": skipped_merged,
            "include_past": include_past,
            "uncovered_years": sorted(y for y in due_years if not calendar.is_covered(y)),
        },
    )
    return GenerateResult(
        policies=len(policies),
        tasks=len(task_ids),
        created=created,
        existing=existing_count,
        redated=redated,
        until=until,
        skipped_before_start=skipped_before_start,
        skipped_merged=skipped_merged,
        include_past=include_past,
        warnings=tuple(warnings),
    )


def list_milestones(
    session: Session,
    *,
    due_before: dt.date | None = None,
    agency: str | None = None,
    policy: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[MilestoneRow]:
    """A page of milestones in due-date order. ``due_before`` is inclusive (effective due date ≤ it).

    Withdrawn milestones are listed too, flagged (``withdrawn``, with the reason): they are history.
    """
    check_window(limit, offset)
    stmt = (
        select(
            Milestone.id,
            Milestone.key,
            Milestone.period,
            Milestone.due_date,
            Milestone.effective_due_date,
            Milestone.schedule_id,
            Milestone.withdrawn_at,
            Milestone.withdrawn_reason,
            Task.id.label("task_id"),
            Task.section,
            Task.number,
            Policy.doc_number,
            Policy.title,
            Responsibility.agency_key,
            Responsibility.name_as_written,
            Responsibility.role,
            Responsibility.id.label("responsibility_id"),
        )
        .join(Task, Task.id == Milestone.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
    )
    if policy:
        stmt = stmt.where(Policy.id == find_policy(session, policy).id)
    else:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    if agency:
        stmt = stmt.where(Responsibility.agency_key == agency)
    if due_before is not None:
        stmt = stmt.where(Milestone.effective_due_date <= due_before)
    total = count_rows(session, stmt)
    rows = session.execute(
        stmt.order_by(
            Milestone.effective_due_date,
            Task.policy_id,
            Task.position,
            Milestone.responsibility_id,
            Milestone.id,
        )
        .limit(limit)
        .offset(offset)
    )
    return page_of(
        (
            MilestoneRow(
                id=r.id,
                key=r.key,
                task=r.task_id,
                task_number=f"{r.section}.{r.number}" if r.section else r.number,
                policy=r.doc_number or r.title,
                responsibility=r.responsibility_id,
                agency=r.agency_key,
                agency_name=r.name_as_written,
                role=Role(r.role),
                period=r.period,
                schedule=r.schedule_id,
                due_date=r.due_date,
                effective_due_date=r.effective_due_date,
                withdrawn_at=r.withdrawn_at,
                withdrawn_reason=r.withdrawn_reason,
            )
            for r in rows
        ),
        total=total,
        limit=limit,
        offset=offset,
    )
