"""duban inbox: what waits on me."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.types import DAY, CountType
from duban.domain.vocabulary import InboxKind, values

if TYPE_CHECKING:
    from duban.services.inbox import InboxItem


def _when(item: InboxItem) -> str:
    """The date column and the wait, as a person reads them."""
    if item.kind is InboxKind.DUE:
        left = "今天到期" if item.days_left == 0 else f"还有 {item.days_left} 个工作日"
        return f"{item.due} 到期，{left}"
    if item.kind is InboxKind.OVERDUE:
        return f"{item.due} 到期，已逾期 {item.age} 个工作日"
    verb = {
        InboxKind.REVIEW: "报送于",
        InboxKind.EXTENSION: "申请于",
        InboxKind.RETURNED: "退回于",
        InboxKind.UNSIGNED: "交办于",
    }[item.kind]
    return f"{verb} {item.since}，已等 {item.age} 个工作日"


@click.command("inbox")
@click.option(
    "--days",
    type=CountType(0, 3660),
    metavar="N",
    help="部门用户：列出今后 N 个工作日内到期的节点（默认取配置 inbox.days，未配置为 10）",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(values(InboxKind)),
    help="只列出这一类（可重复）；各类的数量总会显示",
)
@click.option("--agency", metavar="KEY", help="只看该部门的（部门用户总是只看本部门）")
@click.option("--jurisdiction", metavar="CODE", help="只看该辖区的")
@click.option("--policy", metavar="DOCNO|ID", help="只看该政策的")
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    help="以该日期（YYYY-MM-DD）计算等待的工作日和到期窗口；默认今天",
)
@paging_options(50)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def inbox_cmd(
    state: CliState,
    days: int | None,
    kinds: tuple[str, ...],
    agency: str | None,
    jurisdiction: str | None,
    policy: str | None,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """待我处理的事项，每行带办理命令。

    协调人：待复核的报送、待审批的延期申请（最早的在前，带已等待的工作日数）、被退回尚未重报的报送、
    尚未签收的责任。
    部门用户：被退回要重报的报送、逾期未报的节点、今后 N 个工作日内到期的节点、尚未签收的责任。
    """
    from duban.services.clock import local_today
    from duban.services.inbox import DEFAULT_DAYS, inbox

    day = as_of.date() if as_of else local_today(state.settings.timezone)
    window = days if days is not None else int(state.settings.get("inbox.days", DEFAULT_DAYS))
    with state.session() as session:
        result = inbox(
            session,
            actor=state.actor(session),
            as_of=day,
            days=window,
            kinds=[InboxKind(k) for k in kinds] or None,
            agency=agency,
            jurisdiction=jurisdiction,
            policy=policy,
            limit=limit,
            offset=offset,
            tz=state.settings.timezone,
        )
    if as_json:
        echo_json(result)
        return
    who = f"{result.user}（{result.role.label}）"
    if not result.counts:
        click.echo(f"{who}：只读用户没有待办事项")
        return
    counts = " · ".join(f"{kind.label} {n}" for kind, n in result.counts.items())
    window_note = f"；到期窗口至 {result.due_until}（{result.days} 个工作日）" if result.due_until else ""
    click.echo(f"{who} 截至 {result.as_of} 待处理：{counts}{window_note}")
    for item in result.items:
        where = item.department or item.jurisdiction_name or "未识别部门"
        click.echo(
            f"{cell('[' + item.kind.label + ']', 12)} {cell(item.policy, 18)} {cell(item.task_number, 6)} "
            f"{cell(item.task_text, 24)} {cell(where, 16)} {cell(_when(item), 34)} {item.command}"
        )
    echo_range(result.page)
