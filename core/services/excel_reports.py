"""Excel, the language of every 督办 office: a fill-in workbook per agency, and importing it back.

Sheet 报送: row 1 holds the Chinese headers, row 2 (hidden) the machine keys, one row per open milestone
from row 3 on. Importing files every filled row in one transaction, or none, naming sheet, row and column.

Importing is idempotent: the file's SHA-256 and each row's identity (responsibility, milestone, period and a
hash of its content: text, indicators, 申请办结) are journalled with the import (``report.import``). A row
already filed — by an earlier import of the same file, or the same content as the milestone's current report
— is skipped and named; ``again=True`` (``duban report import --again``) files it once more as a new version.
Importing a file whose every row is already filed changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.limits import ID_MAX, ID_MIN, TEXT_MAX, check_text
from duban.domain.vocabulary import ResponsibilityState, ReviewState
from duban.errors import ConflictError, NotFoundError, ParseError, PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.catalog import require_known_agency
from duban.services.identity import Actor, require_department_scope
from duban.services.reports import (
    convert_indicator,
    indicator_specs_for,
    submit_report,
    unknown_indicator_message,
)
from duban.services.templates import choose_template
from duban.storage.models import AuditEvent, Milestone, Policy, Report, Responsibility, Task
from duban.storage.queries import active_milestone, counted_duty
from duban.testing_points import pause

IMPORT_ACTION = "report.import"

SHEET = "报送"
FIXED = [
    ("milestone", "节点编号"),
    ("responsibility", "责任编号"),
    ("policy", "政策"),
    ("task", "任务编号"),
    ("summary", "任务摘要"),
    ("role", "角色"),
    ("period", "期次"),
    ("due", "应报日期"),
    ("text", "进展情况"),
    ("final", "申请办结（是/否）"),
]
READ_ONLY = {"milestone", "responsibility", "policy", "task", "summary", "role", "period", "due"}


def _open_milestones(
    session: Session, agency: str, jurisdiction: str | None, as_of: dt.date, until: dt.date
) -> list[Any]:
    reported = select(Report.milestone_id).where(
        Report.is_current.is_(True),
        Report.review_state != ReviewState.RETURNED,
        Report.milestone_id.is_not(None),
    )
    stmt = (
        select(Milestone, Responsibility, Task, Policy)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
        .join(Task, Task.id == Milestone.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .where(
            Responsibility.agency_key == agency,
            Responsibility.state != ResponsibilityState.CLOSED,
            Policy.superseded_by_id.is_(None),
            Milestone.id.not_in(reported),
            Milestone.effective_due_date <= until,
            active_milestone(),
            counted_duty(as_of),
        )
        .order_by(Milestone.effective_due_date, Milestone.id)
    )
    if jurisdiction:
        stmt = stmt.where(and_(Responsibility.jurisdiction_code == jurisdiction))
    return list(session.execute(stmt))


def write_template(
    session: Session,
    *,
    actor: Actor,
    host: PluginHost,
    agency: str,
    path: Path,
    as_of: dt.date,
    jurisdiction: str | None = None,
    horizon_days: int = 92,
) -> int:
    """Write the fill-in workbook for ``agency``; returns the number of milestone rows."""
    require_known_agency(session, agency)
    require_department_scope(actor, agency, jurisdiction or actor.jurisdiction_code, "导出报送模板")
    jurisdiction = jurisdiction or (None if actor.is_coordinator else actor.jurisdiction_code)
    rows = _open_milestones(session, agency, jurisdiction, as_of, as_of + dt.timedelta(days=horizon_days))
    specs = indicator_specs_for(host, agency, None)
    columns = FIXED + [(key, f"{s.name}（{s.unit}）" if s.unit else s.name) for key, s in specs.items()]

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook opens on one worksheet (the stubs allow None)
    ws.title = SHEET
    ws.append([label for _k, label in columns])
    ws.append([key for key, _l in columns])
    ws.row_dimensions[2].hidden = True
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for milestone, resp, task, policy in rows:
        number = f"{task.section}.{task.number}" if task.section else task.number
        ws.append(
            [
                milestone.id,
                resp.id,
                policy.doc_number or policy.title,
                number,
                task.text[:60],
                resp.role.label,
                milestone.period,
                milestone.effective_due_date,
                "",
                "否",
            ]
            + [None] * len(specs)
        )
    last = max(ws.max_row, 3)
    for index, (key, _label) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = 40 if key in ("summary", "text") else 14
        rng = f"{letter}3:{letter}{last}"
        if key == "final":
            dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        elif key in specs:
            spec = specs[key]
            if spec.type == "int":
                dv = DataValidation(
                    type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
                )
            elif spec.type == "float":
                dv = DataValidation(
                    type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
                )
            elif spec.type == "bool":
                dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            elif spec.type == "date":
                dv = DataValidation(type="date", allow_blank=True)
            else:
                continue
        else:
            continue
        dv.error, dv.errorTitle = f"请按格式填写：{_label}", "格式不符"
        ws.add_data_validation(dv)
        dv.add(rng)
    ws.freeze_panes = "C3"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return len(rows)


@dataclass(frozen=True, slots=True)
class SkippedRow(JsonResult):
    """A filled row not filed again: ``report`` already holds it (``reason`` says how it was recognised)."""

    row: int
    milestone: int
    report: int
    reason: str


@dataclass(frozen=True, slots=True)
class EarlierImport(JsonResult):
    """An earlier import of the same file (same SHA-256), from the audit journal. ``at`` is UTC."""

    at: dt.datetime
    actor: str
    reports: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WorkbookImport(JsonResult):
    """``duban report import``: the reports filed, the rows recognised as already filed, and the earlier
    imports of the same file."""

    file: str
    sha256: str
    filed: tuple[int, ...]
    skipped: tuple[SkippedRow, ...] = ()
    earlier: tuple[EarlierImport, ...] = ()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def content_hash(text: str, indicators: dict[str, Any], final: bool) -> str:
    """The hash of what a row says (the part of its identity that is not where it goes)."""
    canonical = json.dumps(
        {"text": text.strip(), "indicators": indicators, "final": final},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _earlier_imports(session: Session, sha256: str) -> tuple[list[EarlierImport], dict[tuple[Any, ...], int]]:
    """The journal's earlier imports of this file, and the row identities they filed (→ report id)."""
    earlier: list[EarlierImport] = []
    identities: dict[tuple[Any, ...], int] = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == IMPORT_ACTION, AuditEvent.entity_id == sha256)
        .order_by(AuditEvent.seq)
    ):
        rows = (event.after or {}).get("rows", [])
        earlier.append(EarlierImport(event.at, event.actor, tuple(r["report"] for r in rows)))
        for r in rows:
            identities[(r["responsibility"], r["milestone"], r["period"], r["content"])] = r["report"]
    return earlier, identities


def _same_as_current(
    session: Session, resp: Responsibility, milestone: Milestone, content: str
) -> int | None:
    """The milestone's current report when it says exactly what the row says (then filing it is a repeat)."""
    current = session.scalars(
        select(Report).where(
            Report.responsibility_id == resp.id,
            Report.milestone_id == milestone.id,
            Report.is_current.is_(True),
        )
    ).first()
    if current is None:
        return None
    finals = [False]
    if resp.state in (ResponsibilityState.COMPLETION_REQUESTED, ResponsibilityState.CLOSED):
        finals.append(True)
    if any(content_hash(current.text, dict(current.indicators or {}), f) == content for f in finals):
        return current.id
    return None


def import_workbook(
    session: Session,
    *,
    actor: Actor,
    host: PluginHost,
    path: Path,
    today: dt.date,
    attachment_root: Path | None = None,
    again: bool = False,
) -> WorkbookImport:
    """File every filled row as a report, in the caller's one transaction. Rows already filed (see the module
    docstring) are skipped unless ``again``; a file with nothing new changes nothing."""
    sha256 = file_sha256(path)
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ParseError(f"不是有效的 Excel 文件：{exc}", file=str(path)) from exc
    if SHEET not in wb.sheetnames:
        raise ParseError(
            f"缺少工作表“{SHEET}”", file=str(path), expected="由 duban report template 生成的工作簿"
        )
    ws = wb[SHEET]
    formulas = _formula_cells(path)
    keys = [c.value for c in ws[2]]
    if "milestone" not in keys or "text" not in keys:
        raise ParseError(
            "第 2 行（隐藏行）缺少列代码",
            file=str(path),
            line=2,
            expected="由 duban report template 生成的工作簿，不要删除隐藏行",
        )
    col = {str(key): index for index, key in enumerate(keys) if key}
    earlier, filed_before = _earlier_imports(session, sha256)
    report_ids: list[int] = []
    skipped: list[SkippedRow] = []
    identities: list[dict[str, Any]] = []
    for r, row in enumerate(ws.iter_rows(min_row=3), start=3):
        values = {key: row[index].value for key, index in col.items() if index < len(row)}
        filled = {
            k: v for k, v in values.items() if k not in READ_ONLY and k != "final" and v not in (None, "")
        }
        if not filled:
            continue

        def where(key: str, _r: int = r) -> str:
            return f"{path.name} 工作表“{SHEET}”第 {_r} 行 {get_column_letter(col[key] + 1)} 列"

        for key, index in col.items():
            if (r, index + 1) in formulas and values.get(key) in (None, ""):
                raise ValidationError(
                    f"{where(key)}：是没有计算结果的公式（{formulas[(r, index + 1)]}）：请填入数值，"
                    "或在 Excel 中打开并保存一次"
                )
        if "text" in filled:
            check_text(str(filled["text"]), where("text"), maximum=TEXT_MAX, multiline=True)

        number = values.get("milestone")
        milestone = (
            session.get(Milestone, number)
            if isinstance(number, int) and not isinstance(number, bool) and ID_MIN <= number <= ID_MAX
            else None
        )
        if milestone is None:
            raise ValidationError(f"{where('milestone')}：节点编号 {values.get('milestone')!r} 不存在")
        resp = session.get(Responsibility, milestone.responsibility_id)
        assert resp is not None
        task = session.get(Task, resp.task_id)
        assert task is not None
        choice = choose_template(
            session,
            host=host,
            task=task,
            agency=resp.agency_key,
            indicator_keys=[k for k in filled if k != "text"],
        )
        specs = indicator_specs_for(host, resp.agency_key, choice.key)
        indicators: dict[str, Any] = {}
        for key, value in filled.items():
            if key == "text":
                continue
            if key not in specs:
                raise ValidationError(
                    f"{where(key)}：{unknown_indicator_message(key, resp.agency_key, choice, specs)}"
                )
            raw = value.isoformat()[:10] if isinstance(value, dt.date | dt.datetime) else str(value)
            if isinstance(value, float) and value.is_integer() and specs[key].type == "int":
                raw = str(int(value))
            try:
                indicators[key] = convert_indicator(specs[key], raw)
            except ValidationError as exc:
                raise ValidationError(f"{where(key)}：{exc}") from exc
        final = str(values.get("final") or "否").strip() == "是"
        text = str(filled.get("text") or "")
        content = content_hash(text, indicators, final)
        identity = (resp.id, milestone.id, milestone.period, content)
        if not again:
            if identity in filed_before:
                skipped.append(SkippedRow(r, milestone.id, filed_before[identity], "本文件此前导入时已提交"))
                continue
            same = _same_as_current(session, resp, milestone, content)
            if same is not None:
                skipped.append(SkippedRow(r, milestone.id, same, "与该节点当前的报送内容相同"))
                continue
        try:
            result = submit_report(
                session,
                actor=actor,
                host=host,
                responsibility_id=resp.id,
                milestone_id=milestone.id,
                text=text,
                indicators=indicators,
                final=final,
                today=today,
                attachment_root=attachment_root,
            )
        except (ValidationError, PermissionDenied, NotFoundError, ConflictError) as exc:
            raise type(exc)(f"{path.name} 工作表“{SHEET}”第 {r} 行：{exc}") from exc
        report_ids.append(result.report.id)
        identities.append(
            {
                "row": r,
                "responsibility": resp.id,
                "milestone": milestone.id,
                "period": milestone.period,
                "content": content,
                "report": result.report.id,
            }
        )
        pause("report_import.row")
    if not report_ids and not skipped:
        raise ValidationError(f"{path.name}：没有填写任何报送（进展情况或指标）")
    if report_ids:
        audit.record(
            session,
            actor=actor.name,
            action=IMPORT_ACTION,
            entity_type="report_file",
            entity_id=sha256,
            after={"file": path.name, "again": again, "rows": identities},
        )
    pause("report_import.recorded")
    return WorkbookImport(
        file=path.name,
        sha256=sha256,
        filed=tuple(report_ids),
        skipped=tuple(skipped),
        earlier=tuple(earlier),
    )


def _formula_cells(path: Path) -> dict[tuple[int, int], str]:
    """(row, column) → formula of every formula cell of the report sheet (a formula's value is what Excel
    computed when it last saved the file; a file written by a program may have none)."""
    try:
        ws = load_workbook(path, data_only=False)[SHEET]
    except Exception:  # the data_only load above already judged the file
        return {}
    return {
        (c.row, c.column): str(c.value)[:40]
        for row in ws.iter_rows(min_row=3)
        for c in row
        if c.data_type == "f" and c.row is not None and c.column is not None
    }
