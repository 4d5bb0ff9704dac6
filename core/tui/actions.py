"""The actions on a task's responsibilities, shared by every screen that shows a :class:`TaskDetail`.

Each goes through the same service as the CLI (same permissions, same audit), in one unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from textual.binding import Binding

from duban.tui.base import DubanScreen
from duban.tui.widgets import DecisionForm, ExtensionForm, ReportForm, ReviewForm, TaskDetail

if TYPE_CHECKING:
    from duban.services.dashboard_results import PendingExtension, PendingReport, ResponsibilityDetail

ACTION_BINDINGS = [
    Binding("a", "ack", "签收", id="task.ack"),
    Binding("r", "report", "报送", id="task.report"),
    Binding("e", "extend", "申请延期", id="task.extend"),
    Binding("v", "review", "复核", id="task.review"),
    Binding("d", "decide", "延期审批", id="task.decide"),
    Binding("m", "remind", "立即提醒", id="task.remind"),
]


class TaskActionsScreen(DubanScreen):
    """A screen with a ``#detail`` TaskDetail whose selected responsibility the actions apply to."""

    def detail(self) -> TaskDetail:
        return self.query_one("#detail", TaskDetail)

    def reload_detail(self) -> None:
        """Load the detail of the task shown (subclasses know which)."""

    def _current(self) -> ResponsibilityDetail | None:
        resp = self.detail().current
        if resp is None:
            self.notify("请先选择一项任务及其责任", severity="warning")
        return resp

    def action_finished(self, text: str, ok: bool) -> None:
        super().action_finished(text, ok)
        if ok:
            self.reload_detail()

    def _form_closed(self, result: str | None) -> None:
        if result:
            self.action_finished(result, True)

    def action_ack(self) -> None:
        resp = self._current()
        if resp is None:
            return
        from duban.services.lifecycle import acknowledge

        ctx, resp_id = self.ctx, resp.id

        def run(session: Session) -> str:
            acknowledge(session, actor=ctx.actor, responsibility_id=resp_id, at=ctx.now())
            return f"已签收责任 #{resp_id}"

        self.act(run)

    def action_report(self) -> None:
        resp = self._current()
        if resp is None:
            return
        from duban.services.reports import indicator_specs_for

        specs = indicator_specs_for(self.ctx.host, resp.agency, resp.template)
        self.app.push_screen(ReportForm(self.ctx, resp, specs), self._form_closed)

    def action_extend(self) -> None:
        resp = self._current()
        if resp is not None:
            self.app.push_screen(ExtensionForm(self.ctx, resp), self._form_closed)

    def _task_id(self) -> int | None:
        data = self.detail().data
        return data.id if data else None

    def action_review(self) -> None:
        task_id = self._task_id()
        if task_id is None:
            self.notify("请先选择一项任务", severity="warning")
            return
        from duban.services.dashboard import pending_for_review

        self.load("review_choices", lambda s: pending_for_review(s, task_id=task_id))

    def show_review_choices(self, pending: list[PendingReport]) -> None:
        self.app.push_screen(ReviewForm(self.ctx, pending), self._form_closed)

    def action_decide(self) -> None:
        task_id = self._task_id()
        if task_id is None:
            self.notify("请先选择一项任务", severity="warning")
            return
        from duban.services.dashboard import pending_extensions

        self.load("decision_choices", lambda s: pending_extensions(s, task_id=task_id))

    def show_decision_choices(self, pending: list[PendingExtension]) -> None:
        self.app.push_screen(DecisionForm(self.ctx, pending), self._form_closed)

    def action_remind(self) -> None:
        send_reminders_now(self)


#: the question before 立即提醒 (it reaches every department with something due)
REMIND_ALL = (
    "立即向所有部门发送提醒？",
    "发送",
    "按通知规则向每个有到期、逾期事项的部门发送提醒（邮件或群消息），发出后不能撤回。",
)


def send_reminders_now(screen: DubanScreen) -> None:
    """立即提醒 (提醒全部), after a confirmation naming who it reaches."""
    from duban.errors import DubanError
    from duban.services.identity import require_coordinator
    from duban.tui.confirm import ConfirmScreen

    try:
        require_coordinator(screen.ctx.actor, "立即发送提醒")
    except DubanError as exc:  # nothing to confirm for someone who may not send
        screen.action_finished(str(exc), False)
        return

    def answered(yes: bool | None) -> None:
        if yes:
            _send_reminders(screen)

    screen.app.push_screen(ConfirmScreen(*REMIND_ALL), answered)


def _send_reminders(screen: DubanScreen) -> None:
    """One ``duban notify`` run (plan, then send what is due) in a thread worker — apprise blocks,
    so never on the event loop. Coordinators only (it writes to every department)."""
    try:
        from duban.services.notifications import run_notifications
    except ImportError:
        screen.notify("通知功能尚未安装", severity="warning")
        return
    from duban.config import Settings, shipped_defaults
    from duban.domain.vocabulary import OutboxState
    from duban.notify import load_notify_config
    from duban.services.identity import require_coordinator
    from duban.tui.base import ActionDone, error_text

    ctx = screen.ctx
    sender = ctx.extras.get("notify_sender")

    def work() -> None:
        try:
            require_coordinator(ctx.actor, "立即发送提醒")
            config = load_notify_config(ctx.settings or Settings(shipped_defaults()))
            kwargs = {"sender": sender} if sender is not None else {}
            report = run_notifications(
                ctx.sessions, config=config, as_of=ctx.today, now=ctx.now(), host=ctx.host, **kwargs
            )
        except Exception as exc:  # shown to the user
            screen.post_message(ActionDone(error_text(exc), False))
            return
        failed = sum(1 for m in report.sent if m.state == OutboxState.FAILED)
        text = f"提醒已运行：生成 {len(report.planned)} 条，发送 {len(report.sent)} 条，失败 {failed} 条"
        if report.unrouted:
            text += f"；{len(report.unrouted)} 个接收方没有配置通知渠道"
        if report.checks is not None and report.checks.faults:
            text += "；检查出错的插件：" + "、".join(report.checks.failed_plugins)
        screen.post_message(ActionDone(text, failed == 0))

    screen.notify("正在发送提醒...", timeout=3)
    screen.run_worker(work, thread=True, group="notify", exit_on_error=False, name="notify")
