"""duban init, duban db upgrade / current."""

from __future__ import annotations

import click

from duban.cli.state import CliState, echo_json, pass_state
from duban.cli.types import NAME


@click.command("init")
@click.option(
    "--coordinator",
    "coordinator",
    metavar="NAME",
    type=NAME,
    help="数据库还没有用户时，把运行本命令的人登记为协调人所用的名称（默认：users.map 中的映射或登录名）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def init_cmd(state: CliState, coordinator: str | None, as_json: bool) -> None:
    """创建用户配置文件（如不存在）并建立、升级数据库；数据库还没有用户时，把运行本命令的操作系统用户登记为
    第一位协调人。重复运行不会改变任何内容。"""
    from duban.config import user_config_path, write_toml_atomic
    from duban.services.identity import coordinator_names, os_login
    from duban.services.setup import prepare_database
    from duban.services.users import bootstrap_coordinator
    from duban.storage.migrate import require_known

    config_path = state.config_path or user_config_path()
    state.creates_database = True
    require_known(state.engine)
    wrote_config = False
    if not config_path.exists():
        wrote_config = write_toml_atomic(config_path, {"database": {"url": state.database_url}})
    changed = prepare_database(state.engine, host=state.host)
    login = os_login()
    with state.session() as session:
        boot = bootstrap_coordinator(
            session, login=login, name=coordinator, login_map=state.settings.get("users.map", {})
        )
        coordinators = coordinator_names(session)
    result = {
        "config": str(config_path),
        "config_written": wrote_config,
        "database": state.engine.url.render_as_string(hide_password=True),
        "agencies_changed": changed,
        "coordinator_registered": boot.name if boot else None,
        "coordinators": coordinators,
    }
    if as_json:
        echo_json(result)
        return
    click.echo(f"配置文件：{config_path}{'（已创建）' if wrote_config else '（已存在，未改动）'}")
    click.echo(f"数据库：{result['database']}（已升级到最新结构）")
    click.echo(f"部门：{len(changed)} 个有更新" if changed else "部门：无变化")
    if boot is not None:
        click.echo(
            f"协调人：已把操作系统用户 {login} 登记为第一位协调人 {boot.name}"
            "（登录名只是提示，不是身份认证：能打开数据库的人才能操作数据，见 docs/workflow.md）"
        )
    elif coordinators:
        click.echo(f"协调人：{'、'.join(coordinators)}")
    else:
        click.echo("协调人：没有！请数据库的所有者运行 duban user recover（见 docs/workflow.md）", err=True)


@click.group("db")
def db_group() -> None:
    """数据库维护。"""


@db_group.command("upgrade")
@pass_state
def db_upgrade_cmd(state: CliState) -> None:
    """把数据库结构升级到最新版本，并同步插件提供的部门。"""
    from duban.services.setup import prepare_database
    from duban.storage.migrate import current_revision, require_known

    state.creates_database = True
    require_known(state.engine)
    prepare_database(state.engine, host=state.host)
    click.echo(f"数据库已是最新结构（版本 {current_revision(state.engine)}）")


@db_group.command("current")
@pass_state
def db_current_cmd(state: CliState) -> None:
    """显示数据库当前的结构版本和最新版本。"""
    from duban.storage.migrate import current_revision, head_revision

    click.echo(f"当前版本：{current_revision(state.engine) or '空'}；最新版本：{head_revision(state.engine)}")
