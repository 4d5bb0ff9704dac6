"""duban audit verify|log, duban user add|list|role|remove|recover."""

from __future__ import annotations

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import moment
from duban.domain.vocabulary import UserRole, values


@click.group("audit")
def audit_group() -> None:
    """审计日志：verify 校验哈希链 / log 查看。"""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit_verify_cmd(state: CliState, as_json: bool) -> None:
    """校验审计日志的哈希链：指出被修改、插入或删除的事件。有问题时退出码为 12。"""
    from duban.services.audit import verify

    with state.session() as session:
        problems = verify(session)
    if as_json:
        echo_json(problems)
    elif problems:
        for p in problems:
            click.echo(f"第 {p.seq} 条：{p.message}")
    else:
        click.echo("审计日志完整：哈希链无误")
    if problems:
        raise SystemExit(12)


@audit_group.command("log")
@click.option("--task", "task_id", type=int, help="只看某项任务的事件")
@paging_options(100)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit_log_cmd(state: CliState, task_id: int | None, limit: int, offset: int, as_json: bool) -> None:
    """查看审计日志（最新的在前；--limit / --offset 翻页）。"""
    from duban.services.audit import list_events_page

    with state.session() as session:
        page = list_events_page(session, task_id=task_id, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    for r in page.items:
        click.echo(
            f"{cell(r.seq, 6)} {moment(r.at)} {cell(r.actor, 12)} {cell(r.action, 26)} "
            f"{r.entity_type}#{r.entity_id}"
        )
    echo_range(page, "条")


@click.group("user")
def user_group() -> None:
    """用户：add 登记 / list 列出 / role 变更角色 / remove 注销 / recover 恢复协调人。

    数据库一旦有用户，就始终至少有一位协调人：第一位协调人由 duban init 登记（运行它的操作系统用户），
    最后一位协调人不能被注销或降级（退出码 9）。
    """


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(values(UserRole)), required=True)
@click.option("--agency", metavar="KEY", help="部门用户所属部门")
@click.option("--jurisdiction", metavar="CODE", help="所属辖区（GB/T 2260）")
@click.option("--os-login", help="对应的操作系统登录名（SQLite）")
@click.option("--display-name", help="姓名")
@click.option("--db-role", metavar="ROLE", help="PostgreSQL：为此人创建的登录角色名（默认与用户名相同）")
@click.option(
    "--no-password",
    is_flag=True,
    help="PostgreSQL：登录角色不设密码，由证书或 peer 认证映射登录（见 docs/deployment.md）",
)
@pass_state
def user_add_cmd(
    state: CliState,
    name: str,
    role: str,
    agency: str | None,
    jurisdiction: str | None,
    os_login: str | None,
    display_name: str | None,
    db_role: str | None,
    no_password: bool,
) -> None:
    """登记用户（仅协调人）。第一位协调人由 duban init 登记；在此之前本命令拒绝登记（请先运行 duban init）。

    PostgreSQL 上同时创建此人的登录角色（加入 duban_coordinator / duban_department / duban_viewer 组），
    并只显示一次生成的密码；此后 duban 认定的当前用户就是数据库认证的登录角色（current_user）。
    """
    from duban.services.identity import add_user, is_postgres, new_password, scram_verifier

    password: str | None = None
    with state.session() as session:
        postgres = is_postgres(session)
        if postgres and not no_password:
            password = new_password()
        add_user(
            session,
            actor=state.actor(session),
            name=name,
            role=role,
            agency=agency,
            jurisdiction=jurisdiction,
            os_login_name=os_login,
            display_name=display_name,
            db_role=db_role,
            create_login=postgres,
            password_verifier=scram_verifier(password) if password else None,
        )
    click.echo(f"已登记用户 {name}（{UserRole(role).label}）")
    if postgres:
        click.echo(f"PostgreSQL 登录角色：{db_role or name}")
        if password:
            click.echo(f"初始密码（只显示这一次，请当面或经安全渠道交给本人）：{password}")
        else:
            click.echo("未设密码：请在 pg_hba.conf / pg_ident.conf 中为其映射证书或 peer 认证")


@user_group.command("list")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def user_list_cmd(state: CliState, limit: int, offset: int, as_json: bool) -> None:
    """列出用户（按名称；--limit / --offset 翻页）。"""
    from duban.services.identity import list_users_page

    with state.session() as session:
        page = list_users_page(session, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    for r in page.items:
        click.echo(
            f"{cell(r.name, 16)} {cell(r.role.label, 12)} {cell(r.agency or '-', 12)} "
            f"{cell(r.jurisdiction or '-', 8)} {r.db_role or r.os_login or ''}"
        )
    echo_range(page, "位")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(values(UserRole)))
@click.option("--agency", metavar="KEY", help="部门用户所属部门（不写则保留原部门）")
@click.option("--jurisdiction", metavar="CODE", help="所属辖区（不写则保留原辖区）")
@pass_state
def user_role_cmd(
    state: CliState, name: str, role: str, agency: str | None, jurisdiction: str | None
) -> None:
    """变更用户的角色（及部门、辖区；仅协调人）。不能把最后一位协调人降级（退出码 9）。"""
    from duban.services.users import change_role

    with state.session() as session:
        change = change_role(
            session,
            actor=state.actor(session),
            name=name,
            role=role,
            agency=agency,
            jurisdiction=jurisdiction,
        )
    assert change.before is not None
    click.echo(f"用户 {name}：{change.before.role.label} → {UserRole(role).label}")


@user_group.command("remove")
@click.argument("name")
@pass_state
def user_remove_cmd(state: CliState, name: str) -> None:
    """注销用户（仅协调人；其报送和审计记录保留原名）。不能注销最后一位协调人（退出码 9）。"""
    from duban.services.users import remove_user

    with state.session() as session:
        remove_user(session, actor=state.actor(session), name=name)
    click.echo(f"已注销用户 {name}")


@user_group.command("recover")
@click.option(
    "--name", metavar="USER", help="恢复为协调人的用户（默认：当前操作系统用户对应的用户，或以登录名新登记）"
)
@pass_state
def user_recover_cmd(state: CliState, name: str | None) -> None:
    """数据库已没有协调人时恢复一位：只有数据库的所有者可以运行（SQLite 文件的所有者，或 PostgreSQL 数据库的
    所有者/超级用户）。已有协调人时拒绝（退出码 9），不是所有者时拒绝（退出码 8）。"""
    from duban.services.identity import os_login
    from duban.services.users import recover_coordinator

    with state.session() as session:
        change = recover_coordinator(
            session, login=os_login(), name=name, login_map=state.settings.get("users.map", {})
        )
    how = "已提升" if change.before is not None else "已登记"
    click.echo(f"{how} {change.name} 为协调人（{change.detail}）")
