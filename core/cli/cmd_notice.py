"""duban notice: the 督办单 (list / show / export / sign); duban notify report: 督办周报 and 督办通报."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import moment
from duban.cli.types import DAY


@click.group("notice")
def notice_group() -> None:
    """督办单：list / show / export / sign（签收）。"""


def _status(signed: bool, resolved: dt.date | None) -> str:
    return ("已办结" if resolved else "在办") + ("·已签收" if signed else "·未签收")


@notice_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="只列出在办（尚未办结）的督办单")
@click.option("--unsigned", is_flag=True, help="只列出未签收的督办单")
@click.option("--agency", metavar="KEY", help="只列出该部门的督办单（部门代码，如 minzheng）")
@paging_options(50)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def notice_list_cmd(
    state: CliState,
    open_only: bool,
    unsigned: bool,
    agency: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出督办单（最新的在前）；部门用户只看到本部门的。"""
    from duban.services.supervision_notices import list_notices_page

    with state.session() as session:
        page = list_notices_page(
            session,
            actor=state.actor(session),
            open_only=open_only,
            agency=agency,
            unsigned=unsigned,
            limit=limit,
            offset=offset,
        )
    if as_json:
        echo_json(page.to_json())
        return
    if not page.total:
        click.echo("没有督办单")
        return
    for r in page.items:
        click.echo(
            f"{cell(r.label, 16)} [{r.color.label}] {cell(_status(r.signed, r.resolved_on), 12)} "
            f"{cell(r.department, 20)} 时限 {r.due_by.isoformat()}  {r.matter[:40]}"
        )
    echo_range(page, "件")


@notice_group.command("show")
@click.argument("ref", metavar="编号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def notice_show_cmd(state: CliState, ref: str, as_json: bool) -> None:
    """显示一份督办单（编号写 3、2026-3 或 督〔2026〕第3号）。"""
    from duban.services.supervision_notices import show_notice

    with state.session() as session:
        r = show_notice(session, actor=state.actor(session), ref=ref)
    if as_json:
        echo_json(r)
        return
    signed = f"{r.signed_by}（{moment(r.signed_at)}）" if r.signed_at else "未签收"
    for label, value in (
        ("编号", f"{r.label}（{r.color.label}色，第 {r.rung} 次督办）"),
        ("督办事项", r.matter),
        ("承办单位", r.department),
        ("办理时限", f"{r.due_by.isoformat()} 前"),
        ("反馈要求", r.requirement),
        ("下发日期", r.issued_on.isoformat()),
        ("签收", signed),
        ("状态", f"已于 {r.resolved_on.isoformat()} 办结" if r.resolved_on else "在办"),
    ):
        click.echo(f"{label}：{value}")


@notice_group.command("export")
@click.argument("refs", metavar="[编号]...", nargs=-1)
@click.option("--open", "open_only", is_flag=True, help="不写编号时：导出所有在办的督办单")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（.docx 或 .md）",
)
@pass_state
def notice_export_cmd(state: CliState, refs: tuple[str, ...], open_only: bool, out: Path) -> None:
    """导出督办单供打印：.docx（每份一页）或 .md；不写编号则导出全部（--open：在办的）。"""
    from duban.services.supervision_notices import export_notices, list_notices_page, show_notice

    with state.session() as session:
        actor = state.actor(session)
        if refs:
            rows = [show_notice(session, actor=actor, ref=ref) for ref in refs]
        else:
            rows = list(list_notices_page(session, actor=actor, open_only=open_only, limit=10_000).items)
    export_notices(rows, out)
    click.echo(f"已导出 {len(rows)} 份督办单：{out}")


@notice_group.command("sign")
@click.argument("ref", metavar="编号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def notice_sign_cmd(state: CliState, ref: str, as_json: bool) -> None:
    """签收督办单（承办部门的用户办理；只能签收本部门的）。"""
    from duban.services.supervision_notices import sign_notice

    with state.session() as session:
        result = sign_notice(session, actor=state.actor(session), ref=ref)
    if as_json:
        echo_json(result)
        return
    r = result.notice
    if result.already:
        click.echo(f"{r.label} 已于 {moment(r.signed_at)} 由 {r.signed_by} 签收，无需再次签收")
    else:
        click.echo(f"已签收 {r.label}（{r.department}），办理时限 {r.due_by.isoformat()}")


# --------------------------------------------------------------------------- duban notify report


@click.command("report")
@click.option(
    "--kind",
    type=click.Choice(["weekly", "monthly"]),
    required=True,
    help="weekly：督办周报；monthly：督办通报",
)
@click.option(
    "--as-of", "as_of", type=DAY, help="在该日期（YYYY-MM-DD）生成：周报为上一周，通报为上一个月；默认今天"
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="写入文件：.md、.xlsx 或 .docx（可打印）",
)
@click.option("--send", is_flag=True, help="同时作为消息发给协调人和 leader 标签的渠道（每期一次）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def notify_report_cmd(
    state: CliState, kind: str, as_of: dt.datetime | None, out: Path | None, send: bool, as_json: bool
) -> None:
    """督办周报（各部门逾期、督办单、排名）或月度督办通报：文档和/或消息。"""
    from duban.domain.vocabulary import ReportKind
    from duban.errors import NotificationError, ValidationError
    from duban.notify import load_notify_config
    from duban.services.clock import local_today
    from duban.services.supervision_reports import (
        build_report,
        queue_report,
        report_markdown,
        write_report,
    )
    from duban.storage.db import read_only_session, session_factory, unit_of_work
    from duban.storage.migrate import require_current

    config = load_notify_config(state.settings)
    day = as_of.date() if as_of else local_today(config.timezone)
    require_current(state.engine)
    factory = session_factory(state.engine)
    queued: list[int] = []
    if send:
        with unit_of_work(factory) as session:
            from duban.services.identity import require_coordinator

            actor = state.actor(session)
            require_coordinator(actor, "发送督办通报")
            report = build_report(session, config=config, kind=ReportKind(kind), as_of=day)
            queued = queue_report(
                session, config=config, report=report, now=dt.datetime.now(dt.UTC), actor=actor.name
            )
    else:  # a read: whatever it computes on the way (calendar years) is rolled back
        with read_only_session(state.engine) as session:
            report = build_report(session, config=config, kind=ReportKind(kind), as_of=day)
    if out is not None:
        write_report(report, out)
    if as_json:
        echo_json(report)
    elif out is None and not send:
        click.echo(report_markdown(report), nl=False)
    if out is not None and not as_json:
        click.echo(f"已写入 {report.title}：{out}")
    if send:
        if not queued:
            raise ValidationError("没有可发送的渠道，或本期已发送过（协调人、leader 标签的渠道）")
        from duban.notify import send as sender  # a report @-mentions nobody (duban.notify.mentions)
        from duban.services.notifications import deliver_message

        bad = 0
        for message_id in queued:
            outcome = deliver_message(
                factory, message_id, config=config, now=dt.datetime.now(dt.UTC), sender=sender
            )
            if outcome is not None:
                ok = all(a.ok for a in outcome.attempts)
                bad += not ok
                click.echo(f"发送 #{outcome.id} → {outcome.receiver}：{outcome.state.label}")
        if bad:
            raise NotificationError(f"{bad} 条通报未送达（见 duban notify log --failed）", permanent=True)
