"""duban audit verify|checkpoint|keygen|log, duban user add|list|role|remove|recover."""

from __future__ import annotations

from pathlib import Path

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import moment
from duban.cli.types import ID, NAME
from duban.domain.vocabulary import UserRole, values


@click.group("audit")
def audit_group() -> None:
    """审计日志：verify 校验 / checkpoint 签发检查点 / keygen 生成签名密钥 / log 查看。"""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="同时对照一个检查点文件（duban audit checkpoint 签发）验证：能发现截断、删除末尾、重算哈希链和日志之外的数据改动",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit_verify_cmd(state: CliState, checkpoint_file: Path | None, as_json: bool) -> None:
    """校验审计日志的哈希链：指出被修改、插入或删除的事件。有问题时退出码为 12。

    加 --checkpoint 文件 时先校验检查点的签名（签名不符或文件无效时退出码为 13，没有密钥时为 3），
    再核对日志仍包含检查点记下的前缀、只在其后追加，且责任、报送、延期申请的改动都有审计事件。
    """
    from duban.services.audit import verify

    if checkpoint_file is None:
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
        return
    from duban.services.audit_checkpoint import (
        KEY_SETTING,
        key_path,
        load_key,
        read_checkpoint,
        verify_against,
    )

    key = load_key(key_path(state.settings.get(KEY_SETTING)))
    checkpoint = read_checkpoint(checkpoint_file, key=key)
    with state.session() as session:
        verdict = verify_against(session, checkpoint)
    if as_json:
        echo_json(verdict.to_json())
    else:
        click.echo(
            f"检查点：{moment(verdict.at)}，至第 {verdict.last_seq} 条，共 {verdict.count} 条事件（签名有效）；"
            f"现有 {verdict.events_now} 条，其后追加 {verdict.events_after} 条"
        )
        for p in verdict.problems:
            click.echo(f"第 {p.seq} 条：{p.message}" if p.kind != "data_changed" else p.message)
        if verdict.ok:
            click.echo("审计日志完整：哈希链无误，检查点之前的日志未被改动，之后只有追加，数据改动都有记录")
    if not verdict.ok:
        raise SystemExit(12)


@audit_group.command("checkpoint")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="检查点文件（JSON）；默认写到数据目录的 audit-checkpoints/ 下。最好另存到数据库服务器之外",
)
@click.option("--notify", "tag", metavar="TAG", help="同时通过标签为 TAG 的通知渠道发出（不经发件箱）")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit_checkpoint_cmd(state: CliState, out: Path | None, tag: str | None, as_json: bool) -> None:
    """签发审计检查点：用数据库之外的密钥（HMAC-SHA256）签署日志的当前末尾和责任、报送、延期申请的状态。

    密钥文件由环境变量 DUBAN_AUDIT_KEY_FILE 或配置项 [audit] key_file 指定（duban audit keygen 生成）；
    没有密钥时拒绝（退出码 3）。以后用 duban audit verify --checkpoint 文件 核对。
    """
    from duban.services.audit_checkpoint import (
        KEY_SETTING,
        TABLE_LABELS,
        key_path,
        load_key,
        make_checkpoint,
        notify_checkpoint,
        result_of,
        write_checkpoint,
    )

    key = load_key(key_path(state.settings.get(KEY_SETTING)))
    with state.session() as session:
        checkpoint = make_checkpoint(
            session, key=key, database=state.engine.url.render_as_string(hide_password=True)
        )
    notified: tuple[str, ...] = ()
    if tag:
        from duban.notify import load_notify_config

        notified = notify_checkpoint(checkpoint, config=load_notify_config(state.settings), tag=tag)
    path = None
    if out is not None or not tag:
        if out is None:
            from duban.config import data_dir

            stamp = f"{checkpoint.at:%Y%m%dT%H%M%S}"
            out = data_dir() / "audit-checkpoints" / f"audit-{checkpoint.last_seq:08d}-{stamp}.json"
        path = write_checkpoint(checkpoint, out)
    result = result_of(checkpoint, path, notified)
    if as_json:
        echo_json(result.to_json())
        return
    click.echo(f"已签发检查点：至第 {result.last_seq} 条，共 {result.count} 条事件（{moment(result.at)}）")
    click.echo("  " + "，".join(f"{TABLE_LABELS[name]} {n} 行" for name, n in result.rows))
    if path is not None:
        click.echo(f"  文件：{path}")
    if notified:
        click.echo(f"  已发送到通知渠道：{'、'.join(notified)}")


@audit_group.command("keygen")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def audit_keygen_cmd(file: Path) -> None:
    """生成检查点签名密钥（32 字节随机数，十六进制；文件权限 600，不覆盖已有文件）。

    密钥要放在数据库之外（另一台机器、另一个系统用户），数据库管理员读不到它。
    """
    from duban.services.audit_checkpoint import KEY_ENV, generate_key

    path = generate_key(file)
    click.echo(f"已生成审计签名密钥：{path}（权限 600）")
    click.echo(
        f'使用：export {KEY_ENV}={path.resolve()}  或在配置文件中写 [audit] key_file = "{path.resolve()}"'
    )


@audit_group.command("log")
@click.option("--task", "task_id", type=ID, help="只看某项任务的事件")
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
@click.argument("name", type=NAME)
@click.option("--role", type=click.Choice(values(UserRole)), required=True)
@click.option("--agency", metavar="KEY", help="部门用户所属部门")
@click.option("--jurisdiction", metavar="CODE", help="所属辖区（GB/T 2260）")
@click.option("--os-login", type=NAME, help="对应的操作系统登录名（SQLite）")
@click.option("--display-name", type=NAME, help="姓名")
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
    from duban.services.names import name_book

    with state.session() as session:
        page = list_users_page(session, limit=limit, offset=offset)
        names = name_book(session)
    if as_json:
        echo_json(page.to_json())
        return
    for r in page.items:
        click.echo(
            f"{cell(r.name, 16)} {cell(r.role.label, 12)} {cell(names.agency(r.agency, r.jurisdiction) if r.agency else '-', 16)} "
            f"{cell(names.jurisdiction(r.jurisdiction), 10)} {r.db_role or r.os_login or ''}"
        )
    echo_range(page, "位")


@user_group.command("role")
@click.argument("name", type=NAME)
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
@click.argument("name", type=NAME)
@pass_state
def user_remove_cmd(state: CliState, name: str) -> None:
    """注销用户（仅协调人；其报送和审计记录保留原名）。不能注销最后一位协调人（退出码 9）。"""
    from duban.services.users import remove_user

    with state.session() as session:
        remove_user(session, actor=state.actor(session), name=name)
    click.echo(f"已注销用户 {name}")


@user_group.command("recover")
@click.option(
    "--name",
    metavar="USER",
    type=NAME,
    help="恢复为协调人的用户（默认：当前操作系统用户对应的用户，或以登录名新登记）",
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
