"""Cascading a policy to lower jurisdictions, the division list, and the roll-up of lights.

Design (see docs/cascade.md): a cascade adds :class:`Responsibility` rows **on the policy's own tasks**, one
per (task, agency, role) of the policy's own jurisdiction and per lower jurisdiction, with the department
named for that level and place (省民政厅 → 昆明市民政局 → 五华区民政局). No child policy is created, so the
existing scheduling (milestones per responsibility), status (GROUP BY jurisdiction) and the task light (the
worst of its lead/joint responsibilities, now in every jurisdiction) work unchanged. Cascading again skips
what exists: the identity of a cascaded responsibility is (task, agency, jurisdiction, role).

An agency dissolved by the cascade day (扶贫 → 乡村振兴 → 农业农村) gets no duty: its successor gets it,
once per task and jurisdiction with the stronger role (duban.domain.succession); the result says so
(``carried``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, insert, select
from sqlalchemy.orm import Session, selectinload

from duban.domain.agencies import AgencyRegistry
from duban.domain.divisions import DivisionTree, department_name, load
from duban.domain.jsonable import JsonResult
from duban.domain.jurisdictions import LEVELS
from duban.domain.progress import ProgressCallback
from duban.domain.succession import ROLE_STRENGTH
from duban.domain.vocabulary import JurisdictionLevel, Light, ResponsibilityState, Role, TaskKind
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.catalog import find_policy
from duban.services.identity import Actor, require_coordinator
from duban.services.reference import load_divisions
from duban.services.status import warn_until
from duban.storage.models import Jurisdiction, Policy, Responsibility, Task
from duban.storage.queries import responsibility_lights

BATCH = 5000


@dataclass(frozen=True, slots=True)
class CarriedDuties(JsonResult):
    """Duties a successor got in a cascade in place of a dissolved agency (扶贫 → 农业农村)."""

    agency: str  #: the dissolved agency the document names
    successor: str  #: the agency that carries its work on the cascade day
    since: dt.date  #: the day the successor took the work over
    created: int  #: responsibilities created for the successor in its place


@dataclass(frozen=True, slots=True)
class CascadeResult(JsonResult):
    """``duban cascade``: how many jurisdictions (per level) the policy went to, and the rows added."""

    policy: int
    doc_number: str | None
    jurisdictions: int
    levels: Mapping[str, int]  #: jurisdictions per level (prefecture, county)
    created: int  #: responsibilities added
    existing: int  #: responsibilities that were there already (not added again)
    day: dt.date  #: the cascade day: the agencies' history (dissolutions, successors) is taken as of it
    #: duties created for a successor in place of an agency dissolved by the cascade day
    carried: tuple[CarriedDuties, ...] = ()


@dataclass(frozen=True, slots=True)
class JurisdictionLight(JsonResult):
    """``duban cascade --rollup``: one jurisdiction's light for a task.

    ``own`` is its own parties' light; ``light`` rolls up the worst of itself and everything below it;
    ``not_green`` names the lower jurisdictions whose own light is red or yellow.
    """

    json_extra = ("light_label",)

    jurisdiction: str | None
    name: str | None
    level: JurisdictionLevel | None
    parent: str | None
    light: Light
    own: Light
    overdue: int
    not_green: tuple[str, ...]

    @property
    def light_label(self) -> str:
        return self.light.label


def _ensure_divisions(session: Session, codes: Iterable[str], actor: str) -> None:
    wanted = set(codes)
    have = set(session.scalars(select(Jurisdiction.code).where(Jurisdiction.code.in_(wanted))))
    if wanted - have:
        load_divisions(session, actor=actor)


# -- cascade -------------------------------------------------------------------------------------------


def resolve_targets(
    tree: DivisionTree, policy_code: str, to: Iterable[str], down_to: str | None
) -> list[str]:
    """The jurisdictions to cascade to: each code of ``to`` (below the policy's jurisdiction) and, with
    ``down_to``, all their descendants to that level. No ``to``: the policy jurisdiction's descendants."""
    codes = [c.strip() for item in to for c in item.replace("，", ",").split(",") if c.strip()]
    if policy_code not in tree:
        raise ValidationError(f"政策的辖区 {policy_code} 不在区划表中，无法下发")
    if not codes:
        return tree.descendants(policy_code, down_to=down_to or "county")
    out: list[str] = []
    for code in codes:
        if code not in tree:
            raise NotFoundError(f"没有代码为 {code} 的行政区划（GB/T 2260，见 duban jurisdictions）")
        if code != policy_code:
            if not tree.is_below(code, policy_code):
                raise ValidationError(f"{code} {tree.by_code[code].name} 不在政策辖区 {policy_code} 之下")
            out.append(code)
        if down_to:
            out += tree.descendants(code, down_to=down_to)
        elif code == policy_code:
            raise ValidationError(f"{code} 是政策本身的辖区：请写下级区划，或加 --down-to")
    return list(dict.fromkeys(out))


#: a responsibility's identity: task, agency, jurisdiction, role (as stored; the agency may be unknown)
Identity = tuple[int, str | None, str | None, Role]


def _carrier(registry: AgencyRegistry, key: str, day: dt.date) -> tuple[str, dt.date | None]:
    """The agency carrying ``key``'s duties on ``day`` and the day it took them over (None: ``key`` itself)."""
    try:
        acting = registry.successor_on(key, day)
        moved = [s.since for s in registry.spec(key).successions if s.key is not None and s.since <= day]
    except KeyError:  # agency without a plugin any more: it carries its own work
        return key, None
    return (acting, max(moved)) if acting != key and moved else (key, None)


def cascade_rows(
    policy: Policy,
    tasks: list[Task],
    targets: list[str],
    tree: DivisionTree,
    registry: AgencyRegistry,
    day: dt.date,
    existing: set[Identity],
    carried: dict[tuple[str, str, dt.date], int] | None = None,
) -> Iterable[dict[str, Any]]:
    """The new responsibility rows (dicts for a bulk insert), skipping what exists.

    A party dissolved by ``day`` (its work moved to a successor: 扶贫 → 农业农村 from 2023-03-16) gets no
    duty; its successor does, in its place. Each agency gets one duty per task and jurisdiction, with the
    stronger role when the task names it twice (duban.domain.succession) — and none when a duty of it
    (or of the agency it carries) with that role or a stronger one exists. ``carried`` counts, per
    (dissolved agency, successor, succession day), the duties the successor got in its place.
    """
    held: dict[tuple[int, str | None, str | None], int] = {}
    for task_id, agency, code, role in existing:
        carrier = (task_id, _carrier(registry, agency, day)[0] if agency else agency, code)
        held[carrier] = max(held.get(carrier, 0), ROLE_STRENGTH.get(role, 0))
    names: dict[tuple[str, str], str] = {}
    for task in tasks:
        # acting agency → (role, the agency the document named, the day it was taken over)
        parties: dict[str, tuple[Role, str, dt.date | None]] = {}
        for r in task.responsibilities:
            if r.agency_key is None or r.jurisdiction_code != policy.jurisdiction_code:
                continue
            acting, since = _carrier(registry, r.agency_key, day)
            have = parties.get(acting)
            if (
                have is None
                or ROLE_STRENGTH.get(r.role, 0) > ROLE_STRENGTH.get(have[0], 0)
                or (r.role == have[0] and since is None)  # on a tie the agency's own duty wins
            ):
                parties[acting] = (r.role, r.agency_key, since)
        for code in targets:
            division = tree.by_code[code]
            for acting, (role, named, since) in parties.items():
                if held.get((task.id, acting, code), 0) >= ROLE_STRENGTH.get(role, 0):
                    continue
                key = (acting, code)
                if key not in names:
                    try:
                        level_name = registry.name_on(acting, division.level, day)
                    except KeyError:  # agency without a plugin any more: keep the document's name
                        level_name = next(
                            r.name_as_written for r in task.responsibilities if r.agency_key == named
                        )
                    names[key] = department_name(level_name, division.name)
                if since is not None and carried is not None:
                    carried[(named, acting, since)] = carried.get((named, acting, since), 0) + 1
                yield {
                    "task_id": task.id,
                    "agency_key": acting,
                    "name_as_written": names[key],
                    "jurisdiction_code": code,
                    "role": role,
                    "state": ResponsibilityState.ASSIGNED,
                    "version": 1,
                }


def existing_identities(session: Session, policy_id: int, targets: list[str]) -> set[Identity]:
    out: set[Identity] = set()
    for start in range(0, len(targets), 500):
        chunk = targets[start : start + 500]
        out.update(
            (task_id, agency_key, code, role)
            for task_id, agency_key, code, role in session.execute(
                select(
                    Responsibility.task_id,
                    Responsibility.agency_key,
                    Responsibility.jurisdiction_code,
                    Responsibility.role,
                )
                .join(Task, Task.id == Responsibility.task_id)
                .where(Task.policy_id == policy_id, Responsibility.jurisdiction_code.in_(chunk))
            ).all()
        )
    return out


def cascade_policy(
    session: Session,
    *,
    actor: Actor,
    registry: AgencyRegistry,
    policy: str,
    to: Iterable[str] = (),
    down_to: str | None = None,
    day: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> CascadeResult:
    """Instantiate a policy's tasks for lower jurisdictions; returns counts. Idempotent.

    ``progress`` hears of the rows written; the total it is first told is an estimate (every party of every
    task in every target, less the rows already there), corrected to the rows written at the end."""
    require_coordinator(actor, "下发任务到下级辖区")
    if down_to is not None and down_to not in LEVELS:
        raise ValidationError(f"未知的层级 {down_to}（应为 prefecture 或 county）")
    pol = find_policy(session, policy)
    if pol.jurisdiction_code is None:
        raise ValidationError(f"政策 {pol.doc_number or pol.title} 没有发文辖区，无法下发")
    if pol.superseded_by_id is not None:
        raise ValidationError(f"政策 {pol.doc_number or pol.title} 已被替换，请下发现行版本")
    tree = load()
    targets = resolve_targets(tree, pol.jurisdiction_code, to, down_to)
    if not targets:
        raise ValidationError(f"{pol.jurisdiction_code} 没有下级区划可下发")
    _ensure_divisions(session, [pol.jurisdiction_code, *targets], actor.name)
    tasks = list(
        session.scalars(
            select(Task)
            .where(Task.policy_id == pol.id, Task.kind == TaskKind.TASK)  # a draft's comment duty stays put
            .order_by(Task.position)
            .options(selectinload(Task.responsibilities))
        )
    )
    existing = existing_identities(session, pol.id, targets)
    if progress:
        estimate = sum(len(t.responsibilities) for t in tasks) * len(targets) - len(existing)
        progress(0, max(estimate, 0))
    batch: list[dict[str, Any]] = []
    created = 0
    carried: dict[tuple[str, str, dt.date], int] = {}
    on = day or dt.date.today()
    for row in cascade_rows(pol, tasks, targets, tree, registry, on, existing, carried):
        batch.append(row)
        if len(batch) >= BATCH:
            session.execute(insert(Responsibility), batch)
            created += len(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        session.execute(insert(Responsibility), batch)
        created += len(batch)
        if progress:
            progress(len(batch))
    if progress:
        progress(0, created)
    session.expire_all()
    levels: dict[str, int] = {}
    for code in targets:
        levels[tree.by_code[code].level] = levels.get(tree.by_code[code].level, 0) + 1
    result = CascadeResult(
        policy=pol.id,
        doc_number=pol.doc_number,
        jurisdictions=len(targets),
        levels=levels,
        created=created,
        existing=len(existing),
        day=on,
        carried=tuple(
            CarriedDuties(agency=agency, successor=successor, since=since, created=n)
            for (agency, successor, since), n in sorted(carried.items())
        ),
    )
    audit.record(
        session,
        actor=actor.name,
        action="policy.cascade",
        entity_type="policy",
        entity_id=pol.id,
        after={**result.to_json(), "to": targets[:50], "to_count": len(targets)},
    )
    return result


# -- roll-up -------------------------------------------------------------------------------------------


def rollup(
    session: Session, task_id: int, as_of: dt.date, *, warning_days: int = 5
) -> list[JurisdictionLight]:
    """Per-jurisdiction lights of one task, worst first.

    ``own`` is the jurisdiction's own light (its lead, or without a lead its joint parties, like the task
    light); ``light`` rolls up: a jurisdiction is only as good as the worst of itself and everything below
    it, so a provincial task is green only when its prefectures and counties are. ``not_green`` names the
    lower jurisdictions (own light red or yellow) that keep it from being green.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"没有编号为 {task_id} 的任务（见 duban tasks）")
    rl = (
        responsibility_lights(as_of, warn_until(session, as_of, warning_days))
        .where(Responsibility.task_id == task_id)
        .subquery("rl")
    )
    principal = rl.c.role.in_((Role.LEAD, Role.JOINT))
    has_lead = func.max(case((rl.c.role == Role.LEAD, 1), else_=0))
    lead_open = func.sum(case((and_(rl.c.role == Role.LEAD, rl.c.rank > Light.DONE.rank), 1), else_=0))
    principal_open = func.sum(case((and_(principal, rl.c.rank > Light.DONE.rank), 1), else_=0))
    done = case(
        (and_(has_lead == 1, lead_open == 0), 1), (and_(has_lead == 0, principal_open == 0), 1), else_=0
    )
    rank = case(
        (done == 1, Light.DONE.rank),
        else_=func.coalesce(func.max(case((principal, rl.c.rank))), func.max(rl.c.rank)),
    )
    own = {
        code: (int(r), int(over or 0))
        for code, r, over in session.execute(
            select(rl.c.jurisdiction_code, rank, func.sum(rl.c.overdue)).group_by(rl.c.jurisdiction_code)
        )
    }
    if not own:
        return []
    juris = {j.code: j for j in session.scalars(select(Jurisdiction))}

    def parent_of(code: str | None) -> str | None:
        j = juris.get(code) if code else None
        return j.parent_code if j else None

    rolled = {code: rank_ for code, (rank_, _o) in own.items()}
    blockers: dict[str, list[str]] = {code: [] for code in own}
    for code, (rank_, _o) in own.items():
        seen: set[str] = set()
        parent = parent_of(code)
        while parent is not None and parent not in seen:
            seen.add(parent)
            if parent in own:
                rolled[parent] = max(rolled[parent], rank_)
                if rank_ >= Light.YELLOW.rank:
                    blockers[parent].append(code)
            parent = parent_of(parent)
    level_rank = {level: i for i, level in enumerate(LEVELS)}
    rows = []
    for code, (rank_, overdue) in own.items():
        j = juris.get(code) if code else None
        rows.append(
            JurisdictionLight(
                jurisdiction=code,
                name=j.name if j else None,
                level=JurisdictionLevel(j.level) if j else None,
                parent=j.parent_code if j else None,
                light=Light.from_rank(rolled[code]),
                own=Light.from_rank(rank_),
                overdue=overdue,
                not_green=tuple(sorted(blockers[code])),
            )
        )
    rows.sort(key=lambda r: (-r.light.rank, level_rank.get(r.level or "", 9), r.jurisdiction or ""))
    return rows
