"""Widgets shared by the screens: the task detail pane, the action forms and the key list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static, TextArea
from textual.widgets.select import NoSelection

from duban.errors import ValidationError
from duban.hookspecs import IndicatorSpec
from duban.tui.base import perform
from duban.tui.text import block_text, cell_text, clip, day, light, moment

if TYPE_CHECKING:
    from duban.services.dashboard_results import (
        MilestoneLight,
        PendingExtension,
        PendingReport,
        ResponsibilityDetail,
    )
    from duban.services.dashboard_results import TaskDetail as TaskDetailData
    from duban.tui.context import DashboardContext

ACTION_NAMES = {
    "report.submit": "报送",
    "report.accept": "通过报送",
    "report.return": "退回报送",
    "responsibility.acknowledge": "签收",
    "extension.request": "申请延期",
    "extension.approve": "批准延期",
    "extension.refuse": "驳回延期",
    "policy.import": "导入政策",
    "policy.replace": "替换政策",
}


#: what the dashboard's tables hold: text, a styled Text (a light, a bar) or a count
Cell = str | int | Text


def fill(table: DataTable[Cell], rows: Iterable[tuple[Cell, ...]], keys: Iterable[Any]) -> None:
    """Replace a table's rows (columns stay); keeps the cursor row when it still exists."""
    row = table.cursor_row
    table.clear()
    for values, key in zip(rows, keys, strict=True):
        table.add_row(*values, key=str(key))
    if table.row_count:
        table.move_cursor(row=min(max(row, 0), table.row_count - 1))


def _grid(title: str, columns: list[str]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=False,
        title_style="bold",
    )
    for c in columns:
        table.add_column(c, no_wrap=False, overflow="fold")
    return table


class TaskDetail(VerticalScroll):
    """Full text of a task; its responsibilities (a table); the selected one's milestones, reports,
    findings and extensions; and the task's audit trail."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: TaskDetailData | None = None

    def compose(self) -> ComposeResult:
        yield Static("在上方选择一项任务。", id="detail-head")
        table: DataTable[Cell] = DataTable(id="resps", cursor_type="row", zebra_stripes=True)
        table.add_columns("责任", "部门", "文件写法", "角色", "状态", "灯", "逾期", "下次到期")
        yield table
        yield Static("", id="detail-body")

    def show_message(self, text: str) -> None:
        self.data = None
        self.query_one("#detail-head", Static).update(cell_text(text))
        self.query_one("#resps", DataTable).clear()
        self.query_one("#detail-body", Static).update("")

    def show(self, data: TaskDetailData) -> None:
        self.data = data
        head = Text()
        head.append(cell_text(f"{data.policy} 任务{data.number}"), style="bold")
        head.append(f"  (任务 #{data.id})\n", style="dim")
        head.append(block_text(data.text) + "\n")
        links = "；".join(f"{x.policy} {x.number}" for x in data.implements) or "尚未关联"
        head.append(cell_text(f"落实上级任务：{links}"), style="italic")
        if data.hidden_parties:
            head.append(
                f"\n另有 {data.hidden_parties} 个部门参与此任务（不在本部门范围，未显示）", style="dim"
            )
        self.query_one("#detail-head", Static).update(head)
        table = self.query_one("#resps", DataTable)
        fill(
            table,
            [
                (
                    r.id,
                    cell_text(r.agency_name),
                    clip(r.name_as_written, 16),
                    r.role.label,
                    r.state.label,
                    light(r.light),
                    r.overdue,
                    day(r.next_due),
                )
                for r in data.responsibilities
            ],
            [r.id for r in data.responsibilities],
        )
        self.render_body()

    @property
    def current(self) -> ResponsibilityDetail | None:
        """The responsibility under the cursor (the first one when nothing is highlighted)."""
        if not self.data or not self.data.responsibilities:
            return None
        table = self.query_one("#resps", DataTable)
        index = min(max(table.cursor_row, 0), len(self.data.responsibilities) - 1)
        return self.data.responsibilities[index]

    @on(DataTable.RowHighlighted, "#resps")
    def _resp_changed(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.render_body()

    def render_body(self) -> None:
        resp = self.current
        parts: list[RenderableType] = []
        if resp is not None:
            parts.append(
                Text(
                    cell_text(
                        f"责任 #{resp.id} {resp.agency_name}（{resp.role.label}，{resp.state.label}）"
                        + (f"，已并入责任 #{resp.merged_into}" if resp.merged_into else "")
                    ),
                    style="bold",
                )
            )
            ms = _grid(
                "督办节点（逾期、当前在前，其余最新在前）",
                ["节点", "期间", "应报日", "有效到期", "报送日", "灯"],
            )
            for m in resp.milestones:
                reported = day(m.reported_on, "未报") + ("（迟报）" if m.late else "")
                reported += "（被退回）" if m.returned else ""
                if m.withdrawn:
                    reported = "已撤回"
                ms.add_row(
                    str(m.id),
                    cell_text(m.period) + ("（当前）" if m.current else ""),
                    day(m.due),
                    day(m.effective_due),
                    reported,
                    light(m.light),
                )
            parts.append(ms if resp.milestones else Text("督办节点：尚未排期", style="dim"))
            reps = _grid("报送（最新在前）", ["报送", "节点", "版本", "日期", "报送人", "复核", "内容"])
            for r in resp.reports:
                body = r.text + (f"  [退回理由：{r.reason}]" if r.reason else "")
                if r.indicators:
                    body += "  " + "，".join(f"{k.split('.')[-1]}={v}" for k, v in r.indicators.items())
                reps.add_row(
                    str(r.id),
                    str(r.milestone or "-"),
                    f"v{r.version}" + ("" if r.current else "(旧)"),
                    day(r.submitted_on) + ("（迟报）" if r.late else ""),
                    cell_text(r.submitted_by),
                    r.review.label,
                    cell_text(body),
                )
            parts.append(reps if resp.reports else Text("报送：无", style="dim"))
            if resp.findings:
                fs = _grid("发现", ["级别", "插件", "代码", "内容", "报送", "发现于"])
                for f in resp.findings:
                    seen = day(f.first_seen)
                    if f.resolved_on:
                        seen += f"（{day(f.resolved_on)} 已消除）"
                    fs.add_row(
                        f.severity.label,
                        cell_text(f.plugin),
                        cell_text(f.code),
                        cell_text(f.message),
                        str(f.report or "-"),
                        cell_text(seen),
                    )
                parts.append(fs)
            else:
                parts.append(Text("发现：无", style="dim"))
            if resp.extensions:
                xs = _grid("延期", ["申请", "节点", "新日期", "状态", "理由", "进展"])
                for x in resp.extensions:
                    xs.add_row(
                        str(x.id),
                        cell_text(x.period),
                        day(x.new_date),
                        x.state.label,
                        cell_text(x.reason),
                        cell_text(x.progress),
                    )
                parts.append(xs)
            else:
                parts.append(Text("延期：无", style="dim"))
        if self.data is not None:
            audit = _grid("审计记录（最新在前）", ["序号", "时间(UTC)", "操作人", "动作", "对象"])
            for e in self.data.audit:
                audit.add_row(
                    str(e.seq),
                    moment(e.at),
                    cell_text(e.actor),
                    ACTION_NAMES.get(e.action, e.action),
                    f"{e.entity_type} #{e.entity_id}",
                )
            parts.append(audit if self.data.audit else Text("审计记录：无", style="dim"))
        self.query_one("#detail-body", Static).update(Group(*parts))


# ---------------------------------------------------------------------------------------------- forms


class FormFields(VerticalScroll, can_focus=False):
    """The form's fields: they scroll, but are no focus stop of their own (Tab goes field to field)."""


#: rows a form needs besides its fields: border, title, error line, hint and buttons
FORM_CHROME = 10


class FormScreen(ModalScreen[str | None]):
    """A modal form whose submit runs one action; a refused action's message stays in the form.

    The focus starts on the first field; the fields scroll while 提交/取消 stay on screen (the form says
    ctrl+s); esc or 取消 on a changed form asks before discarding; a decision (:attr:`DECISIONS`) is
    confirmed with its consequence before it runs — ctrl+s too.
    """

    DEFAULT_CSS = """
    FormScreen #form-hint { width: 100%; height: 1; color: $text-muted; }
    """
    TITLE_TEXT = ""
    #: the hint beside the buttons (ctrl+s and esc)
    HINT = "ctrl+s 提交  esc 取消"
    BINDINGS = [
        Binding("escape", "cancel", "取消", id="form.cancel"),
        Binding("ctrl+s", "submit", "提交", id="form.submit"),
    ]

    def __init__(self, ctx: DashboardContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = False
        self._initial: tuple[tuple[str, object], ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label(self.TITLE_TEXT, id="form-title")
            with FormFields(id="form-fields"):
                yield from self.fields()
            yield Static("", id="error")
            yield Static(self.HINT, id="form-hint")
            with Horizontal(id="form-buttons"):
                yield from self.buttons()
                yield Button("取消", id="cancel")

    def on_mount(self) -> None:
        self._fit()
        first = self.first_field()
        if first is not None:
            first.focus()
        else:
            self.query_one("#form-buttons Button", Button).focus()
        self._initial = self.values()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Let the fields scroll within what the terminal leaves after the form's chrome (90 % high)."""
        height = self.app.size.height
        self.query_one("#form-fields").styles.max_height = max(3, height * 9 // 10 - FORM_CHROME)

    def first_field(self) -> Widget | None:
        for widget in self.query_one("#form-fields").query("*"):
            if widget.focusable:
                return widget
        return None

    def values(self) -> tuple[tuple[str, object], ...]:
        """What the user has entered so far (to tell a changed form)."""
        out: list[tuple[str, object]] = []
        for widget in self.query_one("#form-fields").query("Input, TextArea, Select, Checkbox"):
            if isinstance(widget, TextArea):
                out.append((widget.id or "", widget.text))
            elif isinstance(widget, Input | Select | Checkbox):
                out.append((widget.id or "", widget.value))
        return tuple(out)

    @property
    def changed(self) -> bool:
        return self.values() != self._initial

    def fields(self) -> ComposeResult:
        yield from ()

    def buttons(self) -> ComposeResult:
        yield Button("提交", id="submit", variant="primary")

    def build(self, button: str) -> Callable[[Session], str]:
        """The action for ``button``; raise ValidationError for input the form itself can refuse."""
        raise NotImplementedError

    def confirmation(self, button: str) -> tuple[str, str, str] | None:
        """(question, confirm label, consequence) to ask before ``button`` runs; None: no question."""
        return None

    def action_cancel(self) -> None:
        from duban.tui.confirm import ask_before_discarding

        if not self.busy:
            ask_before_discarding(self, self.changed)

    def action_submit(self) -> None:
        self._run("submit")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id:
            self._run(event.button.id)

    def show_error(self, text: str) -> None:
        self.query_one("#error", Static).update(Text(cell_text(text), style="bold red"))

    def _run(self, button: str) -> None:
        if self.busy:
            return
        try:
            fn = self.build(button)
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        question = self.confirmation(button)
        if question is None:
            self._start(fn)
            return
        from duban.tui.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(fn)

        self.app.push_screen(ConfirmScreen(question[0], question[1], question[2]), answered)

    def _start(self, fn: Callable[[Session], str]) -> None:
        if self.busy:
            return
        self.busy = True
        self.show_error("")
        ctx = self.ctx

        def work() -> None:
            ok, text = perform(ctx, fn)
            self.app.call_from_thread(self._done, ok, text)

        self.run_worker(work, thread=True, group="form", exit_on_error=False)

    def _done(self, ok: bool, text: str) -> None:
        self.busy = False
        if ok:
            self.dismiss(text)
        else:
            self.show_error(text)


class DecisionFormScreen(FormScreen):
    """A form whose buttons decide (通过/退回, 批准/驳回): ctrl+s takes the focused decision button, else the
    first, and every decision asks first, naming its consequence."""

    #: decision button ids, the first is ctrl+s's default
    DECISIONS: tuple[str, ...] = ()

    def action_submit(self) -> None:
        focused = self.focused
        if isinstance(focused, Button) and focused.id in self.DECISIONS:
            self._run(focused.id)
        else:
            self._run(self.DECISIONS[0])

    def confirmation(self, button: str) -> tuple[str, str, str] | None:
        # someone who may not decide is refused by the service at once, with its message: nothing to confirm
        return self.decision_question(button) if self.ctx.actor.is_coordinator else None

    def decision_question(self, button: str) -> tuple[str, str, str]:
        raise NotImplementedError


def report_decision(what: str, *, accept: bool) -> tuple[str, str, str]:
    """The question before 通过 or 退回 ``what`` (one report, or several)."""
    if accept:
        return (
            f"通过{what}？",
            "通过",
            "通过后报送定稿（已复核），不能撤销；申请办结的责任随之办结。",
        )
    return (
        f"退回{what}？",
        "退回",
        "退回后该责任转为“被退回”，部门须重新报送；退回理由随报送保存，不能撤销。",
    )


def extension_decision(
    what: str, *, approve: bool, due: dt.date | None = None, new_date: dt.date | None = None
) -> tuple[str, str, str]:
    """The question before 批准 or 驳回 ``what`` (with the dates when one request is decided)."""
    if approve:
        moved = f"由 {day(due)} 改为 {day(new_date)}" if due and new_date else "改为申请的新日期"
        return (f"批准{what}？", "批准", f"批准后节点的有效到期日{moved}，不能撤销。")
    kept = f"（{day(due)}）" if due else ""
    return (f"驳回{what}？", "驳回", f"驳回后节点仍按原到期日{kept}督办，逾期照常计算，不能撤销。")


def _milestone_option(m: MilestoneLight) -> tuple[str, int]:
    return (cell_text(f"{m.period}（到期 {day(m.effective_due)}，节点 #{m.id}）"), m.id)


class ReportForm(FormScreen):
    """报送: progress text, the agency's indicators (typed and checked by its plugin), 申请办结."""

    TITLE_TEXT = "报送进度"

    def __init__(
        self, ctx: DashboardContext, resp: ResponsibilityDetail, specs: dict[str, IndicatorSpec]
    ) -> None:
        super().__init__(ctx)
        self.resp = resp
        self.specs = list(specs.values())
        self.milestones = resp.open_milestones

    def fields(self) -> ComposeResult:
        yield Label(cell_text(f"责任 #{self.resp.id} {self.resp.agency_name}（{self.resp.role.label}）"))
        yield Label("节点")
        yield Select(
            [_milestone_option(m) for m in self.milestones],
            id="milestone",
            allow_blank=True,
            prompt="（不指定节点）",
            value=self.milestones[0].id if self.milestones else Select.NULL,
        )
        yield Label("进展情况")
        yield TextArea(id="text", soft_wrap=True, show_line_numbers=False)
        for i, spec in enumerate(self.specs):
            mark = "*" if spec.required else ""
            unit = f"（{spec.unit}）" if spec.unit else ""
            yield Label(cell_text(f"{mark}{spec.name}{unit}"), classes="indicator-label")
            kind = {"int": "整数", "float": "数字", "bool": "是/否", "date": "YYYY-MM-DD"}.get(
                spec.type, "文字"
            )
            yield Input(placeholder=kind, id=f"ind-{i}", classes="indicator")
        yield Checkbox("同时申请办结", id="final")

    def buttons(self) -> ComposeResult:
        yield Button("报送", id="submit", variant="primary")

    def build(self, button: str) -> Callable[[Session], str]:
        from duban.services.reports import submit_report

        milestone = self.query_one("#milestone", Select).value
        milestone_id = None if isinstance(milestone, NoSelection) else int(milestone)
        text = self.query_one("#text", TextArea).text
        values = {
            spec.key: self.query_one(f"#ind-{i}", Input).value
            for i, spec in enumerate(self.specs)
            if self.query_one(f"#ind-{i}", Input).value.strip()
        }
        final = self.query_one("#final", Checkbox).value
        ctx, resp_id = self.ctx, self.resp.id
        template = self.resp.template if self.resp.templates else None

        def run(session: Session) -> str:
            result = submit_report(
                session,
                actor=ctx.actor,
                host=ctx.host,
                responsibility_id=resp_id,
                milestone_id=milestone_id,
                text=text,
                indicators=values,
                final=final,
                attachment_root=ctx.attachment_root,
                at=ctx.now(),
                today=ctx.today,
                template=template,
            )
            receipt = result.receipt
            notes = "；".join(
                [f.message for f in receipt.findings] + ([receipt.free_text] if receipt.free_text else [])
            )
            return f"已报送：报送 #{receipt.report}（第 {receipt.version} 版）" + (
                f"。提示：{notes}" if notes else ""
            )

        return run


class ExtensionForm(FormScreen):
    """申请延期: before the due date, with a new date, a reason and the progress so far."""

    TITLE_TEXT = "申请延期"

    def __init__(self, ctx: DashboardContext, resp: ResponsibilityDetail) -> None:
        super().__init__(ctx)
        self.resp = resp
        self.milestones = [m for m in resp.open_milestones if m.effective_due >= ctx.today]

    def fields(self) -> ComposeResult:
        yield Label(cell_text(f"责任 #{self.resp.id} {self.resp.agency_name}（{self.resp.role.label}）"))
        yield Label("节点（只能在到期日之前申请）")
        yield Select(
            [_milestone_option(m) for m in self.milestones],
            id="milestone",
            allow_blank=True,
            prompt="（没有可申请的节点）",
            value=self.milestones[0].id if self.milestones else Select.NULL,
        )
        yield Label("新的到期日 YYYY-MM-DD")
        yield Input(id="new_date", placeholder="2026-08-31")
        yield Label("理由")
        yield Input(id="reason")
        yield Label("目前进展")
        yield Input(id="progress")

    def build(self, button: str) -> Callable[[Session], str]:
        from duban.services.extensions import request_extension

        milestone = self.query_one("#milestone", Select).value
        if isinstance(milestone, NoSelection):
            raise ValidationError("请选择节点（已到期的节点不能申请延期）")
        raw = self.query_one("#new_date", Input).value.strip()
        try:
            new_date = dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValidationError(f"新的到期日 {raw!r} 应写成 YYYY-MM-DD") from exc
        reason, progress = self.query_one("#reason", Input).value, self.query_one("#progress", Input).value
        ctx = self.ctx

        def run(session: Session) -> str:
            ext = request_extension(
                session,
                actor=ctx.actor,
                milestone_id=int(milestone),
                new_date=new_date,
                reason=reason,
                progress=progress,
                today=ctx.today,
                at=ctx.now(),
            )
            return f"已申请延期：申请 #{ext.id}，新日期 {ext.new_date}"

        return run


class ReviewForm(DecisionFormScreen):
    """复核: accept or return (with a reason) a report waiting for review."""

    TITLE_TEXT = "复核报送"
    HINT = "ctrl+s 通过（先确认）  esc 取消"
    DECISIONS = ("accept", "return")

    def __init__(self, ctx: DashboardContext, pending: list[PendingReport]) -> None:
        super().__init__(ctx)
        self.pending = pending

    def fields(self) -> ComposeResult:
        options = [
            (clip(f"#{r.id} {r.party} v{r.version} {day(r.submitted_on)} {r.text}", 60), r.id)
            for r in self.pending
        ]
        yield Label("待复核的报送")
        yield Select(
            options,
            id="report",
            allow_blank=not options,
            prompt="（没有待复核的报送）",
            value=options[0][1] if options else Select.NULL,
        )
        yield Label("理由（退回时必填）")
        yield Input(id="reason")

    def buttons(self) -> ComposeResult:
        yield Button("通过", id="accept", variant="success")
        yield Button("退回", id="return", variant="error")

    def decision_question(self, button: str) -> tuple[str, str, str]:
        report = self.query_one("#report", Select).value
        chosen = next((r for r in self.pending if r.id == report), None)
        what = f"报送 #{report}" + (f"（{chosen.party}，第 {chosen.version} 版）" if chosen else "")
        return report_decision(what, accept=button == "accept")

    def build(self, button: str) -> Callable[[Session], str]:
        from duban.services.lifecycle import review_report

        report = self.query_one("#report", Select).value
        if isinstance(report, NoSelection):
            raise ValidationError("没有待复核的报送")
        reason = self.query_one("#reason", Input).value.strip() or None
        accept = button == "accept"
        if not accept and reason is None:  # asked before the confirmation, not after it
            raise ValidationError("退回报送必须说明理由：请填写理由")
        ctx = self.ctx

        def run(session: Session) -> str:
            rep = review_report(
                session,
                actor=ctx.actor,
                report_id=int(report),
                accept=accept,
                reason=reason,
                at=ctx.now(),
                today=ctx.today,
            )
            return f"报送 #{rep.id} {'已通过' if accept else '已退回'}"

        return run


class DecisionForm(DecisionFormScreen):
    """延期审批: approve or refuse a pending extension request."""

    TITLE_TEXT = "审批延期申请"
    HINT = "ctrl+s 批准（先确认）  esc 取消"
    DECISIONS = ("approve", "refuse")

    def __init__(self, ctx: DashboardContext, pending: list[PendingExtension]) -> None:
        super().__init__(ctx)
        self.pending = pending

    def fields(self) -> ComposeResult:
        options = [
            (
                clip(f"#{x.id} {x.party} {x.period} {day(x.due)} -> {day(x.new_date)} {x.reason}", 60),
                x.id,
            )
            for x in self.pending
        ]

        yield Label("待审批的延期申请")
        yield Select(
            options,
            id="extension",
            allow_blank=not options,
            prompt="（没有待审批的延期申请）",
            value=options[0][1] if options else Select.NULL,
        )
        yield Label("意见")
        yield Input(id="reason")

    def buttons(self) -> ComposeResult:
        yield Button("批准", id="approve", variant="success")
        yield Button("驳回", id="refuse", variant="error")

    def decision_question(self, button: str) -> tuple[str, str, str]:
        ext_id = self.query_one("#extension", Select).value
        chosen = next((x for x in self.pending if x.id == ext_id), None)
        if chosen is None:
            return extension_decision(f"延期申请 #{ext_id}", approve=button == "approve")
        return extension_decision(
            f"延期申请 #{chosen.id}（{chosen.party}，{chosen.period}）",
            approve=button == "approve",
            due=chosen.due,
            new_date=chosen.new_date,
        )

    def build(self, button: str) -> Callable[[Session], str]:
        from duban.services.extensions import decide_extension

        ext_id = self.query_one("#extension", Select).value
        if isinstance(ext_id, NoSelection):
            raise ValidationError("没有待审批的延期申请")
        reason = self.query_one("#reason", Input).value.strip() or None
        approve = button == "approve"
        ctx = self.ctx

        def run(session: Session) -> str:
            ext = decide_extension(
                session,
                actor=ctx.actor,
                extension_id=int(ext_id),
                approve=approve,
                reason=reason,
                at=ctx.now(),
                today=ctx.today,
            )
            return f"延期申请 #{ext.id} {'已批准' if approve else '已驳回'}"

        return run
