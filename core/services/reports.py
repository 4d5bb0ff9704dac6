"""Filing a progress report: indicators validated by the agency plugin, checks run before storing,
attachments kept by sha256, corrections as new versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from duban.domain import limits
from duban.domain.checks import check_indicators
from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import ResponsibilityState, ReviewState, Severity
from duban.errors import ConflictError, NotFoundError, ValidationError
from duban.hookspecs import IndicatorSpec, ReportContext
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.catalog import require_known_agency
from duban.services.clock import local_date
from duban.services.identity import Actor
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.services.responsibilities import load_for_write, load_milestone, snapshot
from duban.services.templates import TemplateChoice, choose_template
from duban.storage.models import Finding, Report, Task, utcnow


@dataclass(frozen=True, slots=True)
class Attachment(JsonResult):
    """A file attached to a report, kept in the content-addressed store by its sha256."""

    sha256: str
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class ReportRow(JsonResult):
    """``duban report list``: one version of a report. ``submitted_at`` is UTC."""

    id: int
    responsibility: int
    task: int
    agency: str | None
    milestone: int | None
    version: int
    current: bool
    text: str
    indicators: Mapping[str, Any]
    attachments: tuple[Attachment, ...]
    submitted_by: str
    submitted_at: dt.datetime
    review: ReviewState
    reason: str | None


IndicatorValue = int | float | bool | str


@dataclass(frozen=True, slots=True)
class FindingNote(JsonResult):
    """What a plugin's check said about a report as it was filed."""

    severity: Severity
    code: str
    message: str
    plugin: str  #: the plugin whose check said it


@dataclass(frozen=True, slots=True)
class ReportReceipt(JsonResult):
    """``duban report submit --json``: the report filed, its version, the template it was checked against
    (None: free text, ``free_text`` says why) and what the checks said."""

    report: int
    version: int
    milestone: int | None
    findings: tuple[FindingNote, ...]
    template: str | None = None
    free_text: str | None = None


@dataclass(frozen=True)
class SubmitResult:
    """The stored report and its findings (rows of this unit of work); :attr:`receipt` is the result to show."""

    report: Report
    findings: list[Finding]
    #: the template the report was checked against (None: free text, see ``free_text_note``)
    template: str | None = None
    free_text_note: str | None = None

    @property
    def receipt(self) -> ReportReceipt:
        return ReportReceipt(
            report=self.report.id,
            version=self.report.version,
            milestone=self.report.milestone_id,
            findings=tuple(
                FindingNote(Severity(f.severity), f.code, f.message, f.plugin) for f in self.findings
            ),
            template=self.template,
            free_text=self.free_text_note,
        )


def indicator_specs_for(
    host: PluginHost, agency: str | None, template: str | None
) -> dict[str, IndicatorSpec]:
    """The indicators a report may carry: the template's, or else every indicator of the agency (none required)."""
    all_specs = {s.key: s for s in host.indicators()}
    if template:
        for t in host.task_templates():
            if t.key == template:
                return {k: all_specs[k] for k in t.indicators if k in all_specs}
    prefix = f"{agency}."
    return {
        k: IndicatorSpec(**{**s.__dict__, "required": False})
        for k, s in all_specs.items()
        if k.startswith(prefix)
    }


def convert_indicator(spec: IndicatorSpec, raw: IndicatorValue) -> IndicatorValue:
    """Turn a typed-in value into the indicator's type within its declared limits (numbers: the spec's
    ``minimum``/``maximum`` and never beyond ±limits.INDICATOR_MAX; dates: limits.DATE_MIN…DATE_MAX; text:
    limits.LINE_MAX characters); ValidationError names the indicator."""
    what = f"指标 {spec.name}（{spec.key}）"
    if not isinstance(raw, str):
        return _within_limits(spec, raw, what)
    text = raw.strip()
    try:
        if spec.type == "int":
            return _within_limits(spec, int(text.replace(",", "")), what)
        if spec.type == "float":
            return _within_limits(spec, float(text.replace(",", "")), what)
        if spec.type == "bool":
            if text.lower() in ("1", "true", "yes", "是", "y"):
                return True
            if text.lower() in ("0", "false", "no", "否", "n"):
                return False
            raise ValueError(text)
        if spec.type == "date":
            return limits.check_date(dt.date.fromisoformat(text), what).isoformat()
    except ValueError as exc:
        kind = {"int": "整数", "float": "数字", "bool": "是/否", "date": "日期 YYYY-MM-DD"}[spec.type]
        raise ValidationError(f"{what}的值 {limits.escape(text[:40])!r} 不是{kind}") from exc
    return limits.check_text(text, what)


def _within_limits(spec: IndicatorSpec, value: IndicatorValue, what: str) -> IndicatorValue:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    limits.check_number(value, what, maximum=spec.maximum)
    return value


def store_attachment(path: Path, root: Path) -> dict[str, str | int]:
    """Copy ``path`` into the content-addressed folder ``root/ab/abcdef…``; return its record (stored as JSON
    on the report: sha256, name, size)."""
    if not path.is_file():
        raise NotFoundError(f"附件不存在：{path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = root / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return {"sha256": digest, "name": path.name, "size": path.stat().st_size}


def submit_report(
    session: Session,
    *,
    actor: Actor,
    host: PluginHost,
    responsibility_id: int,
    milestone_id: int | None = None,
    text: str = "",
    indicators: Mapping[str, Any] | None = None,
    attachments: list[Path] | None = None,
    attachment_root: Path | None = None,
    final: bool = False,
    at: dt.datetime | None = None,
    today: dt.date | None = None,
    template: str | None = None,
) -> SubmitResult:
    """File a report (or a corrected version of one). Plugin errors refuse it; warnings become findings.

    The report is checked against the template bound to the task for the reporting agency
    (:func:`duban.services.templates.choose_template`; ``template`` names one when several are bound): its
    required indicators, no indicator outside it, and the agency's own checks. Without a binding the report
    is free text (with the agency's indicators, none required), and the result says so.
    """
    limits.check_text(text, "进展情况", maximum=limits.TEXT_MAX, multiline=True)
    at = at or utcnow()
    today = today or local_date(at)
    resp = load_for_write(session, actor, responsibility_id, "报送进度", today)
    if resp.state == ResponsibilityState.CLOSED:
        raise ValidationError(f"责任 #{resp.id} 已办结，不能再报送")
    milestone = None
    if milestone_id is not None:
        milestone = load_milestone(session, milestone_id)
        if milestone.responsibility_id != resp.id:
            raise ValidationError(f"节点 #{milestone_id} 不属于责任 #{resp.id}")
    task = session.get(Task, resp.task_id)
    assert task is not None
    choice = choose_template(
        session,
        host=host,
        task=task,
        agency=resp.agency_key,
        requested=template,
        indicator_keys=(indicators or {}).keys(),
    )
    specs = indicator_specs_for(host, resp.agency_key, choice.key)
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, raw in (indicators or {}).items():
        if key in specs:
            values[key] = convert_indicator(specs[key], raw)
        else:
            unknown[key] = raw
    context = ReportContext(  # the checks see the unknown values too, so one refusal names every problem
        agency=resp.agency_key or "",
        template=choice.key,
        indicators={**values, **unknown},
        text=text,
        due_date=milestone.effective_due_date if milestone else None,
        submitted_on=today,
        indicator_specs=specs,
    )
    found = host.check_report(context)
    # the template's own rules hold whichever plugin declared it (a plugin need not check its indicators)
    core = check_indicators(context, specs, expected=choice.template.indicators) if choice.template else []
    errors = [f.message for f in core if f.severity == Severity.ERROR]
    errors += [f.message for _p, f in found if f.severity == Severity.ERROR]
    errors += [unknown_indicator_message(key, resp.agency_key, choice, specs) for key in unknown]
    if errors:
        raise ValidationError("报送未通过检查：" + "；".join(dict.fromkeys(errors)))
    if not text.strip() and not values:
        raise ValidationError("报送内容为空：请填写进展情况或指标")
    records = [store_attachment(p, attachment_root or Path(".")) for p in (attachments or [])]
    same_milestone = (
        Report.milestone_id.is_(None) if milestone_id is None else Report.milestone_id == milestone_id
    )
    mine = (Report.responsibility_id == resp.id, same_milestone)
    previous = session.scalars(select(Report).where(*mine, Report.is_current.is_(True))).first()
    version = (session.scalar(select(func.max(Report.version)).where(*mine)) or 0) + 1
    if previous is not None:
        previous.is_current = False
    before = snapshot(resp)
    report = Report(
        responsibility_id=resp.id,
        milestone_id=milestone_id,
        text=text,
        indicators=values,
        attachments=records,
        submitted_by=actor.name,
        submitted_at=at,
        submitted_on=today,
        version=version,
    )
    session.add(report)
    resp.state = ResponsibilityState.COMPLETION_REQUESTED if final else ResponsibilityState.IN_PROGRESS
    flag_modified(resp, "state")  # always bump the responsibility's version: concurrent reports conflict
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"责任 #{responsibility_id} 刚被他人更新（同时报送）：本次报送未保存，请刷新后重试"
        ) from exc
    findings = [
        Finding(
            responsibility_id=resp.id,
            report_id=report.id,
            milestone_id=milestone_id,
            plugin=plugin,
            code=f.code,
            severity=f.severity,
            message=f.message,
            indicator=f.indicator,
            created_at=at,
            first_seen=today,
            last_seen=today,
        )
        for plugin, f in found
    ]
    session.add_all(findings)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="report.submit",
        entity_type="report",
        entity_id=report.id,
        task_id=resp.task_id,
        before=before,
        after={
            **snapshot(resp),
            "version": version,
            "milestone": milestone_id,
            "final": final,
            "indicators": values,
            "attachments": [r["sha256"] for r in records],
            "findings": [f.code for f in findings],
            "template": choice.key,
        },
    )
    return SubmitResult(report, findings, choice.key, choice.note)


def unknown_indicator_message(
    key: str, agency: str | None, choice: TemplateChoice, specs: Mapping[str, IndicatorSpec]
) -> str:
    """Why ``key`` is refused, naming every indicator that may be filed (Chinese)."""
    known = "、".join(f"{k}（{s.name}）" for k, s in specs.items()) or "无"
    if choice.template is not None:
        return (
            f"本任务绑定的模板“{choice.template.title}”（{choice.template.key}）没有指标 {key}；"
            f"可填报的指标：{known}"
        )
    note = f"{choice.note}；" if choice.note else ""
    return f"{note}部门 {agency} 没有指标 {key}；可用的指标：{known}"


def reports_query(
    *,
    responsibility_id: int | None = None,
    agency: str | None = None,
    include_old: bool = False,
    as_of: dt.date | None = None,
) -> Select[*tuple[Any, ...]]:
    """The reports of :func:`list_reports`, newest first (one statement for the rows and their count)."""
    from duban.storage.models import Responsibility

    stmt = (
        select(Report, Responsibility.agency_key, Responsibility.task_id)
        .join(Responsibility, Responsibility.id == Report.responsibility_id)
        .order_by(Report.submitted_at.desc(), Report.id.desc())
    )
    if responsibility_id is not None:
        stmt = stmt.where(Report.responsibility_id == responsibility_id)
    if agency:
        stmt = stmt.where(Responsibility.agency_key == agency)
    if as_of is not None:
        stmt = stmt.where(Report.submitted_on <= as_of)
    elif (
        not include_old
    ):  # "current" is a present-day notion; as of a past day every version filed by then shows
        stmt = stmt.where(Report.is_current.is_(True))
    return stmt


def list_reports(
    session: Session,
    *,
    responsibility_id: int | None = None,
    agency: str | None = None,
    include_old: bool = False,
    as_of: dt.date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[ReportRow]:
    """Reports, newest first: the current versions, or every version (``include_old``, or as of a day)."""
    stmt = reports_query(
        responsibility_id=responsibility_id, agency=agency, include_old=include_old, as_of=as_of
    )
    stmt = stmt.limit(limit).offset(offset)
    return [
        ReportRow(
            id=r.id,
            responsibility=r.responsibility_id,
            task=task_id,
            agency=agency_key,
            milestone=r.milestone_id,
            version=r.version,
            current=r.is_current,
            text=r.text,
            indicators=dict(r.indicators or {}),
            attachments=tuple(
                Attachment(a["sha256"], a["name"], int(a["size"])) for a in r.attachments or ()
            ),
            submitted_by=r.submitted_by,
            submitted_at=r.submitted_at,
            review=ReviewState(r.review_state),
            reason=r.review_reason,
        )
        for r, agency_key, task_id in session.execute(stmt)
    ]


def list_reports_page(
    session: Session,
    *,
    responsibility_id: int | None = None,
    agency: str | None = None,
    include_old: bool = False,
    as_of: dt.date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[ReportRow]:
    """A page of :func:`list_reports` with the number of every matching report (SQL COUNT)."""
    check_window(limit, offset)
    require_known_agency(session, agency)
    stmt = reports_query(
        responsibility_id=responsibility_id, agency=agency, include_old=include_old, as_of=as_of
    )
    rows = list_reports(
        session,
        responsibility_id=responsibility_id,
        agency=agency,
        include_old=include_old,
        as_of=as_of,
        limit=limit,
        offset=offset,
    )
    return page_of(rows, total=count_rows(session, stmt), limit=limit, offset=offset)
