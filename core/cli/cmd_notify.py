"""duban notify: plan and send reminders (cron / systemd timer), the delivery log, resend, silences, a test."""

from __future__ import annotations

import datetime as dt

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import moment
from duban.cli.types import DAY, ID, LINE
from duban.domain.vocabulary import AlertLevel, OutboxState, SilenceScope

_NOW = click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])


def _factory(state: CliState):  # noqa: ANN202 - sessionmaker[Session]
    from duban.storage.db import session_factory
    from duban.storage.migrate import require_current

    require_current(state.engine)
    return session_factory(state.engine)


def _config(state: CliState):  # noqa: ANN202 - NotifyConfig
    from duban.notify import load_notify_config

    return load_notify_config(state.settings)


def _tz(state: CliState) -> str:
    return str(state.settings.get("general.timezone", "Asia/Shanghai"))


def _echo_outcomes(sent: tuple, tz: str) -> None:  # noqa: ANN001 - tuple[DeliveryOutcome, ...]
    for s in sent:
        ok = sum(1 for a in s.attempts if a.ok)
        click.echo(f"  发送 #{s.id} → {s.receiver}：{s.state.label}（{ok}/{len(s.attempts)} 成功）")
        if s.possible_duplicates:
            click.echo(
                f"    可能重复发送：上次运行在发送时中断，{s.possible_duplicates} 部分无法确认是否已送达，"
                "已再次发送（见 duban notify log）"
            )
        for a in s.attempts:
            if not a.ok:
                kind = (
                    "永久失败"
                    if a.permanent
                    else ("已静默" if (a.detail or "").startswith("已静默") else "可重试")
                )
                click.echo(f"    {a.url}：{kind}：{a.detail}")


@click.group("notify", invoke_without_command=True)
@click.option("--dry-run", is_flag=True, help="只显示将要发送的消息，不写入、不发送（不占用数据库的写锁）")
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    help="演练：按该日期（YYYY-MM-DD）计算提醒；不加 --send 时只显示、不写入、不发送，也不影响补发",
)
@click.option("--send", is_flag=True, help="与 --as-of 合用：真的写入并发送这次演练的消息（不计为正式运行）")
@click.option("--ignore-quiet-hours", is_flag=True, help="不顾免打扰时段和非工作日，立即发出本次生成的消息")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option(
    "--now", "now", type=_NOW, hidden=True, help="运行时刻（带时区，如 2026-02-02T10:00+08:00）：供测试"
)
@click.pass_context
def notify_group(
    ctx: click.Context,
    dry_run: bool,
    as_of: dt.datetime | None,
    send: bool,
    ignore_quiet_hours: bool,
    as_json: bool,
    now: dt.datetime | None,
) -> None:
    """按规则生成并发送督办提醒（供 cron 或 systemd 定时器调用）；子命令 log / retry / silence / test。"""
    if ctx.invoked_subcommand is not None:
        return
    from duban.errors import NotificationError, ValidationError
    from duban.services.notifications import run_notifications

    if send and as_of is None:
        raise ValidationError("--send 只与 --as-of（演练）合用：正式运行本来就发送")
    state = ctx.find_object(CliState) or CliState()
    # issue 19 items 1 and 8 (duban.services.escalation, duban.notify.mentions): the ladder's cadence, @提醒
    from duban.notify import send as default_send
    from duban.notify.mentions import load_mentions, with_mentions
    from duban.services.escalation import load_ladder_config

    config = _config(state)
    at = now.astimezone(dt.UTC) if now else dt.datetime.now(dt.UTC)
    from zoneinfo import ZoneInfo

    today = at.astimezone(ZoneInfo(config.timezone)).date()
    drill = as_of is not None and as_of.date() != today
    report = run_notifications(
        _factory(state),
        config=config,
        as_of=as_of.date() if as_of else None,
        now=at,
        dry_run=dry_run,
        drill=drill,
        send=send,
        ignore_quiet_hours=ignore_quiet_hours,
        host=None if (dry_run or (drill and not send)) else state.host,
        ladder=load_ladder_config(state.settings),
        sender=with_mentions(default_send, load_mentions(state.settings)),
    )
    if report.checks is not None:
        from duban.cli.checking import echo_check_faults

        echo_check_faults(report.checks)
    elif report.dry_run:
        # said, not skipped silently: the checks store findings, and a dry run writes nothing
        click.echo("注意：试运行不运行各部门插件的责任检查（检查会写入发现）；正式运行时照常运行", err=True)
    failed = [s for s in report.sent if s.state == OutboxState.FAILED]
    tz = config.timezone
    if as_json:
        echo_json(report)
    else:
        verb = "将生成" if report.dry_run else "已生成"
        if report.drill:
            click.echo(
                f"演练 {report.as_of}："
                + (
                    "写入并发送（不计为正式运行，不影响补发）"
                    if send
                    else "只显示，不写入、不发送（加 --send 才发送）"
                )
            )
        if not report.working_day:
            click.echo(f"{report.as_of} 不是工作日：不生成提醒（下一个工作日补发）")
        click.echo(f"{report.as_of}：{verb} {len(report.planned)} 条消息")
        for p in report.planned:
            click.echo(
                f"  [{AlertLevel(p.level).mark}] {cell(p.receiver, 28)} {p.subject}（{moment(p.send_at, tz)} 起发送）"
            )
            if report.dry_run:
                click.echo("    " + p.body.replace("\n", "\n    "))
        for k in report.skipped:
            why = {"silenced": "已静默", "interval": "未到最短间隔", "unchanged": "与上次相同"}.get(
                k.reason, k.reason
            )
            click.echo(f"  未生成：{k.name}（{k.receiver}）：{why}：{k.detail}")
        _echo_outcomes(report.sent, tz)
        if report.paced_seconds:
            click.echo(f"  按各渠道限速等待了 {report.paced_seconds:.1f} 秒")
        if report.held:
            click.echo(f"  另有 {report.held} 条消息等待发送（免打扰时段、非工作日或重试等待中）")
    for receiver, name in zip(report.unrouted, report.unrouted_names, strict=False):
        click.echo(f"  警告：{name}（{receiver}）没有配置通知渠道，未生成消息", err=True)
    if failed:
        raise NotificationError(
            f"{len(failed)} 条消息无法送达（见 duban notify log --failed，修复后 duban notify retry --failed）",
            permanent=True,
        )
    if report.unrouted:
        raise NotificationError(
            f"{len(report.unrouted)} 个接收方没有通知渠道：请在 [[notify.routes]] 中为其配置渠道，"
            "或配置标签为 default 的兜底渠道",
            permanent=True,
        )


@notify_group.command("log")
@click.option("--failed", is_flag=True, help="只显示发送失败或正在重试的消息")
@paging_options(50)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def notify_log_cmd(state: CliState, failed: bool, limit: int, offset: int, as_json: bool) -> None:
    """通知记录（最新的在前，时间为本地时间）：每条消息及其向各渠道的每次发送结果（地址中的密钥已隐藏）；
    生效中的静默列在最前；--limit / --offset 翻页。"""
    from duban.notify import CLAIMED, UNCONFIRMED
    from duban.services.notifications import notification_log_page
    from duban.services.silences import describe, list_silences

    tz = _tz(state)
    with state.session() as session:
        page = notification_log_page(session, failed=failed, limit=limit, offset=offset)
        silences = list_silences(session)
    if as_json:
        echo_json(page.to_json())
        return
    for s in silences:
        click.echo(f"静默中：{s.scope.label} {s.target_name}：{describe(s, tz)}")
    if not page.total:
        click.echo("没有发送失败的消息" if failed else "还没有通知记录")
        return
    for r in page.items:
        when = moment(r.sent_at or r.next_attempt_at or r.created_at, tz)
        name = (
            f"{r.receiver_name}（{r.receiver}）"
            if r.receiver_name and r.receiver_name != r.receiver
            else r.receiver
        )
        click.echo(
            f"#{cell(r.id, 5)} [{AlertLevel(r.level).mark}] {cell(r.state.label, 8)} "
            f"{name} {when} {r.subject}{'（可能重复发送）' if r.possible_duplicate else ''}"
        )
        for d in r.deliveries:
            mark = "成功" if d.ok else ("永久失败" if d.permanent else "可重试")
            if d.silenced:
                mark = "已静默"
            if not d.ok and d.detail in (CLAIMED, UNCONFIRMED):  # a part being sent, or cut off while sent
                mark = "发送中" if d.detail == CLAIMED else "结果未知"
            click.echo(f"      {moment(d.at, tz)} {mark} {d.url} {d.detail or ''}")
    click.echo(f"（时间为 {tz} 本地时间）")
    echo_range(page, "条")


@notify_group.command("retry")
@click.argument("message_id", type=ID, required=False)
@click.option("--failed", is_flag=True, help="重发所有发送失败的消息")
@click.option("--json", "as_json", is_flag=True)
@click.option("--now", "now", type=_NOW, hidden=True)
@pass_state
def notify_retry_cmd(
    state: CliState, message_id: int | None, failed: bool, as_json: bool, now: dt.datetime | None
) -> None:
    """重新发送失败的消息（修复渠道配置之后）：已送达的分段不重发。"""
    from duban.errors import NotificationError
    from duban.services.notifications import retry_messages

    factory = _factory(state)
    with state.session() as session:
        actor = state.actor(session)
    report = retry_messages(
        factory,
        config=_config(state),
        actor=actor,
        message_id=message_id,
        failed=failed,
        now=now.astimezone(dt.UTC) if now else None,
    )
    if as_json:
        echo_json(report)
    else:
        if not report.requested:
            click.echo("没有发送失败的消息")
        else:
            click.echo(
                f"重新发送 {len(report.requested)} 条消息：" + "、".join(f"#{i}" for i in report.requested)
            )
        _echo_outcomes(report.sent, _tz(state))
    bad = [s for s in report.sent if s.state == OutboxState.FAILED]
    if bad:
        raise NotificationError(
            f"{len(bad)} 条消息仍无法送达（见 duban notify log --failed）", permanent=True
        )


@notify_group.group("silence")
def silence_group() -> None:
    """静默：在一段时间内不给某部门、某任务或某渠道发提醒（add / list / remove）。"""


def _until(value: str, tz: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    from duban.errors import ValidationError

    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), ZoneInfo(tz))
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"--until 的值 {value!r} 不是日期或时间：应为 YYYY-MM-DD（含当天）或 YYYY-MM-DDTHH:MM"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))


@silence_group.command("add")
@click.option(
    "--department", metavar="部门代码[@行政区划]", help="如 minzheng@530000；只写部门代码则各辖区都静默"
)
@click.option("--task", "task_id", type=ID, help="任务编号（见 duban tasks）")
@click.option("--route", metavar="NAME", help="渠道的 name（见配置 [[notify.routes]]）")
@click.option(
    "--until", "until", required=True, help="截止：YYYY-MM-DD（含当天）或 YYYY-MM-DDTHH:MM（本地时间）"
)
@click.option("--reason", required=True, type=LINE, help="理由")
@click.option("--json", "as_json", is_flag=True)
@click.option("--now", "now", type=_NOW, hidden=True)
@pass_state
def silence_add_cmd(
    state: CliState,
    department: str | None,
    task_id: int | None,
    route: str | None,
    until: str,
    reason: str,
    as_json: bool,
    now: dt.datetime | None,
) -> None:
    """静默一个部门、一项任务或一个渠道，直到 --until。"""
    from duban.errors import ValidationError
    from duban.services.silences import add_silence, describe

    chosen = [
        (SilenceScope.DEPARTMENT, department),
        (SilenceScope.TASK, task_id),
        (SilenceScope.ROUTE, route),
    ]
    given = [(scope, value) for scope, value in chosen if value is not None]
    if len(given) != 1:
        raise ValidationError("请指定 --department、--task 或 --route 之一")
    scope, target = given[0]
    if scope == SilenceScope.ROUTE:
        names = {r.name for r in _config(state).routes if r.name}
        if target not in names:
            raise ValidationError(
                f"没有名为 {target} 的通知渠道：应为 [[notify.routes]] 的 name 之一（{'、'.join(sorted(names)) or '无'}）"
            )
    tz = _tz(state)
    with state.session() as session:
        entry = add_silence(
            session,
            actor=state.actor(session),
            scope=scope,
            target=str(target),
            until=_until(until, tz),
            reason=reason,
            now=now.astimezone(dt.UTC) if now else None,
        )
    if as_json:
        echo_json(entry)
    else:
        click.echo(f"已静默 {entry.scope.label} {entry.target_name}：{describe(entry, tz)}")


@silence_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="也列出已过期或已解除的静默")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def silence_list_cmd(state: CliState, show_all: bool, as_json: bool) -> None:
    """列出生效中的静默（--all：全部）。"""
    from duban.services.silences import list_silences

    tz = _tz(state)
    with state.session() as session:
        rows = list_silences(session, include_ended=show_all)
    if as_json:
        echo_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo("没有生效中的静默" if not show_all else "没有静默记录")
        return
    for r in rows:
        status = "生效中" if r.active else ("已解除" if r.removed_at else "已过期")
        click.echo(
            f"#{cell(r.id, 4)} {cell(status, 6)} {cell(r.scope.label, 4)} {cell(r.target_name, 24)} "
            f"{moment(r.starts_at, tz)} 至 {moment(r.ends_at, tz)} {r.author}：{r.reason}"
        )


@silence_group.command("remove")
@click.argument("silence_id", type=ID)
@pass_state
def silence_remove_cmd(state: CliState, silence_id: int) -> None:
    """提前解除一个静默（保留记录）。"""
    from duban.services.silences import remove_silence

    with state.session() as session:
        entry = remove_silence(session, actor=state.actor(session), silence_id=silence_id)
    click.echo(f"已解除静默 #{entry.id}（{entry.scope.label} {entry.target_name}）")


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
