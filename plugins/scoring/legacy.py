"""The old 考核 scheme (``legacy``, the default until the rates scheme): 100 points, minus what each department
lost, task by task. Kept selectable (``duban assess --scheme legacy``) for comparison; it ranks departments by
how much work they were given (more milestones, more deductions), which is why it is no longer the default.

Every number comes from the ``[scoring.legacy]`` and ``[scoring.grades]`` tables of config/duban.toml:

- 按时报送率: ``on_time_weight × (1 − on-time rate)`` over the department's assessed milestones;
- per task, weighted by the department's role (``weight_lead`` / ``weight_joint`` / ``weight_support``):
  逾期 ``overdue_each`` per milestone not reported by its effective due date plus ``overdue_per_day`` per day
  late; 退办 ``returned_each`` per returned report; 红灯 ``red_each`` per milestone still red on the
  assessment day; 错误发现 ``error_each`` per error finding; 警告发现 ``warning_each`` per warning finding
  (a report accepted with a warning, a responsibility check such as 台账 stale or a silent 配合 unit);
- a task's deductions are capped at ``task_cap``; a score never goes below 0;
- grades: 优秀 ≥ ``grades.excellent``, 良好 ≥ ``grades.good``, 合格 ≥ ``grades.pass``, else 不合格.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from duban.domain.scoring import (
    DepartmentFacts,
    DepartmentScore,
    Ref,
    RefKind,
    TaskFacts,
    Term,
    cap_deductions,
    grade,
    num,
    points,
    total,
)
from duban.hookspecs import Role, ScoringSchemeSpec

NAME = "legacy"


def _weights(cfg: Mapping[str, Any]) -> dict[str, float]:
    return {role: float(cfg[f"weight_{role}"]) for role in Role}


def _task_terms(
    tasks: Sequence[TaskFacts], cfg: Mapping[str, Any], weights: Mapping[str, float]
) -> list[Term]:
    first = tasks[0]
    role = max((t.role for t in tasks), key=lambda r: weights.get(r, weights[Role.LEAD]))
    w = weights.get(role, weights[Role.LEAD])
    rw = f"{Role(role).label}权重 {num(w)}"
    n_over, days = sum(t.overdue for t in tasks), sum(t.days_late for t in tasks)
    n_ret, n_red, n_err, n_warn = (
        sum(t.returned for t in tasks),
        sum(t.red for t in tasks),
        sum(t.errors for t in tasks),
        sum(t.warnings for t in tasks),
    )
    out: list[Term] = []
    if n_over:
        each, per_day = float(cfg["overdue_each"]), float(cfg["overdue_per_day"])
        out.append(
            Term(
                "overdue",
                "逾期报送",
                -points((n_over * each + days * per_day) * w),
                f"({n_over} 个 × {num(each)} + {days} 天 × {num(per_day)}) × {rw}",
                task_id=first.task_id,
                task=first.task,
                role=role,
                count=n_over,
                refs=tuple(Ref("milestone", i) for t in tasks for i in t.overdue_refs),
            )
        )
    counted: tuple[tuple[str, str, int, str, RefKind, str], ...] = (
        ("returned", "报送被退回（退办）", n_ret, "returned_each", "report", "returned_refs"),
        ("red", "红灯节点", n_red, "red_each", "milestone", "red_refs"),
        ("error", "错误发现", n_err, "error_each", "finding", "error_refs"),
        ("warning", "警告发现", n_warn, "warning_each", "finding", "warning_refs"),
    )
    for code, label, n, key, kind, attr in counted:
        if n and float(cfg.get(key, 0)):
            each = float(cfg[key])
            out.append(
                Term(
                    code,
                    label,
                    -points(n * each * w),
                    f"{n} 个 × {num(each)} × {rw}",
                    task_id=first.task_id,
                    task=first.task,
                    role=role,
                    count=n,
                    refs=tuple(Ref(kind, i) for t in tasks for i in getattr(t, attr)),
                )
            )
    back = cap_deductions(out, float(cfg["task_cap"]), task_id=first.task_id, task=first.task)
    return out + ([back] if back else [])


def score_department(
    dept: DepartmentFacts, config: Mapping[str, Any], weights: Mapping[str, float] | None = None
) -> DepartmentScore:
    cfg = config[NAME]
    weights = weights or _weights(cfg)
    base = float(cfg["base"])
    terms = [Term("base", "基础分", points(base), f"{num(base)} 分")]
    if dept.due:
        weight = float(cfg["on_time_weight"])
        late = dept.due - dept.on_time
        if late:
            terms.append(
                Term(
                    "on_time",
                    f"按时报送率 {dept.on_time}/{dept.due}",
                    -points(weight * late / dept.due),
                    f"{num(weight)} × (1 − {dept.on_time}/{dept.due})",
                    count=late,
                    refs=tuple(Ref("milestone", i) for t in dept.tasks for i in t.overdue_refs),
                )
            )
    by_task: dict[int, list[TaskFacts]] = {}
    for t in dept.tasks:
        by_task.setdefault(t.task_id, []).append(t)
    for task_id in sorted(by_task):
        terms.extend(_task_terms(by_task[task_id], cfg, weights))
    score = total(terms)
    if score < 0:
        terms.append(Term("floor", "最低 0 分", -score, f"得分 {num(score)} 不低于 0"))
        score = 0.0
    return DepartmentScore(
        dept.agency, dept.jurisdiction, score, grade(score, config["grades"]), tuple(terms)
    )


def compute(facts: Sequence[DepartmentFacts], config: Mapping[str, Any]) -> list[DepartmentScore]:
    weights = _weights(config[NAME])
    return [score_department(d, config, weights) for d in facts]


SPEC = ScoringSchemeSpec(
    name=NAME,
    title="旧考核办法（按件扣分）",
    compute=compute,
    description="旧办法，供对比：按件累计扣分（逾期按天递增、退办、红灯、错误发现），单项任务封顶；任务越多扣分越多。",
)
