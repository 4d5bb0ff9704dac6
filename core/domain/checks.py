"""Reusable checks that department plugins call from their ``duban_check_*`` hooks.

Each check is a pure function returning :class:`~duban.hookspecs.FindingSpec` values with a stable
``code``, a ``severity`` and a Chinese message addressed to a person. Codes:

================================  ========  =====================================================
code                              severity  meaning
================================  ========  =====================================================
indicator.missing                 error     a required indicator is absent or empty
indicator.type                    error     a value of the wrong type (text where a count belongs …)
indicator.negative                error     a count below zero
indicator.below_minimum           error     a value below the indicator's declared minimum (≠ 0)
indicator.part_exceeds_whole      error     a part (其中低收入) larger than its whole (台账人数)
indicator.unknown                 warning   a value for an indicator the template does not ask for
plan.not_made                     warning   the annual work plan (年度工作计划) is reported as not made
plan.no_focal_person              warning   no 专责部门 and 具体负责人 named yet
ledger.not_in_system              warning   the 台账 update was not entered into 全国儿童福利信息系统
report.personal_data              error     the report text carries an ID card or phone number
ledger.stale                      warning   the 台账 was not updated for more than six months
support.silent                    warning   a supporting agency silent at its last two milestones
================================  ========  =====================================================
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from duban.hookspecs import FindingSpec, IndicatorSpec, ReportContext, ResponsibilityContext, Role, Severity

__all__ = [
    "check_flag",
    "check_indicators",
    "check_ledger_stale",
    "check_no_personal_data",
    "check_silent_supporter",
    "is_empty",
]

_TYPE_NAMES = {"int": "整数", "float": "数字", "bool": "是/否", "text": "文字", "date": "日期"}


def is_empty(value: Any) -> bool:
    """None, an empty or blank string: what a form sends for a field left blank."""
    return value is None or (isinstance(value, str) and not value.strip())


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "date":
        if isinstance(value, dt.date):
            return True
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return False
            return True
        return False
    return True


def _label(spec: IndicatorSpec) -> str:
    return f"“{spec.name}”"


def _number(value: float, unit: str) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def check_indicators(
    report: ReportContext,
    specs: Mapping[str, IndicatorSpec] | None = None,
    *,
    expected: Iterable[str] | None = None,
) -> list[FindingSpec]:
    """Required, type, minimum (negative counts) and part-of-whole checks on a report's indicators.

    :param specs: the indicator specs to check against; defaults to ``report.indicator_specs``.
    :param expected: the indicator keys the template asks for; defaults to every key in ``specs``.
        Values for keys outside it are flagged ``indicator.unknown`` (warning).
    """
    specs = dict(report.indicator_specs if specs is None else specs)
    keys = list(specs) if expected is None else [k for k in expected if k in specs]
    values = report.indicators
    findings: list[FindingSpec] = []
    valid: dict[str, float] = {}  # numeric values that passed the type check, for part/whole

    for key in keys:
        spec = specs[key]
        value = values.get(key)
        if is_empty(value):
            if spec.required:
                findings.append(
                    FindingSpec(
                        "indicator.missing",
                        Severity.ERROR,
                        f"缺少必填指标{_label(spec)}，请填写后再提交。",
                        key,
                    )
                )
            continue
        if not _type_ok(spec.type, value):
            findings.append(
                FindingSpec(
                    "indicator.type",
                    Severity.ERROR,
                    f"指标{_label(spec)}应填写{_TYPE_NAMES.get(spec.type, spec.type)}，实际填写的是“{value}”。",
                    key,
                )
            )
            continue
        if spec.type in ("int", "float"):
            if spec.minimum is not None and value < spec.minimum:
                if spec.minimum == 0:
                    findings.append(
                        FindingSpec(
                            "indicator.negative",
                            Severity.ERROR,
                            f"指标{_label(spec)}不能为负数（填写的是{_number(value, spec.unit)}）。",
                            key,
                        )
                    )
                else:
                    findings.append(
                        FindingSpec(
                            "indicator.below_minimum",
                            Severity.ERROR,
                            f"指标{_label(spec)}不能小于{_number(spec.minimum, spec.unit)}"
                            f"（填写的是{_number(value, spec.unit)}）。",
                            key,
                        )
                    )
                continue
            valid[key] = value

    for key in keys:
        spec = specs[key]
        if spec.part_of is None or key not in valid or spec.part_of not in valid:
            continue
        whole = specs[spec.part_of]
        if valid[key] > valid[spec.part_of]:
            findings.append(
                FindingSpec(
                    "indicator.part_exceeds_whole",
                    Severity.ERROR,
                    f"指标{_label(spec)}（{_number(valid[key], spec.unit)}）是{_label(whole)}的一部分，"
                    f"不能大于{_label(whole)}（{_number(valid[spec.part_of], whole.unit)}）。",
                    key,
                )
            )

    for key in values:
        if key not in keys and not is_empty(values[key]):
            findings.append(
                FindingSpec(
                    "indicator.unknown",
                    Severity.WARNING,
                    f"报告中的指标“{key}”不属于本任务要求填报的指标，将被忽略。",
                    key,
                )
            )
    return findings


# 18-digit resident ID (GB 11643) and mainland mobile numbers, not embedded in longer digit runs.
_ID_CARD = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def check_no_personal_data(report: ReportContext) -> list[FindingSpec]:
    """Reports carry counts and facts, never personal records: refuse ID card and mobile numbers.

    The 台账 itself lives in 全国儿童福利信息系统; duban tracks only that it was updated and how many.
    """
    texts = [report.text, *(v for v in report.indicators.values() if isinstance(v, str))]
    for text in texts:
        if _ID_CARD.search(text):
            what = "身份证号码"
        elif _MOBILE.search(text):
            what = "手机号码"
        else:
            continue
        return [
            FindingSpec(
                "report.personal_data",
                Severity.ERROR,
                f"报告内容中含有{what}。督办系统只记录人数和工作情况，不记录个人信息，请删除后再提交。",
            )
        ]
    return []


def check_ledger_stale(
    responsibility: ResponsibilityContext,
    *,
    ledger_templates: Collection[str] = (),
    months: int = 6,
) -> list[FindingSpec]:
    """Warn when the 台账 was last updated more than ``months`` months before ``as_of``.

    Applies to a responsibility that reports a ``last_update``, or whose template is one of
    ``ledger_templates`` (then a missing ``last_update`` counts as never updated once a milestone is due).
    """
    last = responsibility.last_update
    is_ledger = responsibility.template in ledger_templates
    if last is None:
        due = [m for m in responsibility.milestones if m.due_date <= responsibility.as_of]
        if is_ledger and due:
            first_due = min(m.due_date for m in due)
            return [
                FindingSpec(
                    "ledger.stale",
                    Severity.WARNING,
                    f"农村留守妇女信息台账自{first_due.isoformat()}应更新以来一直未报告更新，"
                    f"按要求至少每{months}个月更新一次。",
                )
            ]
        return []
    if last + relativedelta(months=months) < responsibility.as_of:
        return [
            FindingSpec(
                "ledger.stale",
                Severity.WARNING,
                f"农村留守妇女信息台账最近一次更新是{last.isoformat()}，已超过{months}个月未更新"
                f"（截至{responsibility.as_of.isoformat()}），请尽快组织摸底排查并更新台账。",
            )
        ]
    return []


def check_silent_supporter(responsibility: ResponsibilityContext, *, runs: int = 2) -> list[FindingSpec]:
    """Warn when a supporting (配合) agency reported nothing at its last ``runs`` milestones due by ``as_of``."""
    if responsibility.role != Role.SUPPORT:
        return []
    due = sorted(
        (m for m in responsibility.milestones if m.due_date <= responsibility.as_of), key=lambda m: m.due_date
    )
    last = due[-runs:]
    if len(last) < runs or any(
        m.reported_on is not None and m.reported_on <= responsibility.as_of for m in last
    ):
        return []
    dates = "、".join(m.due_date.isoformat() for m in last)
    return [
        FindingSpec(
            "support.silent",
            Severity.WARNING,
            f"作为配合单位，已连续{runs}个节点（{dates}）未报送工作进展，请牵头单位督促落实。",
        )
    ]


def check_flag(
    report: ReportContext, indicator: str, *, code: str, message: str, severity: Severity = Severity.WARNING
) -> list[FindingSpec]:
    """A finding when the yes/no indicator ``indicator`` is reported as ``False`` (absent: no finding)."""
    if report.indicators.get(indicator) is False:
        return [FindingSpec(code, severity, message, indicator)]
    return []
