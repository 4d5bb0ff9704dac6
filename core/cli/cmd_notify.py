"""duban notify: plan and send reminders (cron / systemd timer), the delivery log, a test message."""

from __future__ import annotations

import datetime as dt

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import moment
from duban.cli.types import DAY
from duban.domain.vocabulary import AlertLevel, OutboxState


def _factory(state: CliState):  # noqa: ANN202 - sessionmaker[Session]
    from duban.storage.db import session_factory
    from duban.storage.migrate import require_current

    require_current(state.engine)
    return session_factory(state.engine)


def _config(state: CliState):  # noqa: ANN202 - NotifyConfig
    from duban.notify import load_notify_config

    return load_notify_config(state.settings)


@click.group("notify", invoke_without_command=True)
@click.option("--dry-run", is_flag=True, help="只显示将要发送的消息，不写入、不发送")
@click.option("--as-of", "as_of", type=DAY, help="按该日期（YYYY-MM-DD）计算提醒；默认今天")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option(
    "--now",
    "now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    hidden=True,
    help="运行时刻（带时区，如 2026-02-02T10:00+08:00）：供测试",
)
@click.pass_context
def notify_group(
    ctx: click.Context, dry_run: bool, as_of: dt.datetime | None, as_json: bool, now: dt.datetime | None
) -> None:
    """按规则生成并发送督办提醒（供 cron 或 systemd 定时器调用）；子命令 log / test。"""
    if ctx.invoked_subcommand is not None:
        return
    from duban.errors import NotificationError
    from duban.services.notifications import run_notifications

    state = ctx.find_object(CliState) or CliState()
    # issue 19 items 1 and 8 (duban.services.escalation, duban.notify.mentions): the ladder's cadence, @提醒
    from duban.notify import send as default_send
    from duban.notify.mentions import load_mentions, with_mentions
    from duban.services.escalation import load_ladder_config

    report = run_notifications(
        _factory(state),
        config=_config(state),
        as_of=as_of.date() if as_of else None,
        now=now.astimezone(dt.UTC) if now else None,
        dry_run=dry_run,
        host=state.host,
        ladder=load_ladder_config(state.settings),
        sender=with_mentions(default_send, load_mentions(state.settings)),
    )
    if report.checks is not None:
        from duban.cli.checking import echo_check_faults

        echo_check_faults(report.checks)
    failed = [s for s in report.sent if s.state == OutboxState.FAILED]
    if as_json:
        echo_json(report)
    else:
        verb = "将生成" if dry_run else "已生成"
        if not report.working_day:
            click.echo(f"{report.as_of} 不是工作日：不生成提醒（下一个工作日补发）")
        click.echo(f"{report.as_of}：{verb} {len(report.planned)} 条消息")
        for p in report.planned:
            click.echo(f"  [{AlertLevel(p.level).mark}] {cell(p.receiver, 28)} {p.subject}")
            if dry_run:
                click.echo("    " + p.body.replace("\n", "\n    "))
        for receiver in report.unrouted:
            click.echo(f"  警告：{receiver} 没有配置通知渠道，未生成消息", err=True)
        for s in report.sent:
            ok = sum(1 for a in s.attempts if a.ok)
            click.echo(f"  发送 #{s.id} → {s.receiver}：{s.state.label}（{ok}/{len(s.attempts)} 成功）")
            if s.possible_duplicates:
                click.echo(
                    f"    可能重复发送：上次运行在发送时中断，{s.possible_duplicates} 部分无法确认是否已送达，"
                    "已再次发送（见 duban notify log）"
                )
            for a in s.attempts:
                if not a.ok:
                    kind = "永久失败" if a.permanent else "可重试"
                    click.echo(f"    {a.url}：{kind}：{a.detail}")
        if report.held:
            click.echo(f"  另有 {report.held} 条消息等待发送（免打扰时段、非工作日或重试等待中）")
    if failed:
        raise NotificationError(
            f"{len(failed)} 条消息无法送达（见 duban notify log --failed）", permanent=True
        )


@notify_group.command("log")
@click.option("--failed", is_flag=True, help="只显示发送失败或正在重试的消息")
@paging_options(50)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def notify_log_cmd(state: CliState, failed: bool, limit: int, offset: int, as_json: bool) -> None:
    """通知记录（最新的在前）：每条消息及其向各渠道的每次发送结果（地址中的密钥已隐藏）；--limit / --offset 翻页。"""
    from duban.notify import CLAIMED, UNCONFIRMED
    from duban.services.notifications import notification_log_page

    with state.session() as session:
        page = notification_log_page(session, failed=failed, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    if not page.total:
        click.echo("没有发送失败的消息" if failed else "还没有通知记录")
        return
    for r in page.items:
        when = moment(r.sent_at or r.next_attempt_at or r.created_at)
        click.echo(
            f"#{cell(r.id, 5)} [{AlertLevel(r.level).mark}] {cell(r.state.label, 8)} "
            f"{cell(r.receiver, 28)} {when} {r.subject}{'（可能重复发送）' if r.possible_duplicate else ''}"
        )
        for d in r.deliveries:
            mark = "成功" if d.ok else ("永久失败" if d.permanent else "可重试")
            if not d.ok and d.detail in (CLAIMED, UNCONFIRMED):  # a part being sent, or cut off while sent
                mark = "发送中" if d.detail == CLAIMED else "结果未知"
            click.echo(f"      {moment(d.at)} {mark} {d.url} {d.detail or ''}")
    echo_range(page, "条")


@notify_group.command("test")
@click.option(
    "--to", "tag", required=True, metavar="TAG", help="渠道标签，如 coordinator、minzheng、jur-530000"
)
@pass_state
def notify_test_cmd(state: CliState, tag: str) -> None:
    """向带有该标签的所有渠道发送一条测试消息（不受免打扰时段限制）。"""
    from duban.errors import NotificationError
    from duban.services.notifications import send_test

    outcome = send_test(_factory(state), config=_config(state), tag=tag)
    bad = 0
    for a in outcome.attempts:
        if a.ok:
            click.echo(f"成功：{a.url}")
        else:
            bad += 1
            kind = "永久失败" if a.permanent else "可重试"
            click.echo(f"失败（{kind}）：{a.url}：{a.detail}", err=True)

    if bad:
        raise NotificationError(f"测试消息有 {bad} 个渠道未送达", permanent=True)


# issue 19 item 1 (duban.cli.cmd_notice): the weekly leader digest and the monthly 督办通报
def _register_report() -> None:
    from duban.cli.cmd_notice import notify_report_cmd

    notify_group.add_command(notify_report_cmd)


_register_report()
