"""duban remind: ad-hoc 催办 of one task's departments or one department, now (deduplicated per day)."""

from __future__ import annotations

import datetime as dt

import click

from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.types import DAY


@click.command("remind")
@click.option(
    "--task",
    "task_ref",
    metavar="任务",
    help='任务：“政策文号或标题 任务编号”（如 "云民发〔2020〕8号 三"）或任务的数字编号',
)
@click.option("--agency", metavar="KEY", help="部门代码（如 minzheng）：催办该部门所有逾期和即将到期的事项")
@click.option("--jurisdiction", metavar="CODE", help="与 --agency 并用：只催办该辖区的部门（如 530000）")
@click.option("--as-of", "as_of", type=DAY, help="按该日期（YYYY-MM-DD）计算待报事项；默认今天")
@click.option(
    "--now",
    "now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    hidden=True,
    help="运行时刻（带时区）：供测试",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def remind_cmd(
    state: CliState,
    task_ref: str | None,
    agency: str | None,
    jurisdiction: str | None,
    as_of: dt.datetime | None,
    now: dt.datetime | None,
    as_json: bool,
) -> None:
    """催办：立即提醒一项任务的各责任部门，或一个部门，报送逾期和即将到期的事项（同一天同一范围只发一次）。"""
    from duban.errors import NotificationError, ValidationError
    from duban.notify import load_notify_config
    from duban.notify import send as default_send
    from duban.notify.mentions import load_mentions, with_mentions
    from duban.services.clock import local_date
    from duban.services.notifications import deliver_message
    from duban.services.reminders import remind
    from duban.storage.db import session_factory

    if jurisdiction and not agency:
        raise ValidationError("--jurisdiction 需与 --agency 一起使用")
    config = load_notify_config(state.settings)
    moment = now.astimezone(dt.UTC) if now else dt.datetime.now(dt.UTC)
    day = as_of.date() if as_of else local_date(moment, config.timezone)
    with state.session() as session:
        result = remind(
            session,
            actor=state.actor(session),
            config=config,
            day=day,
            now=moment,
            task_ref=task_ref,
            agency=agency,
            jurisdiction=jurisdiction,
        )
    sender = with_mentions(default_send, load_mentions(state.settings))
    outcomes = []
    for r in result.queued:
        assert r.message_id is not None
        outcome = deliver_message(
            session_factory(state.engine), r.message_id, config=config, now=moment, sender=sender
        )
        if outcome is not None:
            outcomes.append(outcome)
    if as_json:
        echo_json({"remind": result, "sent": outcomes})
    else:
        click.echo(f"催办 {result.scope}（{result.day.isoformat()}）：")
        for r in result.reminders:
            what = "已生成" if r.message_id is not None else "今天已催办过，未重复发送"
            click.echo(f"  {cell(r.department, 24)} {r.items} 项：{what}")
        for receiver in result.unrouted:
            click.echo(f"  警告：{receiver} 没有配置通知渠道，未生成催办", err=True)
        for o in outcomes:
            ok = sum(1 for a in o.attempts if a.ok)
            click.echo(f"  发送 #{o.id} → {o.receiver}：{o.state.label}（{ok}/{len(o.attempts)} 成功）")
            for a in o.attempts:
                if not a.ok:
                    click.echo(f"    {a.url}：{'永久失败' if a.permanent else '可重试'}：{a.detail}")
        held = [r for r in result.queued if r.message_id not in {o.id for o in outcomes}]
        if held:
            click.echo(f"  另有 {len(held)} 条等待发送（免打扰时段或非工作日，下一个工作日早上发送）")
    if not result.reminders and result.unrouted:
        raise NotificationError("没有配置通知渠道的部门无法催办（见配置 [[notify.routes]]）", permanent=True)
    if any(o.state == "failed" for o in outcomes):
        raise NotificationError("催办消息未能送达（见 duban notify log --failed）", permanent=True)
