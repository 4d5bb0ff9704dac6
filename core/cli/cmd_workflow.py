"""The weekly work: duban ack, report, review, extend, status, overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day, light_mark, moment, rate
from duban.cli.types import DAY, ID, LINE, TEXT
from duban.domain import limits


def _today(state: CliState, as_of: dt.datetime | None) -> dt.date:
    from duban.services.clock import local_today

    return as_of.date() if as_of else local_today(state.settings.timezone)


as_of_option = click.option("--as-of", "as_of", type=DAY, help="显示该日期（YYYY-MM-DD）时的状态；默认今天")


def _attachment_root(state: CliState) -> Path:
    from duban.config import data_dir

    return data_dir() / "attachments"


@click.command("ack")
@click.argument("responsibility_id", type=ID)
@pass_state
def ack_cmd(state: CliState, responsibility_id: int) -> None:
    """签收一项责任（部门确认已收到交办）。"""
    from duban.services.lifecycle import acknowledge

    with state.session() as session:
        resp = acknowledge(session, actor=state.actor(session), responsibility_id=responsibility_id)
    click.echo(f"已签收责任 #{resp.id}")


@click.group("report")
def report_group() -> None:
    """进度报送：submit / list / template / import。"""


def _parse_indicators(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} 应写成 key=value", param_hint="--indicator")
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@report_group.command("submit")
@click.argument("responsibility_id", type=ID)
@click.option("--milestone", "milestone_id", type=ID, help="所报节点的编号（默认：最早未报的节点）")
@click.option("--text", default="", type=TEXT, help=f"进展情况（最多 {limits.TEXT_MAX} 字）")
@click.option("--indicator", "indicators", multiple=True, metavar="KEY=VALUE", help="指标值，可重复")
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="附件，可重复",
)
@click.option("--final", is_flag=True, help="同时申请办结")
@click.option("--template", "template", metavar="KEY", help="任务为本部门绑定了多个模板时，按哪个模板报送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def report_submit_cmd(
    state: CliState,
    responsibility_id: int,
    milestone_id: int | None,
    text: str,
    indicators: tuple[str, ...],
    attachments: tuple[Path, ...],
    final: bool,
    template: str | None,
    as_json: bool,
) -> None:
    """报送进度：文字、指标和附件，经部门插件检查后保存。更正即再报一次（保留旧版本）。"""
    from duban.services.clock import local_today
    from duban.services.reports import submit_report
    from duban.services.responsibilities import next_open_milestone
    from duban.storage.models import Responsibility

    today = local_today(state.settings.timezone)
    with state.session() as session:
        if milestone_id is None:
            resp = session.get(Responsibility, responsibility_id)
            nxt = next_open_milestone(session, resp, today) if resp else None
            milestone_id = nxt.id if nxt else None
        result = submit_report(
            session,
            actor=state.actor(session),
            host=state.host,
            responsibility_id=responsibility_id,
            milestone_id=milestone_id,
            text=text,
            indicators=_parse_indicators(indicators),
            attachments=list(attachments),
            attachment_root=_attachment_root(state),
            final=final,
            today=today,
            template=template,
        )
        receipt = result.receipt
    if as_json:
        echo_json(receipt)
        return
    click.echo(f"已报送：报送 #{receipt.report}（第 {receipt.version} 版，节点 #{receipt.milestone or '-'}）")
    if receipt.free_text:
        click.echo(f"  {receipt.free_text}")
    elif receipt.template:
        click.echo(f"  按模板 {receipt.template} 检查")
    for f in receipt.findings:
        click.echo(f"  {f.severity.label}（{f.plugin}）：{f.message}")
    for fault in state.host.faults:
        if fault.stage == "duban_check_report":
            click.echo(
                f"  注意：插件 {fault.plugin} 的检查出错（{fault.error}），已跳过；其余检查照常", err=True
            )


@report_group.command("list")
@click.option("--responsibility", "responsibility_id", type=ID)
@click.option("--agency", metavar="KEY")
@click.option("--all-versions", is_flag=True, help="包括已被更正的旧版本")
@as_of_option
@paging_options(200)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def report_list_cmd(
    state: CliState,
    responsibility_id: int | None,
    agency: str | None,
    all_versions: bool,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出报送，最新的在前（--as-of：只列该日及以前报送的；--limit / --offset 翻页）。"""
    from duban.services.names import name_book
    from duban.services.reports import list_reports_page

    with state.session() as session:
        page = list_reports_page(
            session,
            responsibility_id=responsibility_id,
            agency=agency,
            include_old=all_versions,
            as_of=as_of.date() if as_of else None,
            limit=limit,
            offset=offset,
        )
        names = name_book(session)
    if as_json:
        echo_json(page)
        return
    for r in page.items:
        click.echo(
            f"#{cell(r.id, 5)} 责任#{cell(r.responsibility, 5)} {cell(names.agency(r.agency), 16)} "
            f"v{r.version} {moment(r.submitted_at, state.settings.timezone)[:10]} {cell(r.review.label, 8)} "
            f"{r.text[:40]}"
        )
    echo_range(page, "份")


@click.group("review")
def review_group() -> None:
    """复核报送：accept 通过 / return 退回。"""


@review_group.command("accept")
@click.argument("report_id", type=ID)
@pass_state
def review_accept_cmd(state: CliState, report_id: int) -> None:
    """通过一份报送（若申请办结，则办结）。"""
    from duban.services.lifecycle import review_report

    with state.session() as session:
        report = review_report(session, actor=state.actor(session), report_id=report_id, accept=True)
    click.echo(f"报送 #{report.id} 已通过")


@review_group.command("return")
@click.argument("report_id", type=ID)
@click.option("--reason", required=True, type=LINE, help="退回理由")
@pass_state
def review_return_cmd(state: CliState, report_id: int, reason: str) -> None:
    """退回一份报送（退办），必须说明理由。"""
    from duban.services.lifecycle import review_report

    with state.session() as session:
        report = review_report(
            session, actor=state.actor(session), report_id=report_id, accept=False, reason=reason
        )
    click.echo(f"报送 #{report.id} 已退回：{reason}")


@click.group("extend")
def extend_group() -> None:
    """延期申请：request / approve / refuse。"""


@extend_group.command("request")
@click.argument("milestone_id", type=ID)
@click.option("--to", "new_date", required=True, type=DAY, help="申请延至的日期")
@click.option("--reason", required=True, type=LINE, help="延期理由")
@click.option("--progress", required=True, type=LINE, help="目前进展")
@pass_state
def extend_request_cmd(
    state: CliState, milestone_id: int, new_date: dt.datetime, reason: str, progress: str
) -> None:
    """申请延期（只能在到期日之前）。"""
    from duban.services.extensions import request_extension

    with state.session() as session:
        ext = request_extension(
            session,
            actor=state.actor(session),
            milestone_id=milestone_id,
            new_date=new_date.date(),
            reason=reason,
            progress=progress,
            today=_today(state, None),
        )
    click.echo(f"已提交延期申请 #{ext.id}（节点 #{milestone_id} 延至 {ext.new_date}）")


@extend_group.command("approve")
@click.argument("extension_id", type=ID)
@click.option("--reason", default=None, type=LINE)
@pass_state
def extend_approve_cmd(state: CliState, extension_id: int, reason: str | None) -> None:
    """批准延期：节点的到期日改为申请的日期。"""
    from duban.services.extensions import decide_extension

    with state.session() as session:
        ext = decide_extension(
            session,
            actor=state.actor(session),
            extension_id=extension_id,
            approve=True,
            reason=reason,
            today=_today(state, None),
        )
    click.echo(f"已批准延期申请 #{ext.id}：新的到期日 {ext.new_date}")


@extend_group.command("refuse")
@click.argument("extension_id", type=ID)
@click.option("--reason", required=True, type=LINE)
@pass_state
def extend_refuse_cmd(state: CliState, extension_id: int, reason: str) -> None:
    """不批准延期。"""
    from duban.services.extensions import decide_extension

    with state.session() as session:
        ext = decide_extension(
            session,
            actor=state.actor(session),
            extension_id=extension_id,
            approve=False,
            reason=reason,
            today=_today(state, None),
        )
    click.echo(f"未批准延期申请 #{ext.id}：{reason}")


@click.command("status")
@click.option("--agency", metavar="KEY")
@click.option("--jurisdiction", metavar="CODE")
@click.option("--policy", metavar="DOCNO|ID")
@as_of_option
@paging_options(50)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def status_cmd(
    state: CliState,
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """红黄绿状态：任务和责任按灯色计数、各部门情况、最需要关注的责任（最差的在前，--limit / --offset 翻页）。

    先按该日期对所显示的范围运行各插件的责任检查（见 duban findings）。
    """
    from duban.cli.checking import echo_check_faults, run_checks
    from duban.services.names import name_book
    from duban.services.paging import check_window, page_of
    from duban.services.status import responsibility_rows, scope_for, summary

    check_window(limit, offset)
    today = _today(state, as_of)
    with state.session() as session:
        scope = scope_for(
            session, actor=state.actor(session), agency=agency, jurisdiction=jurisdiction, policy=policy
        )
        checks = run_checks(state, session, today, scope)
        result = summary(session, as_of=today, warning_days=state.settings.warning_days, scope=scope)
        rows = responsibility_rows(
            session,
            as_of=today,
            warning_days=state.settings.warning_days,
            scope=scope,
            limit=limit,
            offset=offset,
        )
        names = name_book(session, jurisdiction=scope.jurisdiction)
    # every responsibility in scope has exactly one light, so the summary's counts are the listing's total
    r_counts = result.responsibilities
    total = r_counts.red + r_counts.yellow + r_counts.green + r_counts.done
    page = page_of(rows, total=total, limit=limit, offset=offset)
    if as_json:
        echo_json({**result.to_json(), **page.to_json(), "checks": checks.to_json()})
        echo_check_faults(checks)
        return
    t = result.tasks
    click.echo(f"截至 {day(today)}：任务 红 {t.red} / 黄 {t.yellow} / 绿 {t.green} / 已办结 {t.done}")
    click.echo(
        f"{cell('部门', 14)} {cell('灯', 6)} {cell('红', 4)} {cell('黄', 4)} {cell('绿', 4)} "
        f"{cell('结', 4)} {cell('逾期', 6)} 按时率"
    )
    for d in result.departments:
        click.echo(
            f"{cell(names.agency(d.agency), 14)} {cell(light_mark(d.light), 6)} {cell(d.red, 4)} "
            f"{cell(d.yellow, 4)} {cell(d.green, 4)} {cell(d.done, 4)} {cell(d.overdue, 6)} {rate(d.on_time_rate)}"
        )
    click.echo("")
    for r in page.items:
        click.echo(
            f"{light_mark(r.light)} 责任#{cell(r.responsibility, 5)} {cell(r.policy, 16)} "
            f"{cell(r.number, 8)} {cell(names.agency(r.agency, r.jurisdiction), 16)} {cell(r.role.label, 4)} "
            f"{cell(day(r.next_due), 10)} {r.text[:24]}"
        )
    echo_range(page, "条", "责任")
    click.echo(f"插件检查：未消除的发现 {checks.open} 条（见 duban findings）")
    echo_check_faults(checks)


@click.command("overdue")
@click.option("--agency", metavar="KEY")
@click.option("--jurisdiction", metavar="CODE")
@click.option("--policy", metavar="DOCNO|ID")
@as_of_option
@paging_options(200)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def overdue_cmd(
    state: CliState,
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """逾期未报（或被退回）的节点，最早到期的在前；列出总数和本页范围（--limit / --offset 翻页）。

    先按该日期对所列范围运行各插件的责任检查（见 duban findings）。
    """
    from duban.cli.checking import echo_check_faults, run_checks
    from duban.services.names import name_book
    from duban.services.status import overdue_page, scope_for

    today = _today(state, as_of)
    with state.session() as session:
        scope = scope_for(
            session, actor=state.actor(session), agency=agency, jurisdiction=jurisdiction, policy=policy
        )
        checks = run_checks(state, session, today, scope)
        page = overdue_page(session, as_of=today, scope=scope, limit=limit, offset=offset)
        names = name_book(session, jurisdiction=scope.jurisdiction)
    echo_check_faults(checks)
    if as_json:
        echo_json({"as_of": today.isoformat(), **page.to_json()})
        return
    click.echo(f"截至 {day(today)}，逾期 {page.total} 项")
    for r in page.items:
        flag = "（被退回）" if r.returned else ""
        click.echo(
            f"节点#{cell(r.milestone, 6)} {cell(names.agency(r.agency, r.jurisdiction), 16)} {cell(r.policy, 16)} "
            f"{cell(r.number, 8)} 应于 {day(r.effective_due)} 报送，逾期 {r.days_overdue} 天{flag}"
        )
    echo_range(page)


@report_group.command("template")
@click.option("--agency", required=True, metavar="KEY", help="部门代码")
@click.option("--jurisdiction", metavar="CODE", help="辖区（默认：用户所在辖区；协调人默认全部）")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@as_of_option
@pass_state
def report_template_cmd(
    state: CliState, agency: str, jurisdiction: str | None, output: Path, as_of: dt.datetime | None
) -> None:
    """导出 Excel 报送模板：每个待报节点一行，部门指标为列，带数据校验。"""
    from duban.services.excel_reports import write_template

    with state.session() as session:
        n = write_template(
            session,
            actor=state.actor(session),
            host=state.host,
            agency=agency,
            path=output,
            as_of=_today(state, as_of),
            jurisdiction=jurisdiction,
        )
    click.echo(f"已写出 {output}（{n} 个待报节点）")


@report_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--again", is_flag=True, help="已提交过的行也再提交一次（作为新版本）；默认跳过并列出")
@pass_state
def report_import_cmd(state: CliState, file: Path, again: bool) -> None:
    """导入填好的 Excel 报送：所有行一次提交；任何一格有误则全部不提交，并指出工作表、行和列。
    重复导入同一文件（或与当前报送相同的行）不会重复提交：这些行被跳过并列出（--again 强制再提交）。"""
    from duban.services.excel_reports import import_workbook

    with state.session() as session:
        result = import_workbook(
            session,
            actor=state.actor(session),
            host=state.host,
            path=file,
            today=_today(state, None),
            attachment_root=_attachment_root(state),
            again=again,
        )
    for earlier in result.earlier:
        click.echo(
            f"此文件已于 {moment(earlier.at)} 由 {earlier.actor} 导入过（SHA-256 {result.sha256[:12]}…）"
        )
    for row in result.skipped:
        click.echo(f"  跳过第 {row.row} 行（节点 #{row.milestone}）：{row.reason}，即报送 #{row.report}")
    if result.filed:
        click.echo(f"已导入 {len(result.filed)} 份报送：{'、'.join(f'#{i}' for i in result.filed)}")
    else:
        click.echo("没有新的报送：所有填写的行都已提交过，未作任何改动（如需再次提交，请加 --again）")
