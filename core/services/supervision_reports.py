"""The weekly leader digest (督办周报) and the monthly 督办通报: ranking of departments, worst items, trend.

:func:`build_report` computes one (SQL for the open items, as the notify run does); the renderers write it
as Markdown, xlsx (openpyxl) or a printable .docx (python-docx); :func:`report_message` is its text for the
routes. A report covers the last complete period before ``as_of``: the previous week (Monday to Sunday) or
the previous calendar month. Its figures are the state at the end of the period and the 督办单 issued and
resolved during it; the trend compares them with the end of the period before.

The notify run plans one message per period to the routes tagged ``leader`` (:func:`periodic_messages`);
``duban notify report --kind weekly|monthly --out F`` writes the document, ``--send`` queues the message.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import AlertLevel, NoticeColor, ReportKind
from duban.errors import ValidationError
from duban.notify import COORDINATOR, NotifyConfig
from duban.notify.digest import FOOTER, DigestItem
from duban.services.escalation import LEADER_RECEIVER, LadderConfig, LadderMessage, notice_label
from duban.storage.models import OutboxMessage, SupervisionNotice

WORST_COUNT = 10


@dataclass(frozen=True, slots=True)
class DepartmentRank(JsonResult):
    """One department's line in the ranking (worst first)."""

    rank: int
    department: str
    receiver: str  #: agency@jurisdiction
    overdue: int  #: open milestones overdue (黄 and 红) at the end of the period
    red: int  #: of which 红 (overdue at least escalate_after working days)
    longest: int  #: the longest overdue, in working days
    open_notices: int  #: 督办单 not resolved
    unsigned: int  #: of which not signed
    issued: int  #: 督办单 issued during the period


@dataclass(frozen=True, slots=True)
class WorstItem(JsonResult):
    department: str
    policy: str
    task: str
    task_text: str
    period: str
    due: dt.date
    days_overdue: int
    notice: str  #: 督〔2026〕第3号, or "" when no 督办单 was issued
    color: NoticeColor | None


@dataclass(frozen=True, slots=True)
class SupervisionReport(JsonResult):
    kind: ReportKind
    as_of: dt.date
    period_start: dt.date
    period_end: dt.date
    period_label: str  #: 2026-W09 / 2026-02
    overdue: int
    red: int
    overdue_before: int  #: at the end of the period before
    red_before: int
    issued: int  #: 督办单 issued during the period
    issued_before: int  #: during the period before
    resolved: int  #: 督办单 resolved during the period
    open_notices: int
    unsigned: int
    departments: tuple[DepartmentRank, ...]
    worst: tuple[WorstItem, ...]

    json_extra = ("kind_label",)

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def title(self) -> str:
        if self.kind == ReportKind.WEEKLY:
            return (
                f"督办周报（{self.period_start.year}年{self.period_start.month}月{self.period_start.day}日—"
                f"{self.period_end.month}月{self.period_end.day}日）"
            )
        return f"{self.period_start.year}年{self.period_start.month}月督办通报"


def report_period(kind: ReportKind, as_of: dt.date) -> tuple[dt.date, dt.date, str]:
    """The last complete period before ``as_of``: (first day, last day, label)."""
    if kind == ReportKind.WEEKLY:
        end = as_of - dt.timedelta(days=as_of.weekday() + 1)  # the Sunday before as_of's week
        start = end - dt.timedelta(days=6)
        year, week, _ = start.isocalendar()
        return start, end, f"{year}-W{week:02d}"
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end, f"{end.year}-{end.month:02d}"


def _previous(kind: ReportKind, start: dt.date) -> tuple[dt.date, dt.date]:
    end = start - dt.timedelta(days=1)
    if kind == ReportKind.WEEKLY:
        return end - dt.timedelta(days=6), end
    return end.replace(day=1), end


def _overdue_items(session: Session, config: NotifyConfig, day: dt.date) -> list[DigestItem]:
    from duban.services.calendar import working_calendar
    from duban.services.notifications import _open_items

    cal = working_calendar(session, day.year, day.year + 1)
    items, _names = _open_items(session, config, day, cal, [])
    return [item for item, _fired in items if item.level != AlertLevel.BLUE]


def _issued_between(session: Session, start: dt.date, end: dt.date) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(SupervisionNotice)
            .where(SupervisionNotice.issued_on.between(start, end))
        )
        or 0
    )


def build_report(
    session: Session, *, config: NotifyConfig, kind: ReportKind, as_of: dt.date
) -> SupervisionReport:
    """The report of the last complete ``kind`` period before ``as_of`` (read only)."""
    start, end, label = report_period(kind, as_of)
    prev_start, prev_end = _previous(kind, start)
    now_items = _overdue_items(session, config, end)
    before_items = _overdue_items(session, config, prev_end)
    notices = list(session.scalars(select(SupervisionNotice)))
    by_milestone = {n.milestone_id: n for n in notices}
    issued = [n for n in notices if start <= n.issued_on <= end]
    resolved = [n for n in notices if n.resolved_on is not None and start <= n.resolved_on <= end]
    open_ = [n for n in notices if n.issued_on <= end and (n.resolved_on is None or n.resolved_on > end)]

    groups: dict[str, list[DigestItem]] = defaultdict(list)
    names: dict[str, str] = {}
    for item in now_items:
        groups[item.receiver].append(item)
        names[item.receiver] = item.department
    open_by: dict[str, list[SupervisionNotice]] = defaultdict(list)
    for n in open_:
        receiver = f"{n.agency_key}@{n.jurisdiction_code or '000000'}"
        open_by[receiver].append(n)
        names.setdefault(receiver, n.department)
    issued_by: dict[str, int] = defaultdict(int)
    for n in issued:
        issued_by[f"{n.agency_key}@{n.jurisdiction_code or '000000'}"] += 1
    lines = []
    for receiver in set(groups) | set(open_by):
        items = groups.get(receiver, [])
        lines.append(
            (
                sum(1 for i in items if i.level == AlertLevel.RED),
                len(items),
                max((i.days_overdue for i in items), default=0),
                len(open_by.get(receiver, [])),
                receiver,
            )
        )
    lines.sort(key=lambda t: (-t[0], -t[1], -t[2], -t[3], names[t[4]], t[4]))
    departments = tuple(
        DepartmentRank(
            rank=i,
            department=names[receiver],
            receiver=receiver,
            overdue=overdue,
            red=red,
            longest=longest,
            open_notices=n_open,
            unsigned=sum(1 for n in open_by.get(receiver, []) if n.signed_at is None),
            issued=issued_by.get(receiver, 0),
        )
        for i, (red, overdue, longest, n_open, receiver) in enumerate(lines, start=1)
    )
    worst_items = sorted(now_items, key=lambda i: (-i.days_overdue, i.department, i.milestone_id))[
        :WORST_COUNT
    ]
    worst = []
    for item in worst_items:
        found = by_milestone.get(item.milestone_id)
        worst.append(
            WorstItem(
                department=item.department,
                policy=item.policy,
                task=item.task,
                task_text=" ".join(item.task_text.split()),
                period=item.period,
                due=item.due,
                days_overdue=item.days_overdue,
                notice=notice_label(found.year, found.number) if found else "",
                color=NoticeColor(found.color) if found else None,
            )
        )
    return SupervisionReport(
        kind=kind,
        as_of=as_of,
        period_start=start,
        period_end=end,
        period_label=label,
        overdue=len(now_items),
        red=sum(1 for i in now_items if i.level == AlertLevel.RED),
        overdue_before=len(before_items),
        red_before=sum(1 for i in before_items if i.level == AlertLevel.RED),
        issued=len(issued),
        issued_before=_issued_between(session, prev_start, prev_end),
        resolved=len(resolved),
        open_notices=len(open_),
        unsigned=sum(1 for n in open_ if n.signed_at is None),
        departments=departments,
        worst=tuple(worst),
    )


# --------------------------------------------------------------------------- words


def _delta(now: int, before: int) -> str:
    if now == before:
        return "持平"
    return f"{'增加' if now > before else '减少'} {abs(now - before)}"


def overview_lines(r: SupervisionReport) -> list[str]:
    end = f"{r.period_end.year}年{r.period_end.month}月{r.period_end.day}日"
    return [
        f"截至{end}，逾期未报 {r.overdue} 项，其中逾期满规定期限（红）{r.red} 项；"
        f"本期下发督办单 {r.issued} 件，办结销号 {r.resolved} 件，在办 {r.open_notices} 件（未签收 {r.unsigned} 件）。",
        f"与上期相比：逾期{_delta(r.overdue, r.overdue_before)}（上期 {r.overdue_before} 项），"
        f"红色{_delta(r.red, r.red_before)}（上期 {r.red_before} 项），"
        f"新下发督办单{_delta(r.issued, r.issued_before)}（上期 {r.issued_before} 件）。",
    ]


def _worst_line(w: WorstItem) -> str:
    notice = f"，{w.notice}（{w.color.label}）" if w.notice and w.color else ""
    return f"{w.department}：{w.policy} 任务{w.task}（{w.period}期）应于 {w.due.isoformat()} 报送，已逾期 {w.days_overdue} 个工作日{notice}"


def report_markdown(r: SupervisionReport) -> str:
    lines = [
        f"# {r.title}",
        "",
        "## 一、总体情况",
        "",
        *overview_lines(r),
        "",
        "## 二、部门排名（按红色、逾期项数排序）",
        "",
    ]
    if r.departments:
        lines += [
            "| 名次 | 部门 | 逾期 | 其中红色 | 最长逾期（工作日） | 在办督办单 | 未签收 | 本期新下发 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {d.rank} | {d.department} | {d.overdue} | {d.red} | {d.longest} | {d.open_notices} | {d.unsigned} | {d.issued} |"
            for d in r.departments
        ]
    else:
        lines.append("本期没有逾期事项。")
    lines += ["", f"## 三、逾期最久的事项（前 {WORST_COUNT} 项）", ""]
    lines += [f"{i}. {_worst_line(w)}" for i, w in enumerate(r.worst, start=1)] or ["无。"]
    return "\n".join(lines) + "\n"


def report_message(r: SupervisionReport, receiver: str) -> LadderMessage:
    """The report as a message for the routes (the ranking's first ten and the five worst items)."""
    lines = [r.title, "", *overview_lines(r), "", "部门排名（前 10）："]
    lines += [
        f"  {d.rank}. {d.department}：逾期 {d.overdue} 项（红 {d.red}），在办督办单 {d.open_notices} 件"
        for d in r.departments[:10]
    ] or ["  本期没有逾期事项。"]
    if r.worst:
        lines += ["", "逾期最久："] + [f"  {_worst_line(w)}" for w in r.worst[:5]]
    lines += [
        "",
        f"全文：duban notify report --kind {r.kind.value} --as-of {r.as_of.isoformat()} --out 通报.docx",
        FOOTER,
    ]
    level = AlertLevel.RED if r.red else (AlertLevel.YELLOW if r.overdue else AlertLevel.BLUE)
    return LadderMessage(
        key=f"report|{receiver}|{r.period_label}|{r.kind.value}",
        receiver=receiver,
        level=level,
        subject=f"【督办·{r.kind.label}】{r.title}",
        body="\n".join(lines),
        period=r.as_of,
    )


def periodic_messages(
    session: Session, *, config: NotifyConfig, ladder: LadderConfig, as_of: dt.date
) -> list[LadderMessage]:
    """The reports a notify run plans on ``as_of``: each kind once per period, to the ``leader`` routes."""
    if not config.routes_for(LEADER_RECEIVER):
        return []
    out = []
    for kind, wanted in ((ReportKind.WEEKLY, ladder.weekly), (ReportKind.MONTHLY, ladder.monthly)):
        if not wanted:
            continue
        _start, _end, label = report_period(kind, as_of)
        key = f"report|{LEADER_RECEIVER}|{label}|{kind.value}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is None:
            out.append(
                report_message(build_report(session, config=config, kind=kind, as_of=as_of), LEADER_RECEIVER)
            )
    return out


def report_receivers(config: NotifyConfig) -> list[str]:
    """Who ``--send`` addresses: the coordinator and the ``leader`` routes, those that have a route."""
    return [r for r in (COORDINATOR, LEADER_RECEIVER) if config.routes_for(r)]


# --------------------------------------------------------------------------- documents


def report_xlsx(r: SupervisionReport, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总体情况"
    ws.append([r.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in overview_lines(r):
        ws.append([line])
    ws.append([])
    for label, value in (
        ("逾期未报（项）", r.overdue),
        ("其中红色（项）", r.red),
        ("上期逾期（项）", r.overdue_before),
        ("上期红色（项）", r.red_before),
        ("本期下发督办单（件）", r.issued),
        ("上期下发督办单（件）", r.issued_before),
        ("本期办结销号（件）", r.resolved),
        ("在办督办单（件）", r.open_notices),
        ("未签收（件）", r.unsigned),
    ):
        ws.append([label, value])
    ranking = wb.create_sheet("部门排名")
    ranking.append(
        ["名次", "部门", "逾期", "其中红色", "最长逾期（工作日）", "在办督办单", "未签收", "本期新下发"]
    )
    for d in r.departments:
        ranking.append(
            [d.rank, d.department, d.overdue, d.red, d.longest, d.open_notices, d.unsigned, d.issued]
        )
    worst = wb.create_sheet("逾期最久")
    worst.append(["序号", "部门", "政策", "任务", "期次", "到期日", "逾期（工作日）", "督办单", "督办等级"])
    for i, w in enumerate(r.worst, start=1):
        worst.append(
            [
                i,
                w.department,
                w.policy,
                w.task,
                w.period,
                w.due,
                w.days_overdue,
                w.notice,
                w.color.label if w.color else "",
            ]
        )
    for sheet in (ranking, worst):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    wb.save(str(path))


def report_docx(r: SupervisionReport, path: Path, *, issuer: str = "督办办公室") -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(r.title)
    run.bold = True
    run.font.size = Pt(20)
    doc.add_paragraph(issuer).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading("一、总体情况", level=2)
    for line in overview_lines(r):
        doc.add_paragraph(line)
    doc.add_heading("二、部门排名", level=2)

    def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = text
        for row in rows:
            for cell, value in zip(t.add_row().cells, row, strict=True):
                cell.text = str(value)

    if r.departments:
        table(
            ("名次", "部门", "逾期", "红色", "最长逾期", "在办督办单", "未签收"),
            [
                (d.rank, d.department, d.overdue, d.red, d.longest, d.open_notices, d.unsigned)
                for d in r.departments
            ],
        )
    else:
        doc.add_paragraph("本期没有逾期事项。")
    doc.add_heading(f"三、逾期最久的事项（前 {WORST_COUNT} 项）", level=2)
    if r.worst:
        table(
            ("序号", "部门", "事项", "到期日", "逾期（工作日）", "督办单"),
            [
                (
                    i,
                    w.department,
                    f"{w.policy} 任务{w.task}（{w.period}期）",
                    w.due.isoformat(),
                    w.days_overdue,
                    f"{w.notice}（{w.color.label}）" if w.notice and w.color else "",
                )
                for i, w in enumerate(r.worst, start=1)
            ],
        )
    else:
        doc.add_paragraph("无。")
    doc.save(str(path))


def write_report(r: SupervisionReport, path: Path) -> Path:
    """``path`` by its suffix: .md, .xlsx or .docx."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        path.write_text(report_markdown(r), encoding="utf-8")
    elif suffix == ".xlsx":
        report_xlsx(r, path)
    elif suffix == ".docx":
        report_docx(r, path)
    else:
        raise ValidationError(f"不支持的格式 {path.suffix or '（无扩展名）'}：应为 .md、.xlsx 或 .docx")
    return path


REPORT_ACTION = "notify.report"


def queue_report(
    session: Session,
    *,
    config: NotifyConfig,
    report: SupervisionReport,
    now: dt.datetime,
    actor: str = "system",
) -> list[int]:
    """``notify report --send``: the report as a message to the coordinator and the ``leader`` routes, once per
    period and receiver (the idempotency key); the ids of the rows queued now (one audit event)."""
    from duban.services import audit
    from duban.services.notifications import _insert, _Planned

    ids = []
    for receiver in report_receivers(config):
        m = report_message(report, receiver)
        if _insert(session, _Planned(m.key, m.receiver, m.level, m.subject, m.body, m.period), now):
            message_id = session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.idempotency_key == m.key)
            )
            assert message_id is not None
            ids.append(int(message_id))
    if ids:
        audit.record(
            session,
            actor=actor,
            action=REPORT_ACTION,
            entity_type="notify_report",
            entity_id=f"{report.kind.value}|{report.period_label}",
            after={"messages": ids, "title": report.title},
            at=now,
        )
    return ids
