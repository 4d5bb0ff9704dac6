"""duban template: bind the departments' templates to imported tasks (propose / confirm / reject / bind / list)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.types import ID, LINE
from duban.domain.vocabulary import BindingState, values

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

    from duban.services.templates import BindingRow


@click.group("template")
def template_group() -> None:
    """部门模板绑定：propose 生成建议 / confirm 确认 / reject 驳回或解除 / bind 手工绑定 / list / catalog。

    任务绑定了某部门的模板后，该部门对此任务的报送按模板检查：必填指标、只收模板中的指标、部门自己的检查。
    未绑定的任务按自由文本报送。
    """


def _print_rows(rows: Iterable[BindingRow]) -> None:
    click.echo(
        f"{cell('编号', 6)} {cell('政策', 18)} {cell('任务', 10)} {cell('部门', 10)} {cell('模板', 30)} "
        f"{cell('来源', 8)} {cell('得分', 5)} {cell('状态', 6)} 理由"
    )
    for r in rows:
        title = r.template_title or "（模板未安装）"
        click.echo(
            f"{cell(r.id, 6)} {cell(r.policy, 18)} {cell(r.task_number, 10)} {cell(r.agency_name, 10)} "
            f"{cell(f'{r.template} {title}', 30)} {cell(r.source.label, 8)} {cell(f'{r.score:.2f}', 5)} "
            f"{cell(r.state.label, 6)} {r.reason}"
        )


def _all_proposed(session: Session, state: CliState, policy: str | None) -> Iterator[BindingRow]:
    """Every binding waiting for confirmation (of one policy), page by page."""
    from duban.services.paging import MAX_LIMIT
    from duban.services.templates import list_bindings

    offset: int | None = 0
    while offset is not None:
        page = list_bindings(
            session,
            host=state.host,
            policy=policy,
            state=BindingState.PROPOSED,
            limit=MAX_LIMIT,
            offset=offset,
        )
        yield from page.items
        offset = page.next_offset


@template_group.command("propose")
@click.option("--policy", metavar="DOCNO|ID", help="只为该政策的任务生成建议（默认：所有现行政策）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def template_propose_cmd(state: CliState, policy: str | None, as_json: bool) -> None:
    """按模板声明（plugin.toml 的 serves、keywords）和任务映射，为任务建议各部门的模板。"""
    from duban.services.templates import propose_template_bindings

    with state.session() as session:
        result = propose_template_bindings(
            session, actor=state.actor(session), host=state.host, policy=policy
        )
    if as_json:
        echo_json(result)
        return
    if result.proposed:
        _print_rows(result.proposed)
    click.echo(
        f"新建议 {len(result.proposed)} 条，已有 {result.existing} 条（含已确认和已驳回的）；"
        "用 duban template confirm 编号 确认后，报送按模板检查"
    )


@template_group.command("confirm")
@click.argument("binding_ids", type=ID, nargs=-1, metavar="ID...")
@click.option(
    "--all", "confirm_all", is_flag=True, help="确认所有待确认的建议（可与 --policy、--min-score 合用）"
)
@click.option("--policy", metavar="DOCNO|ID", help="与 --all 合用：只确认该政策的建议")
@click.option(
    "--min-score", type=float, default=0.0, show_default=True, help="与 --all 合用：只确认得分不低于它的建议"
)
@pass_state
def template_confirm_cmd(
    state: CliState, binding_ids: tuple[int, ...], confirm_all: bool, policy: str | None, min_score: float
) -> None:
    """确认模板绑定（可一次确认多条）。"""
    from duban.services.templates import confirm_binding

    if not binding_ids and not confirm_all:
        raise click.UsageError("请给出要确认的编号，或用 --all 确认全部待确认的建议")
    with state.session() as session:
        actor = state.actor(session)
        ids = list(binding_ids)
        if confirm_all:
            ids += [r.id for r in _all_proposed(session, state, policy) if r.score >= min_score]
        rows = [confirm_binding(session, actor=actor, host=state.host, binding_id=i) for i in ids]
    if not rows:
        click.echo("没有待确认的模板绑定")
        return
    for r in rows:
        click.echo(f"已确认 #{r.id}：{r.policy} {r.task_number} {r.agency_name} ← {r.template}")
    click.echo(f"共确认 {len(rows)} 条")


@template_group.command("reject")
@click.argument("binding_ids", type=ID, nargs=-1, required=True, metavar="ID...")
@click.option("--reason", type=LINE, help="理由")
@pass_state
def template_reject_cmd(state: CliState, binding_ids: tuple[int, ...], reason: str | None) -> None:
    """驳回建议，或解除已确认的绑定（记录保留，不会再次建议）。"""
    from duban.services.templates import reject_binding

    with state.session() as session:
        actor = state.actor(session)
        rows = [
            reject_binding(session, actor=actor, host=state.host, binding_id=i, reason=reason)
            for i in binding_ids
        ]
    for r in rows:
        click.echo(f"已驳回 #{r.id}：{r.policy} {r.task_number} {r.agency_name} ← {r.template}")


@template_group.command("bind")
@click.option("--task", "task_id", type=ID, required=True, help="任务编号（见 duban tasks --json）")
@click.argument("template")
@pass_state
def template_bind_cmd(state: CliState, task_id: int, template: str) -> None:
    """把模板直接绑定到任务（立即生效），例如：duban template bind --task 23 minzheng.ledger。"""
    from duban.services.templates import bind_template

    with state.session() as session:
        r = bind_template(
            session, actor=state.actor(session), host=state.host, task_id=task_id, template=template
        )
    click.echo(f"已绑定 #{r.id}：{r.policy} {r.task_number} {r.agency_name} ← {r.template}")


@template_group.command("list")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的绑定")
@click.option("--task", "task_id", type=ID, help="只列出该任务的绑定")
@click.option("--agency", metavar="KEY", help="只列出该部门的绑定")
@click.option(
    "--state",
    "state_filter",
    type=click.Choice(values(BindingState)),
    help="只列出该状态（" + " / ".join(s.label for s in BindingState) + "）",
)
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def template_list_cmd(
    state: CliState,
    policy: str | None,
    task_id: int | None,
    agency: str | None,
    state_filter: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出模板绑定（建议的、已确认的和已驳回的），列出总数和本页范围（--limit / --offset 翻页）。"""
    from duban.services.templates import list_bindings

    with state.session() as session:
        page = list_bindings(
            session,
            host=state.host,
            policy=policy,
            task_id=task_id,
            agency=agency,
            state=BindingState(state_filter) if state_filter else None,
            limit=limit,
            offset=offset,
        )
    if as_json:
        echo_json(page)
        return
    _print_rows(page.items)
    echo_range(page, "条", "模板绑定")


@template_group.command("catalog")
@click.option("--agency", metavar="KEY", help="只列出该部门的模板")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def template_catalog_cmd(state: CliState, agency: str | None, as_json: bool) -> None:
    """列出已安装插件提供的模板：部门、周期、指标，以及它声明服务的任务和关键词。"""
    from duban.services.templates import template_catalog

    short = {a.key: a.name for a in state.host.agencies()}

    specs = template_catalog(state.host, agency=agency)
    if as_json:
        echo_json(specs)
        return
    for t in specs:
        serves = "；".join(f"{s.doc} {s.section + ' ' if s.section else ''}{s.task}" for s in t.serves)
        click.echo(f"{t.key}（{short.get(t.agency, t.agency)}）{t.title}  周期：{t.schedule or '-'}")
        click.echo(f"    指标：{'、'.join(t.indicators) or '-'}")
        if serves or t.keywords:
            click.echo(f"    服务：{serves or '-'}  关键词：{'、'.join(t.keywords) or '-'}")
    click.echo(f"共 {len(specs)} 个模板")
