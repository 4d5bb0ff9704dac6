"""导入预览 (``duban import FILE --review``): the parsed tasks with their doubts, corrected before anything is
written; 写入 imports through the same answers path as ``duban import --answers``.

Thin: every correction is a function of :mod:`duban.services.import_review` applied to the in-memory answers
document; the write runs ``import_policy(..., answers=document)`` in a thread worker, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, SelectionList, Static

from duban.domain.agencies import AgencyRegistry
from duban.domain.vocabulary import PartyKind, Role
from duban.errors import DubanError
from duban.importing.model import ImportDocument
from duban.plugin_host import PluginHost
from duban.services import import_review as review
from duban.services.identity import Actor
from duban.services.importing import ImportResult
from duban.tui.base import error_text
from duban.tui.confirm import ConfirmScreen, ask_before_discarding
from duban.tui.context import DashboardContext
from duban.tui.text import cell_text, clip
from duban.tui.widgets import Cell, fill

#: the import's own options (strict, jurisdiction, replace, today …) passed to import_policy on 写入
Writer = Callable[[Session, ImportDocument], ImportResult]

ROLE_CYCLE = (Role.LEAD, Role.SUPPORT, Role.JOINT)

_MODAL_CSS = """
AgencyPicker, TaskEditor { align: center middle; }
#dialog { width: 72; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 1 2; }
#dialog SelectionList { height: 16; }
#dialog-buttons { height: 3; align: right middle; }
#dialog-buttons Button { margin-left: 1; }
"""


class AgencyPicker(ModalScreen[list[str] | None]):
    """Choose one or more registered agencies (指定部门)."""

    DEFAULT_CSS = _MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("ctrl+s", "ok", "确定")]

    def __init__(self, title: str, registry: AgencyRegistry, level: str | None) -> None:
        super().__init__()
        self.title_text, self.registry, self.level = title, registry, level

    def compose(self) -> ComposeResult:
        options = [
            (
                f"{self.registry.name_at(k, self.level) if self.level else self.registry.spec(k).name}（{k}）",
                k,
            )
            for k in self.registry.keys()
        ]
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="picker-title")
            yield SelectionList[str](*options, id="agencies")
            yield Static("", id="error")
            with Horizontal(id="dialog-buttons"):
                yield Button("确定(ctrl+s)", id="ok", variant="primary")
                yield Button("取消", id="cancel")

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The list scrolls within what a small terminal leaves; 确定/取消 stay on screen."""
        room = self.app.size.height * 9 // 10 - 10  # border, padding, title, error line, buttons
        self.query_one("#agencies", SelectionList).styles.height = max(3, min(16, room))

    def action_cancel(self) -> None:
        ask_before_discarding(self, bool(self.query_one("#agencies", SelectionList).selected))

    def action_ok(self) -> None:
        chosen = list(self.query_one("#agencies", SelectionList).selected)
        if not chosen:
            self.query_one("#error", Static).update("请至少选择一个部门（空格键勾选）")
            return
        self.dismiss(chosen)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        else:
            self.action_cancel()


class TaskEditor(ModalScreen[tuple[str, str] | None]):
    """Edit a task's number and text (after a split)."""

    DEFAULT_CSS = _MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("ctrl+s", "ok", "确定")]

    def __init__(self, number: str, text: str) -> None:
        super().__init__()
        self.number, self.text = number, text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("编号")
            yield Input(self.number, id="number")
            yield Label("正文")
            yield Input(self.text, id="text")
            with Horizontal(id="dialog-buttons"):
                yield Button("确定(ctrl+s)", id="ok", variant="primary")
                yield Button("取消", id="cancel")

    def action_cancel(self) -> None:
        values = (self.query_one("#number", Input).value, self.query_one("#text", Input).value)
        ask_before_discarding(self, values != (self.number, self.text))

    def action_ok(self) -> None:
        self.dismiss((self.query_one("#number", Input).value, self.query_one("#text", Input).value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_ok()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        else:
            self.action_cancel()


class ImportReviewScreen(Screen[None]):
    """The preview: tasks (doubtful first, 存疑 column), the highlighted task's parties, the corrections."""

    AUTO_FOCUS = "#review-tasks"
    DEFAULT_CSS = """
    #review-head { height: auto; padding: 0 1; }
    #review-tasks { height: 2fr; }
    #review-parties { height: 1fr; border-top: solid $primary; }
    #review-doubts { height: auto; max-height: 6; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("r", "role", "改角色", id="review.role"),
        Binding("g", "resolve", "指定部门", id="review.resolve"),
        Binding("a", "add", "添加部门", id="review.add"),
        Binding("x", "remove", "删除单位", id="review.remove"),
        Binding("m", "merge", "并入上一项", id="review.merge"),
        Binding("t", "split", "拆分", id="review.split"),
        Binding("e", "edit", "编辑", id="review.edit"),
        Binding("u", "undo", "撤销", id="review.undo"),
        Binding("w", "write", "写入", id="review.write"),
        Binding("q,escape", "discard", "放弃", id="review.discard"),
    ]

    def __init__(self, document: ImportDocument, registry: AgencyRegistry, writer: Writer) -> None:
        super().__init__()
        self.original = document
        self.document = document
        self.history: list[ImportDocument] = []
        self.registry = registry
        self.writer = writer
        self.busy = False
        self._detail_of: int | None = None

    @property
    def ctx(self) -> DashboardContext:
        ctx: DashboardContext = self.app.ctx  # type: ignore[attr-defined]  # ReviewApp
        return ctx

    @property
    def edited(self) -> bool:
        return self.document != self.original

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="review-head")
        tasks: DataTable[Cell] = DataTable(id="review-tasks", cursor_type="row", zebra_stripes=True)
        for label in ("存疑", "编号", "正文", Role.LEAD.label, f"{Role.SUPPORT.label}/{Role.JOINT.label}"):
            tasks.add_column(label, key=label)
        yield tasks
        parties: DataTable[Cell] = DataTable(id="review-parties", cursor_type="row")
        for label in ("单位", "角色", "类型", "部门代码"):
            parties.add_column(label, key=label)
        yield parties
        yield Static("", id="review-doubts")
        yield Footer()

    def on_mount(self) -> None:
        self.render_all()

    def render_all(self, keep: int | None = None) -> None:
        doc = self.document
        order = review.doubtful_first(doc)
        doubtful = sum(1 for t in doc.tasks if t.doubts)
        source = doc.source.name if doc.source else ""
        title = doc.policy.title or "（无标题）"
        self.query_one("#review-head", Static).update(
            cell_text(f"导入预览：{source}  {doc.policy.doc_number or '（无文号）'} {title}")
            + "\n"
            + cell_text(
                f"{len(doc.tasks)} 项任务，{doubtful} 项存疑（排在前面）"
                + ("  | 有未写入的改动" if self.edited else "")
                + "  | 写入前不会保存任何内容"
            )
        )
        table = self.query_one("#review-tasks", DataTable)
        current = keep if keep is not None else self.task_index()
        fill(
            table,
            [
                (
                    cell_text(review.doubt_labels(t) or "-"),
                    cell_text(review.task_label(t.section, t.number)),
                    clip(t.text, 30),
                    clip("、".join(p.name for p in t.responsibilities if p.role == Role.LEAD) or "-", 20),
                    clip("、".join(p.name for p in t.responsibilities if p.role != Role.LEAD) or "-", 24),
                )
                for t in (doc.tasks[i] for i in order)
            ],
            order,
        )
        if current is not None and current < len(doc.tasks):
            table.move_cursor(row=order.index(current))
        self.render_detail()

    def task_index(self) -> int | None:
        table = self.query_one("#review-tasks", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def party_index(self) -> int | None:
        table = self.query_one("#review-parties", DataTable)
        return table.cursor_row if table.row_count else None

    def render_detail(self) -> None:
        index = self.task_index()
        table = self.query_one("#review-parties", DataTable)
        doubts = self.query_one("#review-doubts", Static)
        if index is None:
            table.clear()
            doubts.update("")
            return
        task = self.document.tasks[index]
        if index != self._detail_of:  # another task: start at its first party
            self._detail_of = index
            table.clear()
        fill(
            table,
            [
                (
                    cell_text(p.name),
                    Role(p.role).label,
                    PartyKind.GROUP.label if review.is_vague(p) else PartyKind(p.party).label,
                    p.agency or "-",
                )
                for p in task.responsibilities
            ],
            range(len(task.responsibilities)),
        )
        lines = [cell_text(f"· {d.kind.label}：{d.message}") for d in task.doubts]
        doubts.update("\n".join(lines) if lines else "（解析器对这一项没有疑问）")

    @on(DataTable.RowHighlighted, "#review-tasks")
    def _task_moved(self, event: DataTable.RowHighlighted) -> None:
        self.render_detail()

    # ------------------------------------------------------------------ corrections

    def change(self, fn: Callable[[ImportDocument], ImportDocument], keep: int | None = None) -> bool:
        """Apply one correction (a function of duban.services.import_review); a refusal is a message."""
        try:
            new = fn(self.document)
        except DubanError as exc:
            self.notify(str(exc), title="未修改", severity="error")
            return False
        self.history.append(self.document)
        self.document = new
        party = self.party_index()
        self.render_all(keep)
        parties = self.query_one("#review-parties", DataTable)
        if party is not None and parties.row_count:
            parties.move_cursor(row=min(party, parties.row_count - 1))
        return True

    def _selected(self) -> tuple[int, int] | None:
        task, party = self.task_index(), self.party_index()
        if task is None or party is None:
            self.notify("请先选择任务和单位", severity="warning")
            return None
        return task, party

    def action_role(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        task, party = selected
        current = Role(self.document.tasks[task].responsibilities[party].role)
        role = ROLE_CYCLE[(ROLE_CYCLE.index(current) + 1) % len(ROLE_CYCLE)]
        self.change(lambda d: review.set_role(d, task, party, role), task)

    def action_resolve(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        task, party = selected
        target = self.document.tasks[task].responsibilities[party]
        vague = review.is_vague(target)
        title = (
            f"“{target.name}”指哪些部门？（可选多个）"
            if vague
            else f"“{target.name}”是哪个部门？（选一个：记为别名，下次导入自动识别；选多个：替换为这些部门）"
        )

        def chosen(keys: list[str] | None) -> None:
            if not keys:
                return
            if vague or len(keys) > 1:
                self.change(lambda d: review.resolve_group(d, task, party, keys, self.registry), task)
            else:
                self.change(lambda d: review.map_name(d, task, party, keys[0], self.registry), task)

        self.app.push_screen(AgencyPicker(title, self.registry, self.document.policy.level), chosen)

    def action_add(self) -> None:
        task = self.task_index()
        if task is None:
            return

        def chosen(keys: list[str] | None) -> None:
            if not keys:
                return

            def add(d: ImportDocument) -> ImportDocument:
                for key in keys:
                    d = review.add_party(d, task, key, Role.SUPPORT, self.registry)
                return d

            self.change(add, task)

        self.app.push_screen(
            AgencyPicker("添加哪些部门（配合）？", self.registry, self.document.policy.level), chosen
        )

    def action_remove(self) -> None:
        selected = self._selected()
        if selected is not None:
            task, party = selected
            self.change(lambda d: review.remove_party(d, task, party), task)

    def action_merge(self) -> None:
        task = self.task_index()
        if task is not None:
            self.change(lambda d: review.merge_into_previous(d, task), max(task - 1, 0))

    def action_split(self) -> None:
        task = self.task_index()
        if task is not None:
            self.change(lambda d: review.split_task(d, task), task + 1)

    def action_edit(self) -> None:
        task = self.task_index()
        if task is None:
            return
        item = self.document.tasks[task]

        def edited(values: tuple[str, str] | None) -> None:
            if values is not None:
                number, text = values
                self.change(lambda d: review.edit_task(d, task, number=number, text=text), task)

        self.app.push_screen(TaskEditor(item.number, item.text), edited)

    def action_undo(self) -> None:
        if self.history:
            self.document = self.history.pop()
            self.render_all()

    # ------------------------------------------------------------------ write / discard

    def action_write(self) -> None:
        if self.busy:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.write()

        count = len(self.document.tasks)
        self.app.push_screen(
            ConfirmScreen(
                f"按当前的 {count} 项任务写入数据库？",
                "写入",
                "写入后政策、任务和责任分工进入督办，之后的改动须重新导入（替换）。",
            ),
            confirmed,
        )

    def write(self) -> None:
        self.busy = True
        ctx, writer, document = self.ctx, self.writer, self.document

        def work() -> None:
            try:
                with ctx.write() as session:
                    result = writer(session, document)
            except Exception as exc:  # every failure becomes a message; nothing was written
                self.app.call_from_thread(self._failed, error_text(exc))
                return
            self.app.call_from_thread(self.app.exit, result)

        self.run_worker(work, thread=True, group="write", exit_on_error=False, name="write")

    def _failed(self, text: str) -> None:
        self.busy = False
        self.notify(text, title="未写入", severity="error", timeout=10)

    def action_discard(self) -> None:
        if not self.edited:
            self.app.exit(None)
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.exit(None)

        self.app.push_screen(ConfirmScreen("有未写入的改动，确定放弃？", "放弃"), confirmed)


class ReviewApp(App[ImportResult | None]):
    """The import preview on its own (``duban import --review``); returns the ImportResult or None."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "督办 · 导入预览"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        ctx: DashboardContext,
        document: ImportDocument,
        registry: AgencyRegistry,
        writer: Writer,
        *,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.document, self.registry, self.writer = document, registry, writer
        self._keymap = dict(keymap or {})

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self.sub_title = f"{self.ctx.actor.label()} | {self.ctx.today.isoformat()}"
        self.push_screen(ImportReviewScreen(self.document, self.registry, self.writer))


def create_review_app(
    *,
    session_factory: sessionmaker[Session],
    host: PluginHost,
    actor: Actor,
    path: Path,
    options: dict[str, Any],
    today: dt.date | None = None,
    keymap: dict[str, str] | None = None,
) -> ReviewApp:
    """The preview of importing ``path``: parsed now (with the learned aliases); 写入 calls
    ``import_policy(session, path=path, answers=<the corrected document>, **options)``."""
    from duban.services.clock import local_today
    from duban.services.importing import import_policy, preview_document, registry_from

    ctx = DashboardContext(
        sessions=session_factory,
        host=host,
        actor=actor,
        today=today or options.get("today") or local_today(),
    )
    strict = bool(options.get("strict", False))
    document = ctx.read(lambda s: preview_document(path, host=host, session=s, strict=strict))
    registry = ctx.read(lambda s: registry_from(host, s))

    def writer(session: Session, answers: ImportDocument) -> ImportResult:
        return import_policy(
            session, actor=actor, host=host, path=path, answers=answers, answers_name="导入预览", **options
        )

    return ReviewApp(ctx, document, registry, writer, keymap=keymap)
