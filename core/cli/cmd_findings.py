"""duban findings: what the plugins' checks found, stored (report and responsibility findings)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.cli.types import DAY, ID
from duban.domain.vocabulary import Severity, values

if TYPE_CHECKING:
    from duban.services.findings import FindingKind


@click.command("findings")
@click.option("--agency", metavar="KEY", help="只列出该部门的发现")
@click.option("--jurisdiction", metavar="CODE", help="只列出该辖区的发现")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的发现")
@click.option("--task", "task_id", type=ID, help="只列出该任务的发现")
@click.option(
    "--severity",
    type=click.Choice(values(Severity)),
    help="只列出该级别（" + " / ".join(s.label for s in Severity) + "）",
)
@click.option(
    "--kind", type=click.Choice(["report", "responsibility"]), help="报送检查的发现，或责任检查的发现"
)
@click.option("--all", "include_resolved", is_flag=True, help="包括已消除的发现")
@click.option("--as-of", "as_of", type=DAY, help="先按该日期（默认今天）运行责任检查")
@paging_options(50)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def findings_cmd(
    state: CliState,
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    task_id: int | None,
    severity: str | None,
    kind: str | None,
    include_resolved: bool,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出插件检查得出的发现：报送时的检查和跨节点的责任检查（台账久未更新、配合单位连续未报…）。

    先按 --as-of（默认今天）对所列范围运行各插件的责任检查并保存结果，再列出；错误在前，其次是最近发现的。
    """
    from duban.cli.checking import echo_check_faults, run_checks
    from duban.services.clock import local_today
    from duban.services.findings import list_findings
    from duban.services.paging import check_window
    from duban.services.status import scope_for

    check_window(limit, offset)
    on = as_of.date() if as_of else local_today(state.settings.timezone)
    with state.session() as session:
        actor = state.actor(session)
        scope = scope_for(
            session, actor=actor, agency=agency, jurisdiction=jurisdiction, policy=policy, task_id=task_id
        )
        checks = run_checks(state, session, on, scope)
        page = list_findings(
            session,
            today=on,
            actor=actor,
            agency=agency,
            jurisdiction=jurisdiction,
            policy=policy,
            task_id=task_id,
            severity=Severity(severity) if severity else None,
            include_resolved=include_resolved,
            kind=cast("FindingKind | None", kind),  # one of click's choices
            limit=limit,
            offset=offset,
        )
    if as_json:
        echo_json({**page.to_json(), "checks": checks.to_json()})
        echo_check_faults(checks)
        return
    click.echo(
        f"{cell('编号', 6)} {cell('级别', 4)} {cell('插件', 12)} {cell('代码', 22)} {cell('政策', 18)} "
        f"{cell('任务', 8)} {cell('部门', 14)} {cell('辖区', 10)} {cell('发现于', 10)} {cell('最近', 10)} 内容"
    )
    for f in page.items:
        role = f.role.label if f.role else ""
        name = f.agency_name or f.agency or "未识别部门"
        party = f"{name}（{role}）" if role else name
        resolved = f"（{day(f.resolved_on)} 已消除）" if f.resolved_on else ""
        click.echo(
            f"{cell(f.id, 6)} {cell(f.severity.label, 4)} {cell(f.plugin, 12)} {cell(f.code, 22)} "
            f"{cell(f.policy, 18)} {cell(f.task_number, 8)} {cell(party, 14)} {cell(f.jurisdiction_name or '-', 10)} "
            f"{cell(day(f.first_seen), 10)} {cell(day(f.last_seen), 10)} {f.message}{resolved}"
        )
    counts = "，".join(f"{s.label} {n}" for s, n in page.by_severity.items() if n)
    echo_range(page.page, "条", "发现")
    if counts:
        click.echo(f"其中 {counts}")
    echo_check_faults(checks)
