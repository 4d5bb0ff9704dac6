"""duban map, duban compare, duban cascade."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.cli.types import DAY, ID
from duban.domain.vocabulary import JurisdictionLevel

if TYPE_CHECKING:
    from duban.services.mapping import TaskLinks, TaskProposal

date_type = DAY


def _today(state: CliState) -> dt.date:
    from duban.services.clock import local_today

    return local_today(state.settings.timezone)


# -- duban map ------------------------------------------------------------------------------------------


@click.group("map")
def map_group() -> None:
    """任务映射：下级政策的每项任务落实上级政策的哪一项（propose / confirm / accept / list）。"""


def _print_links(rows: Sequence[TaskProposal | TaskLinks]) -> None:
    for row in rows:
        parents = (
            "、".join(
                f"{p.number}（#{p.task}，{p.confidence:.2f}"
                f"{'，已确认' if getattr(p, 'confirmed', False) else ''}）"
                for p in row.parents
            )
            or "（无对应）"
        )
        click.echo(f"#{row.task:<6} {cell(row.number, 10)} → {parents}")


@map_group.command("propose")
@click.argument("child")
@click.option("--parent", metavar="POLICY", help="上级政策（文号或编号；默认为导入时记录的“依据”）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def map_propose_cmd(state: CliState, child: str, parent: str | None, as_json: bool) -> None:
    """为政策 CHILD 的每项任务提出对应的上级任务和置信度（已确认的不变）。"""
    from duban.services.mapping import propose_links

    with state.session() as session:
        result = propose_links(session, actor=state.actor(session), child=child, parent=parent)
    if as_json:
        echo_json(result)
        return
    _print_links(result.tasks)
    click.echo("确认：duban map confirm 任务编号 [上级任务编号…]；全部接受：duban map accept " + child)


@map_group.command("confirm")
@click.argument("child_task_id", type=ID)
@click.argument("parent_task_ids", type=ID, nargs=-1)
@pass_state
def map_confirm_cmd(state: CliState, child_task_id: int, parent_task_ids: tuple[int, ...]) -> None:
    """确认（或更正为）任务 CHILD_TASK_ID 所落实的上级任务；不写上级任务则按建议确认。"""
    from duban.services.mapping import confirm_links

    with state.session() as session:
        links = confirm_links(
            session,
            actor=state.actor(session),
            child_task_id=child_task_id,
            parent_task_ids=list(parent_task_ids),
        )
        click.echo(
            f"任务 #{child_task_id} → "
            + "、".join(f"#{link.parent_task_id}" for link in links)
            + "（已确认）"
        )


@map_group.command("accept")
@click.argument("child")
@click.option(
    "--min", "min_confidence", type=float, default=0.0, show_default=True, help="只接受置信度不低于此值的建议"
)
@pass_state
def map_accept_cmd(state: CliState, child: str, min_confidence: float) -> None:
    """确认政策 CHILD 全部（或置信度够高的）映射建议。"""
    from duban.services.mapping import accept_proposals

    with state.session() as session:
        n = accept_proposals(session, actor=state.actor(session), child=child, min_confidence=min_confidence)
    click.echo(f"已确认 {n} 条映射")


@map_group.command("list")
@click.argument("child")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def map_list_cmd(state: CliState, child: str, as_json: bool) -> None:
    """列出政策 CHILD 每项任务的上级任务（建议或已确认）。"""
    from duban.services.mapping import list_links

    with state.session() as session:
        result = list_links(session, child=child)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{result.doc_number or result.title}")
    _print_links(result.tasks)
    click.echo(f"共 {len(result.tasks)} 项任务")  # every task of one document: never cut


# -- duban compare --------------------------------------------------------------------------------------


@click.command("compare")
@click.argument("child")
@click.argument("parent")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def compare_cmd(state: CliState, child: str, parent: str, as_json: bool) -> None:
    """比较两份政策（文号或编号）：任务对应、两边未对应的任务、分工的变化（也适用于征求意见稿与正式稿）。"""
    from duban.services.compare import compare_policies

    with state.session() as session:
        result = compare_policies(session, child=child, parent=parent)
    if as_json:
        echo_json(result)
        return
    for pair in result.pairs:
        others = "、".join(p.number for p in pair.parents[1:])
        click.echo(
            f"{cell(pair.number, 10)} → {cell(pair.parent or '（无）', 10)} {pair.confidence:.2f}"
            + (f"  另含 {others}" if others else "")
        )
    for line in result.summary:
        click.echo(line)


# -- duban cascade --------------------------------------------------------------------------------------


@click.command("cascade")
@click.argument("policy")
@click.option("--to", "to", multiple=True, metavar="CODE", help="下级区划代码（可重复，或用逗号分隔）")
@click.option(
    "--down-to",
    type=click.Choice(["prefecture", "county"]),
    help="同时下发到这些区划的全部下级，直到该层级（不写 --to 时默认为 county）",
)
@click.option(
    "--rollup",
    "rollup_task",
    metavar="TASK_ID",
    type=ID,
    help="不下发，只显示该任务各辖区的灯色（最差的在前）",
)
@click.option(
    "--as-of",
    type=date_type,
    help="灯色的查询日，或下发日（默认今天）：下发时按该日的机构沿革，已撤销机构的任务交继任部门",
)
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def cascade_cmd(
    state: CliState,
    policy: str,
    to: tuple[str, ...],
    down_to: str | None,
    rollup_task: int | None,
    as_of: dt.datetime | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """把政策的任务下发到下级辖区（省→市→县），各级由对应部门负责；重复下发不会重复生成。
    --rollup 的辖区列表按 --limit / --offset 分页。"""
    from duban.services.cascade import cascade_policy, rollup
    from duban.services.paging import check_window, page_of

    state.read_only = rollup_task is not None
    with state.session() as session:
        if rollup_task is not None:
            check_window(limit, offset)
            on = as_of.date() if as_of else _today(state)
            # every jurisdiction is needed to roll the lights up the tree (one grouped query), so the page is
            # cut from the rolled-up rows; the total is their number
            rolled = rollup(session, rollup_task, on, warning_days=state.settings.warning_days)
            page = page_of(rolled[offset : offset + limit], total=len(rolled), limit=limit, offset=offset)
            if as_json:
                echo_json(page.to_json())
                return
            for r in page.items:
                blockers = (
                    f"  未达绿：{'、'.join(r.not_green[:8])}{'…' if len(r.not_green) > 8 else ''}"
                    if r.not_green
                    else ""
                )
                click.echo(
                    f"{r.jurisdiction} {cell(r.name, 20)} {cell(r.light.label, 6)} 本级 {r.own.label}{blockers}"
                )
            echo_range(page, "个", "辖区")
            return
        from duban.cli.progress import progress_bar
        from duban.services.importing import registry_from

        registry = registry_from(state.host)
        with progress_bar("下发任务（新建责任）", quiet=as_json) as bar:
            result = cascade_policy(
                session,
                actor=state.actor(session),
                registry=registry,
                policy=policy,
                to=to,
                down_to=down_to,
                day=as_of.date() if as_of else _today(state),
                progress=bar,
            )
    if as_json:
        echo_json(result)
        return
    levels = "，".join(f"{JurisdictionLevel(k).label} {v} 个" for k, v in result.levels.items())
    click.echo(
        f"{result.doc_number or policy}：下发到 {result.jurisdictions} 个辖区（{levels}），"
        f"新建责任 {result.created} 条，已有 {result.existing} 条未重复生成"
    )

    def name(key: str) -> str:
        try:
            return registry.spec(key).name
        except KeyError:
            return key

    for c in result.carried:
        click.echo(
            f"{name(c.agency)}的职责已于 {day(c.since)} 由{name(c.successor)}承接："
            f"为{name(c.successor)}新建责任 {c.created} 条，不为已撤销的机构创建责任"
        )
    click.echo("生成节点：duban milestones generate；查看汇总：duban cascade POLICY --rollup 任务编号")
