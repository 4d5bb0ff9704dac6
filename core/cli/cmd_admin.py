"""duban audit verify|log, duban user add|list."""

from __future__ import annotations

import click

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
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit_log_cmd(state: CliState, task_id: int | None, limit: int, as_json: bool) -> None:
    """查看审计日志（最新的在前）。"""
    from duban.services.audit import list_events

    with state.session() as session:
        rows = list_events(session, task_id=task_id, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{cell(r.seq, 6)} {moment(r.at)} {cell(r.actor, 12)} {cell(r.action, 26)} "
            f"{r.entity_type}#{r.entity_id}"
        )


@click.group("user")
def user_group() -> None:
    """用户：add 登记 / list 列出。"""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(values(UserRole)), required=True)
@click.option("--agency", metavar="KEY", help="部门用户所属部门")
@click.option("--jurisdiction", metavar="CODE", help="所属辖区（GB/T 2260）")
@click.option("--os-login", help="对应的操作系统登录名")
@click.option("--display-name", help="姓名")
@pass_state
def user_add_cmd(
    state: CliState,
    name: str,
    role: str,
    agency: str | None,
    jurisdiction: str | None,
    os_login: str | None,
    display_name: str | None,
) -> None:
    """登记用户（仅协调人）。登记第一个用户之前，运行 duban 的人视为协调人。"""
    from duban.services.identity import add_user

    with state.session() as session:
        add_user(
            session,
            actor=state.actor(session),
            name=name,
            role=role,
            agency=agency,
            jurisdiction=jurisdiction,
            os_login_name=os_login,
            display_name=display_name,
        )
    click.echo(f"已登记用户 {name}（{UserRole(role).label}）")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def user_list_cmd(state: CliState, as_json: bool) -> None:
    """列出用户。"""
    from duban.services.identity import list_users

    with state.session() as session:
        rows = list_users(session)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{cell(r.name, 16)} {cell(r.role.label, 12)} {cell(r.agency or '-', 12)} "
            f"{cell(r.jurisdiction or '-', 8)} {r.os_login or ''}"
        )
