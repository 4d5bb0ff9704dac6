"""What :mod:`duban.services.assessment` returns: a 考核 result, its departments and their evidence.

An :class:`AssessmentResult` is also the published record: ``freeze`` stores its ``to_json()`` as canonical
JSON (hashed into the audit journal) and ``show`` reads it back with ``from_json``. The scheme's own words
stay text — a term's ``label`` and ``formula``, a grade (优秀 …), an evidence row's ``detail`` sentence —
because they are what was published; every fact next to them is typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from duban.domain.jsonable import JsonResult
from duban.domain.scoring import RefKind, Term
from duban.domain.vocabulary import Role

EvidenceKind = Literal["overdue", "red", "returned", "error", "warning", "extended"]


@dataclass(frozen=True, slots=True)
class DepartmentResult(JsonResult):
    """A department's score, grade and rank, with the terms the score is the sum of.

    ``score`` and ``rank`` are None (grade 不适用) when nothing was due in the period; ``on_time_rate`` is None
    then too (不适用, never 0 %).
    """

    agency: str
    agency_name: str
    jurisdiction: str | None
    jurisdiction_name: str
    score: float | None
    grade: str  #: the scheme's grade name (优秀, 良好 … 不适用)
    due: int
    on_time: int
    pending: int
    on_time_rate: float | None
    terms: tuple[Term, ...]
    rank: int | None


@dataclass(frozen=True, slots=True)
class EvidenceRow(JsonResult):
    """A milestone, report or finding behind a deduction (``ref_kind`` #``ref_id``).

    ``detail`` is the sentence the published record carries; ``days_late`` counts to the report day, or to
    the assessment day when still unreported.
    """

    agency: str
    jurisdiction: str | None
    task_id: int
    task: str
    role: Role
    responsibility: int
    kind: EvidenceKind
    ref_kind: RefKind
    ref_id: int
    period: str | None
    due: dt.date | None
    effective_due: dt.date | None
    reported_on: dt.date | None
    days_late: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class FrozenStamp(JsonResult):
    """Who froze (published) a result and when; ``audit_seq`` is the journal event holding its sha256."""

    id: int
    sha256: str
    frozen_by: str
    frozen_at: dt.datetime
    audit_seq: int | None


@dataclass(frozen=True, slots=True)
class AssessmentResult(JsonResult):
    """``duban assess``: the departments in scope, ranked, for a period as of a day.

    ``departments_total`` counts every department ranked (a department user's result holds only their own,
    and says so in ``visible_to``); ``evidence`` is empty unless asked for; ``frozen`` is set once published.
    """

    period: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    scheme: str
    scheme_title: str
    jurisdiction: str | None
    jurisdiction_name: str | None
    config: Mapping[str, Any]  #: the [scoring] table the scheme was given
    departments_total: int
    departments: tuple[DepartmentResult, ...]
    evidence: tuple[EvidenceRow, ...] = ()
    visible_to: str | None = None
    frozen: FrozenStamp | None = None


@dataclass(frozen=True, slots=True)
class FrozenAssessment(JsonResult):
    """``duban assess list``: a frozen (published) result."""

    id: int
    period: str
    scheme: str
    jurisdiction: str | None
    as_of: dt.date
    sha256: str
    frozen_by: str
    frozen_at: dt.datetime
