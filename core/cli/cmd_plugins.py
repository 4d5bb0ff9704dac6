"""duban plugins: every installed plugin, its hooks and its faults; exit code 5 when any plugin is at fault."""

from __future__ import annotations

import datetime as dt

import click

from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.errors import PluginError


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def plugins_cmd(state: CliState, as_json: bool) -> None:
    """列出插件：名称、版本、内置或第三方、实现的钩子，以及加载和调用错误。

    有插件出错（加载失败、实现了未知的钩子、钩子抛出异常）时，错误写到标准错误，退出码为 5。
    """
    from duban.hookspecs import ReportContext, ResponsibilityContext

    host = state.host
    # call every registering hook once so that faults in them are reported too
    host.agencies()
    host.task_templates()
    host.indicators()
    host.document_readers()
    host.scoring_schemes()
    host.exporters()
    # and the check hooks once, on an empty report and responsibility, so a check that crashes is named here

    from duban.hookspecs import Role

    host.check_report(ReportContext(agency="", template=None, indicators={}))
    host.check_responsibility(
        ResponsibilityContext(agency="", role=Role.LEAD, task_text="", template=None, as_of=dt.date.today())
    )
    rows = host.describe()
    if as_json:
        echo_json(rows)
    else:
        click.echo(f"{cell('插件', 16)} {cell('版本', 8)} {cell('来源', 6)} {cell('状态', 4)} 钩子")
        for row in rows:
            origin = "内置" if row["builtin"] else "第三方"
            status = "出错" if row["errors"] else "正常"
            hooks = ", ".join(h.removeprefix("duban_") for h in row["hooks"]) or "-"
            click.echo(
                f"{cell(row['name'], 16)} {cell(row['version'], 8)} {cell(origin, 6)} {cell(status, 4)} {hooks}"
            )
    broken = [row for row in rows if row["errors"]]
    if not broken:
        return
    for row in broken:
        for err in row["errors"]:
            click.echo(f"错误：插件 {row['name']}（{err['stage']}）：{err['error']}", err=True)
    names = "、".join(row["name"] for row in broken)
    click.echo(f"有 {len(broken)} 个插件出错：{names}；其余插件照常工作。", err=True)
    click.get_current_context().exit(PluginError.exit_code)
