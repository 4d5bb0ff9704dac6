"""duban plugin new: scaffold an installable agency plugin (``duban plugins`` lists the installed ones)."""

from __future__ import annotations

from pathlib import Path

import click

from duban.cli.state import CliState, echo_json, pass_state


@click.group("plugin")
def plugin_group() -> None:
    """编写部门插件（new）。已安装的插件用 duban plugins 查看。"""


@plugin_group.command("new")
@click.argument("key")
@click.option("--name", required=True, help="部门简称，如 教育；各级名称由它生成")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="在该目录下创建 duban-plugin-KEY/",
)
@click.option("--national", help="国家级名称（默认 NAME部，如 教育部）")
@click.option("--province", help="省级名称（默认 省NAME厅，如 省教育厅）")
@click.option("--prefecture", help="市（州）级名称（默认 市NAME局，如 市教育局）")
@click.option("--county", help="县级名称（默认 县NAME局，如 县教育局）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def plugin_new_cmd(
    state: CliState,
    key: str,
    name: str,
    parent: Path,
    national: str | None,
    province: str | None,
    prefecture: str | None,
    county: str | None,
    as_json: bool,
) -> None:
    """为新部门生成一个可安装的插件包 duban-plugin-KEY/（KEY 为部门代码，如 jiaoyu）。

    插件建立在 duban 的插件 SDK（duban.plugin）上：几行 Python（继承 DepartmentPlugin，含一个检查示例）、
    plugin.toml（部门名称、一个任务模板示例和两个指标）、pyproject.toml、测试和 README.md。
    已存在的目录不会被覆盖。
    """
    from duban.scaffold import scaffold_plugin

    names = {"national": national, "province": province, "prefecture": prefecture, "county": county}
    target = scaffold_plugin(key, name, parent=parent, names=names, existing=state.host.agencies())
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    if as_json:
        echo_json({"key": key, "path": str(target.resolve()), "files": files})
        return
    click.echo(f"已创建部门插件：{target}")
    for file in files:
        click.echo(f"  {file}")
    click.echo("下一步：")
    click.echo(f"  1. 修改 duban_{key}/plugin.toml：各级名称、任务模板和报送指标（文件里有中文注释）")
    click.echo(f"  2. cd {target} && python -m pytest")
    click.echo("  3. pip install -e .   （装进 duban 所在的虚拟环境）")
    click.echo(f"  4. duban plugins      （应看到 {key}，来源为第三方，状态正常）")
    click.echo("  5. pip wheel --no-deps -w dist .   （构建 wheel 交给协调人部署，见 README.md）")
