"""duban agencies, duban jurisdictions."""

from __future__ import annotations

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.domain.vocabulary import JurisdictionLevel, values


@click.command("agencies")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def agencies_cmd(state: CliState, limit: int, offset: int, as_json: bool) -> None:
    """列出部门：代码、名称、各级名称和继任机构。"""
    from duban.services.reference import list_agencies_page

    with state.session() as session:
        page = list_agencies_page(session, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(f"{cell('代码', 12)} {cell('名称', 16)} {cell('国家级', 24)} {cell('省级', 28)} 继任")
    for r in page.items:
        successor = f"{r.successor}（{day(r.successor_since)}起）" if r.successor else ""
        click.echo(
            f"{cell(r.key, 12)} {cell(r.name, 16)} {cell(r.names.get('national', ''), 24)} "
            f"{cell(r.names.get('province', ''), 28)} {successor}"
        )
    echo_range(page, "个")


@click.command("jurisdictions")
@click.option("--level", type=click.Choice(values(JurisdictionLevel)))
@click.option("--parent", metavar="CODE", help="只列出该区划的下级")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def jurisdictions_cmd(
    state: CliState, level: str | None, parent: str | None, limit: int, offset: int, as_json: bool
) -> None:
    """列出行政区划（GB/T 2260 代码，按代码排序；--limit / --offset 翻页）。"""
    from duban.services.reference import list_jurisdictions_page

    with state.session() as session:
        page = list_jurisdictions_page(session, level=level, parent=parent, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    for r in page.items:
        click.echo(f"{r.code}  {cell(r.name, 20)} {r.level.label}")
    echo_range(page, "个")
