"""duban import, duban policies, duban tasks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.domain.vocabulary import PolicyStatus, Role, values


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只解析和比较，不写入数据库")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出解析结果")
@click.option("--strict", is_flag=True, help="有无法识别的部门名称时拒绝导入")
@click.option("--jurisdiction", metavar="CODE", help="发文辖区的 GB/T 2260 代码（覆盖从发文单位推断的结果）")
@click.option("--implements", metavar="DOCNO", help="所落实的上级文件文号（覆盖从正文找到的结果）")
@click.option("--replace", is_flag=True, help="替换已导入的同一文件的旧版本（旧版本保留在历史中）")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="督办起始日 YYYY-MM-DD：此前的节点不生成（默认导入当天；替换时沿用旧版本的）",
)
@pass_state
def import_cmd(
    state: CliState,
    file: Path,
    dry_run: bool,
    as_json: bool,
    strict: bool,
    jurisdiction: str | None,
    implements: str | None,
    replace: bool,
    start: dt.datetime | None,
) -> None:
    """导入政策文件（txt/docx/pdf），把“任务分工”变成督办任务。整个导入是一个事务。

    督办从起始日开始（--from，默认导入当天）：导入一份 2019 年的文件，不会生成 2019 年以来的节点。
    """
    from duban.services.clock import local_today
    from duban.services.importing import import_policy

    with state.session() as session:
        result = import_policy(
            session,
            actor=state.actor(session),
            host=state.host,
            path=file,
            dry_run=dry_run,
            strict=strict,
            jurisdiction=jurisdiction,
            implements=implements,
            replace=replace,
            supervision_start=start.date() if start else None,
            today=local_today(state.settings.timezone),
            coordinator_agency=state.settings.get("general.coordinator_agency"),
        )
    if as_json:
        echo_json(result.document)
        return
    from duban.domain.vocabulary import Role

    doc = result.document
    p = doc.policy
    verdict = {
        "created": "已导入",
        "unchanged": "与已导入的版本相同，未作改动",
        "replaced": "已替换旧版本",
        "dry_run": "试运行，未写入",
    }[result.status]
    click.echo(f"{p.doc_number or '（无文号）'} {p.title or ''}")
    click.echo(
        f"辖区：{p.jurisdiction or '未知'}  印发：{day(p.issued, '未知')}  状态：{PolicyStatus(p.status).label}"
        f"  落实：{p.implements or '-'}  —— {verdict}"
    )
    if result.supervision_start is not None:
        click.echo(f"督办起始日：{day(result.supervision_start)}（此前的节点不生成）")
    click.echo(f"{cell('编号', 10)} {cell('任务', 40)} 部门")
    for t in doc.tasks:
        number = f"{t.section}.{t.number}" if t.section else t.number
        parties = "；".join(
            f"{r.name}({Role(r.role).label})" + ("" if r.agency else "?") for r in t.responsibilities
        )
        click.echo(f"{cell(number, 10)} {cell(t.text, 40)} {parties}")
    if result.diff is not None and not result.diff.empty:
        click.echo("与上一版本的差异：")
        for line in result.diff.lines():
            click.echo(f"  {line}")
    for w in doc.warnings:
        where = f"第 {w.line} 行：" if w.line else ""
        click.echo(f"警告：{where}{w.message}", err=True)


@click.command("policies")
@click.option("--all", "include_all", is_flag=True, help="包括已被替换的旧版本")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def policies_cmd(state: CliState, include_all: bool, limit: int, offset: int, as_json: bool) -> None:
    """列出已导入的政策文件（按印发日期；--limit / --offset 翻页）。"""
    from duban.services.catalog import list_policies_page

    with state.session() as session:
        page = list_policies_page(session, include_superseded=include_all, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(
        f"{cell('编号', 5)} {cell('文号', 20)} {cell('标题', 44)} {cell('印发', 11)} {cell('状态', 10)} 任务数"
    )
    for r in page.items:
        click.echo(
            f"{cell(r.id, 5)} {cell(r.doc_number or '-', 20)} {cell(r.title, 44)} "
            f"{cell(day(r.issued), 11)} {cell(r.status.label, 10)} {r.tasks}"
        )
    echo_range(page, "份")


@click.command("tasks")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的任务")
@click.option("--agency", metavar="KEY", help="只列出该部门参与的任务")
@click.option("--role", type=click.Choice(values(Role)), help="与 --agency 一起：只列该角色")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def tasks_cmd(
    state: CliState,
    policy: str | None,
    agency: str | None,
    role: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出任务及其牵头、配合和共同负责部门。"""
    from duban.services.catalog import list_tasks

    with state.session() as session:
        page = list_tasks(session, policy=policy, agency=agency, role=role, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(
        f"{cell('政策', 18)} {cell('编号', 10)} {cell('任务', 36)} {cell(Role.LEAD.label, 14)} "
        f"{Role.SUPPORT.label}/{Role.JOINT.label}"
    )
    for t in page.items:
        number = f"{t.section}.{t.number}" if t.section else t.number
        others = "、".join(t.support) or (f"{Role.JOINT.label}：" + "、".join(t.joint) if t.joint else "-")
        click.echo(
            f"{cell(t.policy, 18)} {cell(number, 10)} {cell(t.text, 36)} "
            f"{cell('、'.join(t.lead) or '-', 14)} {others}"
        )
    echo_range(page, "项")
