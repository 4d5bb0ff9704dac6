"""考核 maths, pure: periods, the facts a scheme receives, terms, caps, grades and ranking.

A scoring scheme (``ScoringSchemeSpec.compute``) is called as ``compute(facts, config)``:

- ``facts``: a list of :class:`DepartmentFacts` — one per department (agency @ jurisdiction), each with one
  :class:`TaskFacts` per responsibility holding counts and sums computed in SQL, and the ids of the
  milestones, reports and findings behind each count;
- ``config``: the ``[scoring]`` table of the configuration (``config["default"]`` is the default scheme's).

It returns a list of :class:`DepartmentScore`: a score, a grade, and the :class:`Term` s the score is the
sum of. Every term names what it counts and carries :class:`Ref` s to the rows behind it, as
Taskwarrior's urgency breakdown does: a department can see why it lost each point.

This module imports no SQLAlchemy; plugins may import it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from duban.domain.jsonable import to_jsonable
from duban.domain.vocabulary import Role

RefKind = Literal["milestone", "report", "finding"]

#: grade names, best first (the thresholds are configuration: scoring.grades)
GRADE_NAMES = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
#: the grade of a department with nothing due in the period (no score, no rank)
NOT_APPLICABLE = "不适用"
REF_NAMES = {"milestone": "节点", "report": "报送", "finding": "发现"}

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>[HhQq][1-4]))?$")


@dataclass(frozen=True)
class Period:
    """An assessment period: a year, a half (H1/H2) or a quarter (Q1–Q4); both ends included."""

    label: str
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2025``, ``2025-H1`` or ``2025-Q3``; ValueError says what was expected."""
        m = _PERIOD.match(text.strip())
        if not m or (m["part"] and m["part"][0] in "Hh" and m["part"][1] not in "12"):
            raise ValueError(f"考核期 {text!r} 无法识别（应为：2025、2025-H1/H2 或 2025-Q1…Q4）")
        year = int(m["year"])
        part = (m["part"] or "").upper()
        if not part:
            first, last = 1, 12
        elif part[0] == "H":
            first = 1 if part == "H1" else 7
            last = first + 5
        else:
            first = 3 * (int(part[1]) - 1) + 1
            last = first + 2
        end = (dt.date(year + 1, 1, 1) if last == 12 else dt.date(year, last + 1, 1)) - dt.timedelta(days=1)
        return cls(f"{year}-{part}" if part else str(year), dt.date(year, first, 1), end)


@dataclass(frozen=True)
class Ref:
    """A row behind a term: ``milestone`` #12, ``report`` #34, ``finding`` #56."""

    kind: RefKind
    id: int

    def label(self) -> str:
        return f"{REF_NAMES[self.kind]}#{self.id}"


@dataclass(frozen=True)
class MilestoneFacts:
    """A milestone behind a deduction: late, still red, or moved by an extension.

    ``effective_due`` is the due date an extension approved by the original due date moved it to (an
    extension approved later never erases lateness: the original date stands); ``days_late`` and
    ``working_days_late`` count to the report day, or — still unreported — to the assessment day or the day
    the duty was closed (办结), whichever came first.
    """

    id: int
    period: str
    due: dt.date
    effective_due: dt.date
    reported_on: dt.date | None = None
    overdue: bool = False
    red: bool = False
    extended: bool = False
    days_late: int = 0
    working_days_late: int = 0

    def label(self) -> str:
        """``2025-Q1（到期 2025-04-10，延期至 2025-04-25）``."""
        moved = f"，延期至 {self.effective_due}" if self.effective_due != self.due else ""
        return f"{self.period}（到期 {self.due}{moved}）"


@dataclass(frozen=True)
class TaskFacts:
    """One responsibility of a department in the period, as counted in SQL.

    - ``due``: milestones whose effective due date falls in the period and that are assessed
      (past due as of the assessment day, or already reported);
    - ``on_time``: of those, reported on or before the effective due date;
    - ``overdue``: the others (late or still unreported), with ``days_late`` summed over them
      (up to the report day, or to the assessment day when unreported);
    - ``returned``: report versions returned (退办) by the assessment day;
    - ``red``: milestones still red on the assessment day (unreported past due, or latest report returned);
    - ``errors``: findings of severity ``error``;
    - ``warnings``: findings of severity ``warning`` (a report accepted with a warning, or a responsibility
      check such as 台账 not updated for six months, open at some time in the period).
    """

    responsibility_id: int
    task_id: int
    task: str  #: a short label: doc number and task number
    role: str
    due: int = 0
    on_time: int = 0
    pending: int = 0
    overdue: int = 0
    days_late: int = 0
    returned: int = 0
    red: int = 0
    errors: int = 0
    overdue_refs: tuple[int, ...] = ()  #: milestone ids
    returned_refs: tuple[int, ...] = ()  #: report ids
    red_refs: tuple[int, ...] = ()  #: milestone ids
    error_refs: tuple[int, ...] = ()  #: finding ids
    warnings: int = 0
    warning_refs: tuple[int, ...] = ()  #: finding ids
    reports: int = 0  #: report versions filed by the assessment day on the milestones of the period
    extended: int = 0  #: milestones of the period moved by an extension approved by their due date
    extended_refs: tuple[int, ...] = ()  #: milestone ids
    closed_on: dt.date | None = None  #: the duty's 办结 (a 配合 duty's: the task's, unless configured)
    milestones: tuple[MilestoneFacts, ...] = ()  #: milestones behind a deduction, with details
    report_milestones: tuple[tuple[int, int], ...] = ()  #: (returned report id, its milestone id)
    finding_milestones: tuple[tuple[int, int], ...] = ()  #: (finding id, its milestone id), when it has one


@dataclass(frozen=True)
class DepartmentFacts:
    """A department (agency @ jurisdiction) and its responsibilities in the period."""

    agency: str
    agency_name: str
    jurisdiction: str | None
    jurisdiction_name: str
    tasks: tuple[TaskFacts, ...] = ()

    @property
    def due(self) -> int:
        return sum(t.due for t in self.tasks)

    @property
    def on_time(self) -> int:
        return sum(t.on_time for t in self.tasks)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class Term:
    """One addend of a score. ``points`` is signed (a deduction is negative)."""

    code: str  #: base | on_time | overdue | returned | red | error | cap | floor | anything a scheme adds
    label: str  #: Chinese, e.g. 逾期报送
    points: float
    formula: str = ""  #: how the points were computed, in words and numbers
    task_id: int | None = None
    task: str = ""
    role: str | None = None
    count: int = 0
    refs: tuple[Ref, ...] = ()
    milestone: str = ""  #: the milestone a line is about: ``2025-Q1（到期 2025-04-10）``


@dataclass(frozen=True)
class DepartmentScore:
    """A department's score (None: nothing was due, 不适用), its grade and the terms it is the sum of."""

    agency: str
    jurisdiction: str | None
    score: float | None
    grade: str
    terms: tuple[Term, ...] = ()


# --------------------------------------------------------------------------- helpers for schemes


def points(value: float) -> float:
    """Points are kept to two decimals (a score of 80.45, not 80.44999999999999)."""
    return round(value + 0.0, 2)


def num(value: float) -> str:
    """A number for a formula: 1, 0.5, 0.25 (no trailing zeros)."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def grade(score: float, thresholds: Mapping[str, float]) -> str:
    """优秀 ≥ excellent, 良好 ≥ good, 合格 ≥ pass, else 不合格."""
    for key in ("excellent", "good", "pass"):
        if score >= float(thresholds[key]):
            return GRADE_NAMES[key]
    return GRADE_NAMES["fail"]


def cap_deductions(terms: Sequence[Term], cap: float, *, task_id: int, task: str) -> Term | None:
    """The term that gives back what a task's deductions exceed ``cap`` by (None when within the cap)."""
    lost = -sum(t.points for t in terms)
    if lost <= cap:
        return None
    back = points(lost - cap)
    return Term(
        "cap",
        f"单项任务扣分封顶 {num(cap)} 分",
        back,
        f"本任务扣分 {num(points(lost))} 分，超出上限 {num(cap)} 分，返还 {num(back)} 分",
        task_id=task_id,
        task=task,
    )


def total(terms: Iterable[Term]) -> float:
    return points(sum(t.points for t in terms))


def rank(scores: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of rows already sorted by score, best first; None for no score
    (不适用, sorted last)."""
    out: list[int | None] = []
    for i, row in enumerate(scores):
        if row["score"] is None:
            out.append(None)
        else:
            out.append(out[-1] if i and row["score"] == scores[i - 1]["score"] else i + 1)
    return out


# --------------------------------------------------------------------------- exact points


CENT = Decimal("0.01")


def cents(value: Fraction | Decimal | int) -> Decimal:
    """A value rounded half up to two decimals, exactly (no float in between)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def apportion(total: Decimal, shares: Sequence[Fraction]) -> list[Decimal]:
    """Split ``total`` (two decimals) in proportion to ``shares`` so that the parts, each two decimals, add up
    to ``total`` exactly (largest remainder; equal remainders go to the earlier share)."""
    whole = sum(shares, Fraction(0))
    if not shares or whole == 0:
        return [Decimal(0) for _ in shares]
    units = int(total / CENT)
    exact = [Fraction(units) * s / whole for s in shares]
    floors = [e.numerator // e.denominator for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


# --------------------------------------------------------------------------- grade bands


@dataclass(frozen=True)
class GradeBand:
    """A row of the grade table: ``name`` needs at least ``min_score`` and a place within the best
    ``max_share`` of the departments scored (1 = no limit)."""

    name: str
    min_score: float = 0.0
    max_share: float = 1.0

    @classmethod
    def table(cls, rows: Iterable[Mapping[str, Any]]) -> list[GradeBand]:
        bands = [
            cls(str(r["name"]), float(r.get("min_score", 0.0)), float(r.get("max_share", 1.0))) for r in rows
        ]
        if not bands:
            raise ValueError("等次表为空（scoring.default.grade_bands）")
        return bands


def band_grades(scores: Sequence[float | None], bands: Sequence[GradeBand]) -> list[str]:
    """The grade of each score by the band table (best band first); None scores are 不适用.

    A band takes a department whose score reaches ``min_score`` and whose place is within
    ``floor(max_share × N)`` of the N departments scored. Ties: departments with the same score get the same
    grade; a tied group is placed by its *last* position, so a group that would take a band past its share
    falls as a whole to the next band ("at most 20 %" is a hard limit). The last band takes everyone left.
    """
    scored = sorted((s for s in scores if s is not None), reverse=True)
    n = len(scored)
    last_place: dict[float, int] = {}
    for i, value in enumerate(scored, start=1):
        last_place[value] = i
    out: list[str] = []
    for s in scores:
        if s is None:
            out.append(NOT_APPLICABLE)
            continue
        name = bands[-1].name
        for band in bands[:-1]:
            limit = int(Fraction(str(band.max_share)) * n)
            if s >= band.min_score and (band.max_share >= 1 or last_place[s] <= limit):
                name = band.name
                break
        out.append(name)
    return out


def term_to_dict(term: Term) -> dict[str, Any]:
    """A term as JSON data (as in ``duban assess --json``)."""
    data = to_jsonable(term)
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True)
class Column:
    """A column of an exported table: the key in a result row and its Chinese header."""

    key: str
    header: str
    width: int = 12
    kind: str = "text"  # text | number | percent


#: the ranking (考核得分) sheet
SCORE_COLUMNS: tuple[Column, ...] = (
    Column("rank", "名次", 6, "number"),
    Column("agency_name", "部门", 14),
    Column("jurisdiction_name", "辖区", 12),
    Column("score", "得分", 8, "number"),
    Column("grade", "等次", 8),
    Column("on_time_rate", "按时报送率", 11, "percent"),
    Column("due", "应报节点", 9, "number"),
    Column("on_time", "按时报送", 9, "number"),
    Column("lost_on_time", "按时率扣分", 11, "number"),
    Column("lost_overdue", "逾期扣分", 9, "number"),
    Column("lost_completion", "未完成扣分", 10, "number"),
    Column("lost_returned", "退办扣分", 9, "number"),
    Column("lost_findings", "发现扣分", 9, "number"),
    Column("lost_extension", "延期扣分", 9, "number"),
    Column("cap_back", "封顶返还", 9, "number"),
)

#: the codes summed into each 扣分 column of the ranking (the old scheme's red/error/warning included)
LOST_COLUMNS = {
    "on_time": ("on_time",),
    "overdue": ("overdue",),
    "completion": ("completion", "red"),
    "returned": ("returned",),
    "findings": ("findings", "error", "warning"),
    "extension": ("extension",),
}

#: the breakdown (得分构成) sheet: one row per term; 说明 is the line ``duban assess --explain`` prints
TERM_COLUMNS: tuple[Column, ...] = (
    Column("rank", "名次", 6, "number"),
    Column("agency_name", "部门", 14),
    Column("jurisdiction_name", "辖区", 12),
    Column("task", "任务", 30),
    Column("role_name", "角色", 8),
    Column("milestone", "节点", 24),
    Column("label", "得分项", 20),
    Column("count", "数量", 6, "number"),
    Column("formula", "计算", 40),
    Column("points", "分值", 8, "number"),
    Column("refs", "依据", 30),
    Column("line", "说明", 80),
)

#: the evidence (扣分依据) sheet: one row per milestone, report or finding behind a deduction
EVIDENCE_COLUMNS: tuple[Column, ...] = (
    Column("agency_name", "部门", 14),
    Column("jurisdiction_name", "辖区", 12),
    Column("kind_name", "扣分项", 10),
    Column("ref", "依据", 12),
    Column("task", "任务", 30),
    Column("role_name", "角色", 8),
    Column("period", "节点", 10),
    Column("due", "原到期日", 11),
    Column("effective_due", "有效到期日", 11),
    Column("reported_on", "报送日", 11),
    Column("days_late", "逾期天数", 9, "number"),
    Column("detail", "说明", 40),
)

#: terms that only state a rate (0 points): shown without a value in the 分值 column
RATE_CODE = "rate"


def explain_line(term: Mapping[str, Any] | Term) -> str:
    """The one line that explains a term, the same in ``duban assess --explain``/``assess show`` and in the
    得分构成 sheet: rule, task (policy and number, never cut), milestone, calculation and points."""
    t = term_to_dict(term) if isinstance(term, Term) else term
    if t["code"] == RATE_CODE:
        return f"{t['label']}：{t['formula']}"
    parts = [t["label"]]
    if t.get("task"):
        role = _role_label(t.get("role"))
        parts.append(f"任务 {t['task']}" + (f"（{role}）" if role else ""))
    if t.get("milestone"):
        parts.append(f"节点 {t['milestone']}")
    if t.get("formula"):
        parts.append(t["formula"])
    refs = "、".join(f"{REF_NAMES[r['kind']]}#{r['id']}" for r in t.get("refs", ()))
    if refs:
        parts.append(f"依据 {refs}")
    return "｜".join(parts) + f"｜{t['points']:+.2f} 分"


KIND_NAMES = {
    "extended": "延期",
    "overdue": "逾期报送",
    "returned": "报送被退回",
    "red": "红灯节点",
    "error": "错误发现",
    "warning": "警告发现",
}


def _role_label(role: str | None) -> str:
    return Role(role).label if role else ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


def result_tables(result: Mapping[str, Any]) -> list[Table]:
    """The three printable tables of an assessment result (for exporters): 考核得分, 得分构成, 扣分依据."""
    depts = result.get("departments", [])
    where = {(d["agency"], d["jurisdiction"]): d for d in depts}
    scores, terms = [], []
    for d in depts:
        sums: dict[str, Decimal] = {}
        for t in d["terms"]:
            sums[t["code"]] = sums.get(t["code"], Decimal(0)) + Decimal(str(t["points"]))
        lost = {
            f"lost_{k}": float(-sum((sums.get(c, Decimal(0)) for c in codes), Decimal(0)))
            for k, codes in LOST_COLUMNS.items()
        }
        scores.append({**d, **lost, "cap_back": float(sums.get("cap", Decimal(0)))})
        for t in d["terms"]:
            terms.append(
                {
                    "rank": d["rank"],
                    "agency_name": d["agency_name"],
                    "jurisdiction_name": d["jurisdiction_name"],
                    **t,
                    "points": None if t["code"] == RATE_CODE else t["points"],
                    "role_name": _role_label(t.get("role")),
                    "refs": "、".join(f"{REF_NAMES[r['kind']]}#{r['id']}" for r in t["refs"]),
                    "line": explain_line(t),
                }
            )
    evidence = []
    for e in result.get("evidence", []):
        d = where.get((e["agency"], e["jurisdiction"]), {})
        evidence.append(
            {
                **e,
                "agency_name": d.get("agency_name", e["agency"]),
                "jurisdiction_name": d.get("jurisdiction_name", e["jurisdiction"] or ""),
                "kind_name": KIND_NAMES.get(e["kind"], e["kind"]),
                "role_name": _role_label(e.get("role")),
                "ref": f"{REF_NAMES[e['ref_kind']]}#{e['ref_id']}",
            }
        )
    return [
        Table("考核得分", SCORE_COLUMNS, scores),
        Table("得分构成", TERM_COLUMNS, terms),
        Table("扣分依据", EVIDENCE_COLUMNS, evidence),
    ]


def result_title(result: Mapping[str, Any]) -> str:
    where = result.get("jurisdiction_name") or "全部辖区"
    return (
        f"{where} {result['period']} 年度考核（{result.get('scheme_title') or result['scheme']}，"
        f"截至 {result['as_of']}）"
    )
