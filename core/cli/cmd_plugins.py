"""duban plugins."""

from __future__ import annotations

import click

from duban.cli.state import CliState, cell, echo_json, pass_state


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def plugins_cmd(state: CliState, as_json: bool) -> None:
    """列出插件：名称、版本、内置或第三方、实现的钩子，以及加载和调用错误。"""
    host = state.host
    # call every registering hook once so that faults in them are reported too
    host.agencies()
    host.task_templates()
    host.indicators()
    host.document_readers()
    host.scoring_schemes()
    host.exporters()
    # and the check hooks once, on an empty report and responsibility, so a check that crashes is named here
    import datetime as dt

    from duban.hookspecs import ReportContext, ResponsibilityContext, Role

    host.check_report(ReportContext(agency="", template=None, indicators={}))
    host.check_responsibility(
        ResponsibilityContext(agency="", role=Role.LEAD, task_text="", template=None, as_of=dt.date.today())
    )
    rows = host.describe()
    if as_json:
        echo_json(rows)
        return
    click.echo(f"{cell('插件', 16)} {cell('版本', 8)} {cell('来源', 6)} 钩子")
    for row in rows:
        origin = "内置" if row["builtin"] else "第三方"
        hooks = ", ".join(h.removeprefix("duban_") for h in row["hooks"]) or "-"
        click.echo(f"{cell(row['name'], 16)} {cell(row['version'], 8)} {cell(origin, 6)} {hooks}")
        for err in row["errors"]:
            click.echo(f"  !! 错误（{err['stage']}）：{err['error']}")
    broken = [r["name"] for r in rows if r["errors"]]
    if broken:
        click.echo(f"\n有 {len(broken)} 个插件出错：{'、'.join(broken)}；其余插件照常工作。")
