"""Template bindings: which agency template a task's reports are checked against.

``propose_bindings`` turns the templates' ``serves``/``keywords`` (plugin.toml) and the task mapping into
proposed :class:`~duban.storage.models.TemplateBinding` rows; a coordinator confirms (``confirm_binding``),
rejects (``reject_binding``, kept so it is not proposed again) or binds by hand (``bind_template``). The
binding is per task *and agency*: one task (任务分工二十二) carries the annual-plan template of each of its
thirteen agencies, and :func:`choose_template` picks, for a report, the template of the reporting agency.

Every change writes one audit event; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.template_binding import (
    BindingProposal,
    BindTask,
    LinkedBinding,
    propose_bindings,
    propose_through_links,
)
from duban.domain.vocabulary import BindingSource, BindingState, coerce
from duban.errors import NotFoundError, ValidationError
from duban.hookspecs import TaskTemplateSpec
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.catalog import find_policy
from duban.services.identity import Actor, require_coordinator
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import Agency, Policy, Responsibility, Task, TaskLink, TemplateBinding, utcnow

__all__ = [
    "BindingRow",
    "ProposeBindingsResult",
    "TemplateChoice",
    "bind_template",
    "bound_templates",
    "choose_template",
    "confirm_binding",
    "list_bindings",
    "propose_template_bindings",
    "reject_binding",
    "template_catalog",
]

FREE_TEXT_NOTE = "此任务尚未绑定部门模板，按自由文本报送"


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class BindingRow(JsonResult):
    """One binding (proposed, confirmed or rejected) with what a person needs to decide on it.
    ``decided_at`` is UTC."""

    id: int
    task: int
    task_number: str
    task_text: str
    policy_id: int
    policy: str  #: doc number, or the title when the document has none
    agency: str
    agency_name: str
    template: str
    template_title: str | None  #: None when no installed plugin registers the template any more
    source: BindingSource
    state: BindingState
    score: float
    reason: str
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ProposeBindingsResult(JsonResult):
    """``duban template propose``: the policies looked at, the new proposals, and how many were already stored."""

    policies: tuple[int, ...]
    proposed: tuple[BindingRow, ...]
    existing: int  #: candidates already stored (in any state): left as they are


@dataclass(frozen=True, slots=True)
class TemplateChoice(JsonResult):
    """The template a report is checked against, or None (free text) with the reason."""

    template: TaskTemplateSpec | None
    bound: tuple[str, ...] = ()  #: every template confirmed for this task and agency
    note: str | None = None  #: Chinese: why the report is taken as free text

    @property
    def key(self) -> str | None:
        return self.template.key if self.template else None


# --------------------------------------------------------------------------------------------- helpers


def _templates(host: PluginHost) -> dict[str, TaskTemplateSpec]:
    out: dict[str, TaskTemplateSpec] = {}
    for spec in host.task_templates():
        out.setdefault(spec.key, spec)
    return out


def _task_number(task: Task) -> str:
    return f"{task.section}.{task.number}" if task.section else task.number


def _rows(session: Session, host: PluginHost, bindings: Sequence[TemplateBinding]) -> list[BindingRow]:
    if not bindings:
        return []
    templates = _templates(host)
    task_ids = {b.task_id for b in bindings}
    tasks = {
        t.id: (t, p)
        for t, p in session.execute(
            select(Task, Policy).join(Policy, Policy.id == Task.policy_id).where(Task.id.in_(task_ids))
        )
    }
    names = {key: name for key, name in session.execute(select(Agency.key, Agency.name))}
    out = []
    for b in bindings:
        task, policy = tasks[b.task_id]
        tpl = templates.get(b.template_key)
        out.append(
            BindingRow(
                id=b.id,
                task=task.id,
                task_number=_task_number(task),
                task_text=task.text,
                policy_id=policy.id,
                policy=policy.doc_number or policy.title,
                agency=b.agency_key,
                agency_name=names.get(b.agency_key, b.agency_key),
                template=b.template_key,
                template_title=tpl.title if tpl else None,
                source=b.source,
                state=b.state,
                score=b.score,
                reason=b.reason,
                decided_by=b.decided_by,
                decided_at=b.decided_at,
                note=b.note,
            )
        )
    return out


def _snapshot(b: TemplateBinding) -> dict[str, Any]:
    return {
        "task": b.task_id,
        "agency": b.agency_key,
        "template": b.template_key,
        "source": b.source,
        "state": b.state,
        "score": b.score,
    }


def _load(session: Session, binding_id: int) -> TemplateBinding:
    binding = session.get(TemplateBinding, binding_id)
    if binding is None:
        raise NotFoundError(f"没有编号为 {binding_id} 的模板绑定（见 duban template list）")
    return binding


def _bind_tasks(session: Session, task_ids: Collection[int]) -> list[BindTask]:
    if not task_ids:
        return []
    agencies: dict[int, set[str]] = {i: set() for i in task_ids}
    for task_id, agency in session.execute(
        select(Responsibility.task_id, Responsibility.agency_key)
        .where(Responsibility.task_id.in_(task_ids), Responsibility.agency_key.is_not(None))
        .distinct()
    ):
        if agency is not None:
            agencies[task_id].add(agency)
    return [
        BindTask(
            id=t.id,
            doc_number=p.doc_number,
            title=p.title,
            section=t.section,
            number=t.number,
            text=t.text,
            agencies=frozenset(agencies[t.id]),
        )
        for t, p in session.execute(
            select(Task, Policy)
            .join(Policy, Policy.id == Task.policy_id)
            .where(Task.id.in_(task_ids))
            .order_by(Task.policy_id, Task.position)
        )
    ]


def _merge(proposals: Iterable[BindingProposal]) -> dict[tuple[int, str, str], BindingProposal]:
    """One proposal per (task, agency, template): the best source, with every reason found."""
    grouped: dict[tuple[int, str, str], list[BindingProposal]] = {}
    for p in proposals:
        grouped.setdefault((p.task_id, p.agency, p.template), []).append(p)
    out = {}
    for key, group in grouped.items():
        group.sort(key=lambda p: -p.score)
        reasons = list(dict.fromkeys(p.reason for p in group))
        best = group[0]
        out[key] = BindingProposal(
            best.task_id, best.agency, best.template, best.source, best.score, "；".join(reasons)
        )
    return out


# --------------------------------------------------------------------------------------------- propose


def propose_template_bindings(
    session: Session, *, actor: Actor, host: PluginHost, policy: str | None = None
) -> ProposeBindingsResult:
    """Propose templates for the tasks of one policy (or of every current policy).

    A candidate already stored — proposed, confirmed or rejected — is left as it is, so a rejected
    proposal is never proposed again and a confirmed binding never changes under the coordinator.
    """
    require_coordinator(actor, "生成模板绑定建议")
    if policy:
        policies = [find_policy(session, policy)]
    else:
        policies = list(
            session.scalars(select(Policy).where(Policy.superseded_by_id.is_(None)).order_by(Policy.id))
        )
    policy_ids = tuple(p.id for p in policies)
    target_ids = list(session.scalars(select(Task.id).where(Task.policy_id.in_(policy_ids))))
    templates = list(_templates(host).values())

    # the parents of the target tasks (through the task mapping) are matched too, in memory, so that a
    # provincial task gets the national task's template even before the national document was proposed
    links = list(
        session.execute(
            select(
                TaskLink.child_task_id, TaskLink.parent_task_id, TaskLink.confirmed, TaskLink.confidence
            ).where(TaskLink.child_task_id.in_(target_ids))
        )
    )
    parent_ids = {link.parent_task_id for link in links}
    tasks = _bind_tasks(session, set(target_ids) | parent_ids)
    by_id = {t.id: t for t in tasks}
    direct = _merge(propose_bindings(tasks, templates))

    stored = {
        (b.task_id, b.agency_key, b.template_key): b
        for b in session.scalars(
            select(TemplateBinding).where(TemplateBinding.task_id.in_(set(target_ids) | parent_ids))
        )
    }
    # what each parent task carries: stored (not rejected) bindings, else the fresh direct proposals
    parent_bindings: dict[int, dict[tuple[str, str], BindingState]] = {i: {} for i in parent_ids}
    for task_id, agency, template in direct:
        if task_id in parent_ids and (task_id, agency, template) not in stored:
            parent_bindings[task_id][(agency, template)] = BindingState.PROPOSED
    for (task_id, agency, template), b in stored.items():
        if task_id in parent_ids and b.state != BindingState.REJECTED:
            parent_bindings[task_id][(agency, template)] = b.state
    linked = [
        LinkedBinding(
            child_task_id=link.child_task_id,
            parent_label=by_id[link.parent_task_id].label,
            agency=agency,
            template=template,
            link_confirmed=bool(link.confirmed),
            link_confidence=float(link.confidence or 0.0),
            parent_state=state,
        )
        for link in links
        for (agency, template), state in parent_bindings.get(link.parent_task_id, {}).items()
    ]
    child_agencies = {t.id: t.agencies for t in tasks}
    targets = set(target_ids)
    candidates = _merge(
        [p for p in direct.values() if p.task_id in targets] + propose_through_links(linked, child_agencies)
    )

    added: list[TemplateBinding] = []
    existing = 0
    now = utcnow()
    for key in sorted(candidates, key=lambda k: (k[0], k[1], k[2])):
        if key in stored:
            existing += 1
            continue
        p = candidates[key]
        binding = TemplateBinding(
            task_id=p.task_id,
            agency_key=p.agency,
            template_key=p.template,
            source=p.source,
            state=BindingState.PROPOSED,
            score=p.score,
            reason=p.reason,
            proposed_at=now,
        )
        session.add(binding)
        added.append(binding)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="template.propose",
        entity_type="policy",
        entity_id=policy_ids[0] if len(policy_ids) == 1 else "all",
        after={
            "policies": list(policy_ids),
            "proposed": [
                {"id": b.id, "task": b.task_id, "agency": b.agency_key, "template": b.template_key}
                for b in added
            ],
            "existing": existing,
        },
    )
    return ProposeBindingsResult(policy_ids, tuple(_rows(session, host, added)), existing)


# --------------------------------------------------------------------------------------------- decide


def confirm_binding(session: Session, *, actor: Actor, host: PluginHost, binding_id: int) -> BindingRow:
    """Confirm a proposed (or a rejected) binding: the agency's reports on the task are then checked against
    the template. Confirming twice changes nothing."""
    require_coordinator(actor, "确认模板绑定")
    binding = _load(session, binding_id)
    if binding.state != BindingState.CONFIRMED:
        if binding.template_key not in _templates(host):
            raise ValidationError(
                f"模板 {binding.template_key} 不在任何已安装的插件中（插件未安装或加载出错，见 duban plugins），"
                "不能确认"
            )
        before = _snapshot(binding)
        binding.state = BindingState.CONFIRMED
        binding.decided_by, binding.decided_at, binding.note = actor.name, utcnow(), None
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="template.confirm",
            entity_type="template_binding",
            entity_id=binding.id,
            task_id=binding.task_id,
            before=before,
            after=_snapshot(binding),
        )
    return _rows(session, host, [binding])[0]


def reject_binding(
    session: Session, *, actor: Actor, host: PluginHost, binding_id: int, reason: str | None = None
) -> BindingRow:
    """Reject a proposal, or undo a confirmed binding. The row stays (rejected) and is not proposed again."""
    require_coordinator(actor, "驳回或解除模板绑定")
    binding = _load(session, binding_id)
    if binding.state != BindingState.REJECTED:
        before = _snapshot(binding)
        binding.state = BindingState.REJECTED
        binding.decided_by, binding.decided_at, binding.note = actor.name, utcnow(), reason
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="template.reject",
            entity_type="template_binding",
            entity_id=binding.id,
            task_id=binding.task_id,
            before=before,
            after={**_snapshot(binding), "reason": reason},
        )
    return _rows(session, host, [binding])[0]


def bind_template(
    session: Session, *, actor: Actor, host: PluginHost, task_id: int, template: str
) -> BindingRow:
    """Bind a template to a task by hand (confirmed at once), for the template's agency."""
    require_coordinator(actor, "绑定模板")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"没有编号为 {task_id} 的任务（见 duban tasks）")
    spec = _templates(host).get(template)
    if spec is None:
        known = "、".join(sorted(_templates(host))) or "无"
        raise NotFoundError(f"没有模板 {template}；已安装的模板：{known}（见 duban template catalog）")
    has = session.scalar(
        select(func.count())
        .select_from(Responsibility)
        .where(Responsibility.task_id == task.id, Responsibility.agency_key == spec.agency)
    )
    if not has:
        raise ValidationError(
            f"任务 #{task.id} 没有 {spec.agency} 部门的责任，不能绑定该部门的模板 {template}"
        )
    binding = session.scalar(
        select(TemplateBinding).where(
            TemplateBinding.task_id == task.id,
            TemplateBinding.agency_key == spec.agency,
            TemplateBinding.template_key == template,
        )
    )
    before = _snapshot(binding) if binding is not None else None
    if binding is None:
        binding = TemplateBinding(
            task_id=task.id,
            agency_key=spec.agency,
            template_key=template,
            source=BindingSource.MANUAL,
            score=1.0,
            reason="协调人手工绑定",
            proposed_at=utcnow(),
        )
        session.add(binding)
    binding.state = BindingState.CONFIRMED
    binding.decided_by, binding.decided_at, binding.note = actor.name, utcnow(), None
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="template.bind",
        entity_type="template_binding",
        entity_id=binding.id,
        task_id=task.id,
        before=before,
        after=_snapshot(binding),
    )
    return _rows(session, host, [binding])[0]


# --------------------------------------------------------------------------------------------- read


def list_bindings(
    session: Session,
    *,
    host: PluginHost,
    policy: str | None = None,
    task_id: int | None = None,
    agency: str | None = None,
    state: BindingState | str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[BindingRow]:
    """A page of bindings in task order (current policies unless one is named), with the total."""
    check_window(limit, offset)
    stmt = (
        select(TemplateBinding)
        .join(Task, Task.id == TemplateBinding.task_id)
        .join(Policy, Policy.id == Task.policy_id)
    )
    if policy:
        stmt = stmt.where(Policy.id == find_policy(session, policy).id)
    else:
        stmt = stmt.where(Policy.superseded_by_id.is_(None))
    if task_id is not None:
        stmt = stmt.where(TemplateBinding.task_id == task_id)
    if agency:
        stmt = stmt.where(TemplateBinding.agency_key == agency)
    if state:
        stmt = stmt.where(TemplateBinding.state == coerce(BindingState, state, "state"))
    total = count_rows(session, stmt)
    rows = list(
        session.scalars(
            stmt.order_by(Task.policy_id, Task.position, TemplateBinding.agency_key, TemplateBinding.id)
            .limit(limit)
            .offset(offset)
        )
    )
    return page_of(_rows(session, host, rows), total=total, limit=limit, offset=offset)


def template_catalog(host: PluginHost, *, agency: str | None = None) -> list[TaskTemplateSpec]:
    """Every template the installed plugins register (of one agency), by key."""
    return sorted(
        (t for t in _templates(host).values() if agency is None or t.agency == agency), key=lambda t: t.key
    )


def bound_templates(session: Session, task_ids: Collection[int]) -> dict[tuple[int, str], list[str]]:
    """The confirmed templates of each (task, agency), in the order they were bound."""
    out: dict[tuple[int, str], list[str]] = {}
    if not task_ids:
        return out
    for task_id, agency, template in session.execute(
        select(TemplateBinding.task_id, TemplateBinding.agency_key, TemplateBinding.template_key)
        .where(TemplateBinding.task_id.in_(task_ids), TemplateBinding.state == BindingState.CONFIRMED)
        .order_by(TemplateBinding.id)
    ):
        out.setdefault((task_id, agency), []).append(template)
    return out


def choose_template(
    session: Session,
    *,
    host: PluginHost,
    task: Task,
    agency: str | None,
    requested: str | None = None,
    indicator_keys: Iterable[str] = (),
) -> TemplateChoice:
    """The template an agency's report on a task is checked against.

    The template confirmed for this task and agency; with several, the one named (``requested``), or the
    only one whose indicators include every indicator given. Without a binding, the task's own
    ``template_key`` if it is this agency's (set by older versions and by hand), else none: free text.
    """
    templates = _templates(host)
    bound = bound_templates(session, [task.id]).get((task.id, agency or ""), [])
    if not bound and task.template_key and task.template_key in templates:
        legacy = templates[task.template_key]
        if legacy.agency == agency:
            bound = [legacy.key]
    if requested:
        if requested not in bound:
            listed = "、".join(bound) or "无"
            raise ValidationError(f"模板 {requested} 未绑定到任务 #{task.id}（本部门已绑定的模板：{listed}）")
        if requested not in templates:
            raise ValidationError(f"模板 {requested} 所属的插件未安装或加载出错（见 duban plugins）")
        return TemplateChoice(templates[requested], tuple(bound))
    if not bound:
        return TemplateChoice(None, (), FREE_TEXT_NOTE)
    loaded = [k for k in bound if k in templates]
    if not loaded:
        missing = "、".join(bound)
        return TemplateChoice(
            None,
            tuple(bound),
            f"此任务绑定的模板 {missing} 所属的插件未安装或加载出错（见 duban plugins），按自由文本报送",
        )
    if len(loaded) == 1:
        return TemplateChoice(templates[loaded[0]], tuple(bound))
    keys = set(indicator_keys)
    fitting = [k for k in loaded if keys and keys <= set(templates[k].indicators)]
    if len(fitting) == 1:
        return TemplateChoice(templates[fitting[0]], tuple(bound))
    listed = "、".join(f"{k}（{templates[k].title}）" for k in (fitting or loaded))
    raise ValidationError(f"此任务为本部门绑定了多个模板：{listed}；请用 --template 指定按哪个模板报送")
