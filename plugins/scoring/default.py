"""The default 考核 scheme: rates, not counts, so that a department is scored on how well it worked, not on
how much work it was given.

Every number comes from the ``[scoring.default]`` table of config/duban.toml (see docs/assessment.md). Six
rules, each a rate over the department's milestones (or reports) of the period, each worth a stated number of
points; a milestone weighs by the department's role (``weight_lead`` / ``weight_joint`` / ``weight_support``)::

    W = Σ role weight × assessed milestones          R = Σ role weight × reports filed

    按时报送率     on_time_points    × (1 − weighted on-time milestones / W)
    逾期工作日     overdue_points    × min(1, Σ weight × working days late / W / overdue_full_days)
    未完成         completion_points × weighted milestones still red on the assessment day / W
    退办率         returned_points   × min(1, Σ weight × returned reports / R / returned_full)
    发现率         findings_points   × min(1, Σ weight × (errors + warning_factor × warnings) / R / findings_full)
    延期           extension_points  × weighted milestones moved by an extension / W

    score = base − Σ rule deductions (each rounded half up to 0.01, exactly, with Decimal)

A rule's deduction is split over the milestones, reports and findings behind it in proportion to their
share (largest remainder, to the cent), so each line names the task, the milestone, the rule and the number,
and the lines add up exactly to the score. A rule with no denominator is 不适用 (no reports: no return or
finding rate) and costs nothing; a department with nothing due has no score (不适用), never 0 % beside 100.

Doubling a department's workload at the same performance leaves every rate — hence the score — unchanged.
Grades come from the band table ``grade_bands`` (score floor and rank share, ties by
:func:`duban.domain.scoring.band_grades`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from duban.domain.scoring import (
    NOT_APPLICABLE,
    RATE_CODE,
    DepartmentFacts,
    DepartmentScore,
    GradeBand,
    MilestoneFacts,
    Ref,
    TaskFacts,
    Term,
    apportion,
    band_grades,
    cents,
    num,
)
from duban.hookspecs import Role, ScoringSchemeSpec, hookimpl
from duban.plugins.scoring import legacy

NAME = "default"
NO_MILESTONE = "—（不属于某个节点）"


def _frac(value: Any) -> Fraction:
    return Fraction(str(value))


def _pct(value: Fraction) -> str:
    return f"{float(value) * 100:.1f}%"


def _dec(value: Fraction) -> str:
    return num(round(float(value), 2))


@dataclass(frozen=True)
class _Line:
    """A milestone, report or finding behind a rule, with its share of the rule's deduction."""

    share: Fraction
    task: TaskFacts
    ref: Ref
    milestone: MilestoneFacts | None
    formula: str


@dataclass(frozen=True)
class _Rule:
    code: str
    label: str  #: the rule, as each line names it
    rate_label: str  #: the rate, as the summary line names it
    points: Fraction  #: what the whole rule is worth
    deduction: Fraction | None  #: exact; None when not applicable
    summary: str  #: the rate and the deduction, in words and numbers
    lines: tuple[_Line, ...]


class _Department:
    """The weighted sums of one department (the denominators of every rate)."""

    def __init__(self, dept: DepartmentFacts, weights: Mapping[str, Fraction]) -> None:
        self.dept = dept
        self.weights = weights
        self.due = sum((self.w(t) * t.due for t in dept.tasks), Fraction(0))
        self.reports = sum((self.w(t) * t.reports for t in dept.tasks), Fraction(0))
        self.on_time = sum((self.w(t) * t.on_time for t in dept.tasks), Fraction(0))

    def w(self, t: TaskFacts) -> Fraction:
        return self.weights.get(t.role, self.weights[Role.LEAD])

    def milestones(self, flag: Callable[[MilestoneFacts], bool]) -> list[tuple[TaskFacts, MilestoneFacts]]:
        return [(t, m) for t in self.dept.tasks for m in t.milestones if flag(m)]

    def milestone_of(self, t: TaskFacts, milestone_id: int | None) -> MilestoneFacts | None:
        return next((m for m in t.milestones if m.id == milestone_id), None)

    def rw(self, t: TaskFacts) -> str:
        return f"{Role(t.role).label}权重 {num(float(self.w(t)))}"


def _rules(d: _Department, cfg: Mapping[str, Any]) -> list[_Rule]:
    W = d.due
    out: list[_Rule] = []

    # 按时报送率
    p = _frac(cfg["on_time_points"])
    late = d.milestones(lambda m: m.overdue)
    rate = d.on_time / W
    ded = p * (1 - rate)
    out.append(
        _Rule(
            "on_time",
            "未按时报送",
            "按时报送率",
            p,
            ded,
            f"加权 {_dec(d.on_time)}/{_dec(W)} = {_pct(rate)}，扣 {num(float(p))} × (1 − {_pct(rate)})",
            tuple(
                _Line(
                    d.w(t),
                    t,
                    Ref("milestone", m.id),
                    m,
                    f"{num(float(p))} 分 × {d.rw(t)} ÷ 加权应报节点 {_dec(W)}"
                    + ("（报送日 " + str(m.reported_on) + "）" if m.reported_on else "（至今未报）"),
                )
                for t, m in late
            ),
        )
    )

    # 逾期工作日
    p = _frac(cfg["overdue_points"])
    full = _frac(cfg["overdue_full_days"])
    days = sum((d.w(t) * m.working_days_late for t, m in late), Fraction(0))
    per = days / W
    ded = p * min(Fraction(1), per / full)
    out.append(
        _Rule(
            "overdue",
            "逾期工作日",
            "平均逾期工作日",
            p,
            ded,
            f"加权逾期 {_dec(days)} 个工作日 ÷ 加权应报节点 {_dec(W)} = 每节点 {_dec(per)} 个工作日，"
            f"扣 {num(float(p))} × min(1, {_dec(per)} ÷ {num(float(full))})",
            tuple(
                _Line(
                    d.w(t) * m.working_days_late,
                    t,
                    Ref("milestone", m.id),
                    m,
                    f"逾期 {m.working_days_late} 个工作日（{m.days_late} 天）× {d.rw(t)}，"
                    f"占本项加权逾期工作日 {_dec(days)} 的份额",
                )
                for t, m in late
                if m.working_days_late > 0
            ),
        )
    )

    # 未完成（考核日仍为红灯）
    p = _frac(cfg["completion_points"])
    red = d.milestones(lambda m: m.red)
    red_w = sum((d.w(t) for t, _m in red), Fraction(0))
    out.append(
        _Rule(
            "completion",
            "考核日未完成",
            "节点完成率",
            p,
            p * red_w / W,
            f"加权 {_dec(W - red_w)}/{_dec(W)} = {_pct((W - red_w) / W)} 已完成，"
            f"扣 {num(float(p))} × {_dec(red_w)} ÷ {_dec(W)}",
            tuple(
                _Line(
                    d.w(t),
                    t,
                    Ref("milestone", m.id),
                    m,
                    ("最新报送被退回未重报" if m.reported_on else "逾期未报")
                    + f"：{num(float(p))} 分 × {d.rw(t)} ÷ 加权应报节点 {_dec(W)}",
                )
                for t, m in red
            ),
        )
    )

    # 退办率, 发现率: per report filed
    R = d.reports
    p = _frac(cfg["returned_points"])
    full = _frac(cfg["returned_full"])
    returned = [
        (t, rid, d.milestone_of(t, dict(t.report_milestones).get(rid)))
        for t in d.dept.tasks
        for rid in t.returned_refs
    ]
    ret_w = sum((d.w(t) for t, _r, _m in returned), Fraction(0))
    if R:
        q = ret_w / R
        out.append(
            _Rule(
                "returned",
                "报送被退回（退办）",
                "退办率",
                p,
                p * min(Fraction(1), q / full),
                f"加权退办 {_dec(ret_w)} ÷ 加权报送 {_dec(R)} = {_dec(q)} 次/份，"
                f"扣 {num(float(p))} × min(1, {_dec(q)} ÷ {num(float(full))})",
                tuple(
                    _Line(
                        d.w(t),
                        t,
                        Ref("report", rid),
                        m,
                        f"退办 1 次 × {d.rw(t)}，占本项加权退办 {_dec(ret_w)} 的份额",
                    )
                    for t, rid, m in returned
                ),
            )
        )
    else:
        out.append(_Rule("returned", "报送被退回（退办）", "退办率", p, None, "不适用（本期没有报送）", ()))

    p = _frac(cfg["findings_points"])
    full = _frac(cfg["findings_full"])
    wf = _frac(cfg["warning_factor"])
    found: list[tuple[TaskFacts, int, Fraction, str]] = [
        (t, fid, Fraction(1), "错误") for t in d.dept.tasks for fid in t.error_refs
    ]
    if wf:
        found += [(t, fid, wf, "警告") for t in d.dept.tasks for fid in t.warning_refs]
    found_w = sum((d.w(t) * k for t, _f, k, _s in found), Fraction(0))
    if R:
        q = found_w / R
        out.append(
            _Rule(
                "findings",
                "检查发现",
                "发现率",
                p,
                p * min(Fraction(1), q / full),
                f"加权发现 {_dec(found_w)}（警告按 {num(float(wf))} 条计）÷ 加权报送 {_dec(R)} = {_dec(q)} 条/份，"
                f"扣 {num(float(p))} × min(1, {_dec(q)} ÷ {num(float(full))})",
                tuple(
                    _Line(
                        d.w(t) * k,
                        t,
                        Ref("finding", fid),
                        d.milestone_of(t, dict(t.finding_milestones).get(fid)),
                        f"{sev}发现 1 条 × {num(float(k))} × {d.rw(t)}，占本项加权发现 {_dec(found_w)} 的份额",
                    )
                    for t, fid, k, sev in found
                ),
            )
        )
    else:
        out.append(_Rule("findings", "检查发现", "发现率", p, None, "不适用（本期没有报送）", ()))

    # 延期: a small cost, never erasing lateness
    p = _frac(cfg["extension_points"])
    ext = d.milestones(lambda m: m.extended)
    ext_w = sum((d.w(t) for t, _m in ext), Fraction(0))
    out.append(
        _Rule(
            "extension",
            "经批准延期",
            "延期率",
            p,
            p * ext_w / W,
            f"加权延期节点 {_dec(ext_w)} ÷ 加权应报节点 {_dec(W)}，扣 {num(float(p))} × {_dec(ext_w)} ÷ {_dec(W)}",
            tuple(
                _Line(
                    d.w(t),
                    t,
                    Ref("milestone", m.id),
                    m,
                    f"{num(float(p))} 分 × {d.rw(t)} ÷ 加权应报节点 {_dec(W)}",
                )
                for t, m in ext
            ),
        )
    )
    return out


def _terms(rule: _Rule) -> list[Term]:
    """The rule's summary (0 points) and its lines, whose points add up to the rounded deduction."""
    if rule.deduction is None:
        return [Term(RATE_CODE, f"{rule.rate_label}（{num(float(rule.points))} 分）", 0.0, rule.summary)]
    total = cents(rule.deduction)
    summary = Term(
        RATE_CODE,
        f"{rule.rate_label}（{num(float(rule.points))} 分）",
        0.0,
        f"{rule.summary} = {total}",
        count=len(rule.lines),
    )
    parts = apportion(total, [line.share for line in rule.lines])
    out = [summary]
    for line, part in zip(rule.lines, parts, strict=True):
        if not part:
            continue
        t, m = line.task, line.milestone
        out.append(
            Term(
                rule.code,
                rule.label,
                float(-part),
                line.formula,
                task_id=t.task_id,
                task=t.task,
                role=t.role,
                count=1,
                refs=(line.ref,),
                milestone=m.label() if m else NO_MILESTONE,
            )
        )
    if total and not any(p for p in parts):  # shares all zero: keep the deduction visible on its own
        out.append(Term(rule.code, rule.label, float(-total), rule.summary))
    return out


def score_department(
    dept: DepartmentFacts, cfg: Mapping[str, Any], weights: Mapping[str, Fraction]
) -> tuple[float | None, tuple[Term, ...]]:
    """A department's score (None when nothing was due) and its terms; the terms add up to it exactly."""
    d = _Department(dept, weights)
    if not d.due:
        note = "不适用：本期没有到期的节点" + (
            f"（{pending} 个尚未到期）" if (pending := sum(t.pending for t in dept.tasks)) else ""
        )
        return None, (Term(RATE_CODE, "本期考核", 0.0, note),)
    base = cents(_frac(cfg["base"]))
    terms = [Term("base", "基础分", float(base), f"{num(float(base))} 分")]
    score = base
    for rule in _rules(d, cfg):
        rule_terms = _terms(rule)
        terms.extend(rule_terms)
        score += sum((Decimal(str(t.points)) for t in rule_terms), Decimal(0))
    if score < 0:
        terms.append(Term("floor", "最低 0 分", float(-score), f"得分 {score} 不低于 0"))
        score = Decimal(0)
    return float(score), tuple(terms)


def weights_of(cfg: Mapping[str, Any]) -> dict[str, Fraction]:
    return {role: _frac(cfg[f"weight_{role}"]) for role in Role}


def compute(facts: Sequence[DepartmentFacts], config: Mapping[str, Any]) -> list[DepartmentScore]:
    cfg = config[NAME]
    weights = weights_of(cfg)
    scored = [(d, *score_department(d, cfg, weights)) for d in facts]
    grades = band_grades([s for _d, s, _t in scored], GradeBand.table(cfg["grade_bands"]))
    return [
        DepartmentScore(d.agency, d.jurisdiction, s, g, terms)
        for (d, s, terms), g in zip(scored, grades, strict=True)
    ]


@hookimpl
def duban_register_scoring_schemes() -> list[ScoringSchemeSpec]:
    return [
        ScoringSchemeSpec(
            name=NAME,
            title="默认考核办法（按比率）",
            compute=compute,
            description="百分制，按比率计分，与任务多少无关：按时报送率、平均逾期工作日、完成率、退办率、"
            "发现率、延期率，配合节点按权重计；等次按分数线和名次比例。",
        ),
        legacy.SPEC,
    ]


__all__ = ["NAME", "NOT_APPLICABLE", "compute", "duban_register_scoring_schemes", "score_department"]
