"""督办单: list, show, 签收 and print the numbered notices the escalation ladder issues.

A 督办单 (:class:`~duban.storage.models.SupervisionNotice`) is issued by :mod:`duban.services.escalation`
the first time an item is escalated: 编号 督〔年〕第N号, 督办事项, 承办单位, 办理时限, 反馈要求, and its 三色
(黄 / 橙 / 红: the rung of the ladder). The department it is addressed to 签收 it (``duban notice sign N``);
on PostgreSQL row-level security (migration 0008) lets a department user see and sign only its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import NoticeColor, UserRole
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.services import audit
from duban.services.escalation import notice_label
from duban.services.identity import Actor, require_department_scope
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import SupervisionNotice

SIGN_ACTION = "notice.sign"
_REF = re.compile(r"^\s*(?:督〔(\d{4})〕第(\d+)号|(\d{4})-(\d+)|(\d+))\s*$")


@dataclass(frozen=True, slots=True)
class NoticeRow(JsonResult):
    """One 督办单 as services return it."""

    id: int
    label: str  #: 督〔2026〕第3号
    year: int
    number: int
    color: NoticeColor
    rung: int
    department: str
    agency_key: str
    jurisdiction_code: str | None
    matter: str
    due_by: dt.date
    requirement: str
    issued_on: dt.date
    coordinator_on: dt.date
    leadership_on: dt.date | None
    resolved_on: dt.date | None
    signed_at: dt.datetime | None
    signed_by: str | None
    milestone_id: int
    responsibility_id: int

    json_extra = ("color_label",)

    @property
    def color_label(self) -> str:
        return self.color.label

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True, slots=True)
class SignResult(JsonResult):
    notice: NoticeRow
    already: bool  #: it had been signed before: nothing changed


def _row(n: SupervisionNotice) -> NoticeRow:
    return NoticeRow(
        id=n.id,
        label=notice_label(n.year, n.number),
        year=n.year,
        number=n.number,
        color=NoticeColor(n.color),
        rung=n.rung,
        department=n.department,
        agency_key=n.agency_key,
        jurisdiction_code=n.jurisdiction_code,
        matter=n.matter,
        due_by=n.due_by,
        requirement=n.requirement,
        issued_on=n.issued_on,
        coordinator_on=n.coordinator_on,
        leadership_on=n.leadership_on,
        resolved_on=n.resolved_on,
        signed_at=n.signed_at,
        signed_by=n.signed_by,
        milestone_id=n.milestone_id,
        responsibility_id=n.responsibility_id,
    )


def _scoped(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """A department user's own notices only (PostgreSQL's row-level security says the same in the engine)."""
    if actor.role == UserRole.DEPARTMENT:
        stmt = stmt.where(SupervisionNotice.agency_key == actor.agency_key)
        if actor.jurisdiction_code:
            stmt = stmt.where(SupervisionNotice.jurisdiction_code == actor.jurisdiction_code)
    return stmt


def notices_query(
    actor: Actor, *, open_only: bool = False, agency: str | None = None, unsigned: bool = False
) -> Select[Any]:
    stmt = select(SupervisionNotice).order_by(SupervisionNotice.year.desc(), SupervisionNotice.number.desc())
    if open_only:
        stmt = stmt.where(SupervisionNotice.resolved_on.is_(None))
    if agency:
        stmt = stmt.where(SupervisionNotice.agency_key == agency)
    if unsigned:
        stmt = stmt.where(SupervisionNotice.signed_at.is_(None))
    return _scoped(stmt, actor)


def list_notices_page(
    session: Session,
    *,
    actor: Actor,
    open_only: bool = False,
    agency: str | None = None,
    unsigned: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[NoticeRow]:
    """督办单, newest first; a department user gets its own only."""
    check_window(limit, offset)
    stmt = notices_query(actor, open_only=open_only, agency=agency, unsigned=unsigned)
    rows = [_row(n) for n in session.scalars(stmt.limit(limit).offset(offset))]
    return page_of(rows, total=count_rows(session, stmt), limit=limit, offset=offset)


def parse_ref(ref: str) -> tuple[int | None, int]:
    """``3`` (the latest year holding number 3), ``2026-3`` or ``督〔2026〕第3号`` → (year or None, number)."""
    m = _REF.match(ref)
    if not m:
        raise ValidationError(f"督办单编号 {ref!r} 应写成 3、2026-3 或 督〔2026〕第3号")
    if m.group(1):
        return int(m.group(1)), int(m.group(2))
    if m.group(3):
        return int(m.group(3)), int(m.group(4))
    return None, int(m.group(5))


def _find(session: Session, actor: Actor, ref: str) -> SupervisionNotice:
    year, number = parse_ref(ref)
    stmt = select(SupervisionNotice).where(SupervisionNotice.number == number)
    if year is not None:
        stmt = stmt.where(SupervisionNotice.year == year)
    found = session.scalars(_scoped(stmt, actor).order_by(SupervisionNotice.year.desc()).limit(1)).first()
    if not isinstance(found, SupervisionNotice):
        # a department user is told the same whether the notice is another department's or does not exist
        raise NotFoundError(
            f"没有督办单 {ref}"
            + ("（部门用户只能查看本部门的督办单）" if actor.role == UserRole.DEPARTMENT else "")
        )
    return found


def show_notice(session: Session, *, actor: Actor, ref: str) -> NoticeRow:
    return _row(_find(session, actor, ref))


def sign_notice(session: Session, *, actor: Actor, ref: str, at: dt.datetime | None = None) -> SignResult:
    """签收: the department the 督办单 is addressed to records that it received it (one audit event)."""
    if actor.role != UserRole.DEPARTMENT:
        raise PermissionDenied(f"{actor.label()} 不能签收督办单：签收由承办部门的用户办理")
    notice = _find(session, actor, ref)
    require_department_scope(actor, notice.agency_key, notice.jurisdiction_code, "签收督办单")
    if notice.signed_at is not None:
        return SignResult(_row(notice), already=True)
    at = at or dt.datetime.now(dt.UTC)
    notice.signed_at = at
    notice.signed_by = actor.name
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action=SIGN_ACTION,
        entity_type="supervision_notice",
        entity_id=notice_label(notice.year, notice.number),
        before={"signed_at": None},
        after={"signed_at": at.isoformat(), "signed_by": actor.name},
        task_id=notice.task_id,
        at=at,
    )
    return SignResult(_row(notice), already=False)


# --------------------------------------------------------------------------- printing


def notice_markdown(rows: Sequence[NoticeRow], *, issuer: str = "督办办公室") -> str:
    """The 督办单 as Markdown, one after another."""
    parts = []
    for r in rows:
        signed = (
            f"{r.signed_by} 于 {r.signed_at:%Y-%m-%d %H:%M} UTC 签收" if r.signed_at is not None else "未签收"
        )
        parts.append(
            "\n".join(
                [
                    f"# 督办单（{r.color.label}色）",
                    "",
                    f"**{r.label}**",
                    "",
                    "| 项目 | 内容 |",
                    "|---|---|",
                    f"| 督办事项 | {r.matter} |",
                    f"| 承办单位 | {r.department} |",
                    f"| 办理时限 | {r.due_by.year}年{r.due_by.month}月{r.due_by.day}日前 |",
                    f"| 反馈要求 | {r.requirement} |",
                    f"| 督办等级 | {r.color.label}色（第 {r.rung} 次督办） |",
                    f"| 签收情况 | {signed} |",
                    "",
                    f"{issuer}　{r.issued_on.year}年{r.issued_on.month}月{r.issued_on.day}日",
                ]
            )
        )
    return "\n\n---\n\n".join(parts) + "\n"


#: RGB of the 三色 in print (the title's colour and the level cell's shading)
PRINT_COLORS = {NoticeColor.YELLOW: "C9A100", NoticeColor.ORANGE: "E46C0A", NoticeColor.RED: "C00000"}


def notice_docx(rows: Sequence[NoticeRow], path: Path, *, issuer: str = "督办办公室") -> None:
    """The 督办单 as a Word document ready to print: one page each, A4, title in its 三色."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.6))
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    for i, r in enumerate(rows):
        title = doc.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = title.add_run("督 办 单")
        run.bold = True
        run.font.size = Pt(26)
        run.font.color.rgb = RGBColor.from_string(PRINT_COLORS[r.color])
        number = doc.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        number.add_run(f"{r.label}　　{r.color.label}色督办")
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        signed = (
            f"{r.signed_by}　{r.signed_at:%Y-%m-%d %H:%M} UTC"
            if r.signed_at is not None
            else "签收人：　　　　日期："
        )
        for label, value in (
            ("督办事项", r.matter),
            ("承办单位", r.department),
            ("办理时限", f"{r.due_by.year}年{r.due_by.month}月{r.due_by.day}日前"),
            ("反馈要求", r.requirement),
            ("督办等级", f"{r.color.label}色（第 {r.rung} 次督办）"),
            ("签收", signed),
        ):
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
            cells[0].width, cells[1].width = Cm(3.2), Cm(12.6)
            if label == "督办等级":
                shade = OxmlElement("w:shd")
                shade.set(qn("w:val"), "clear")
                shade.set(qn("w:fill"), PRINT_COLORS[r.color])
                cells[1]._tc.get_or_add_tcPr().append(shade)
        sign = doc.add_paragraph()
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        sign.add_run(f"\n{issuer}\n{r.issued_on.year}年{r.issued_on.month}月{r.issued_on.day}日")
        if i < len(rows) - 1:
            sign.add_run().add_break(WD_BREAK.PAGE)
    doc.save(str(path))


def export_notices(rows: Sequence[NoticeRow], path: Path) -> Path:
    """Write ``rows`` to ``path``: ``.docx`` (print) or ``.md``."""
    if not rows:
        raise NotFoundError("没有可导出的督办单")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        notice_docx(rows, path)
    elif suffix in (".md", ".markdown"):
        path.write_text(notice_markdown(rows), encoding="utf-8")
    else:
        raise ValidationError(f"不支持的导出格式 {path.suffix or '（无扩展名）'}：应为 .docx 或 .md")
    return path
