"""duban demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from duban.cli.state import CliState, echo_json, pass_state
from duban.cli.types import DAY, CountType


@click.command("demo")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="演示数据库文件（默认：配置的数据库位置）",
)
@click.option("--no-open", is_flag=True, help="只建库，不打开仪表盘（供脚本使用）")
@click.option("--seed", default=None, type=CountType(0, 2**32 - 1), help="随机种子（默认固定，结果可重现）")
@click.option("--today", "today", type=DAY, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出摘要")
@click.option(
    "--scale",
    type=click.Choice(["seeds", "national"]),
    default="seeds",
    show_default=True,
    help="national：全国 31 个省份落实民发〔2019〕86号并下发到每个县，三年节点和报送（数百万行，需 --db）",
)
@pass_state
def demo_cmd(
    state: CliState,
    db_path: Path | None,
    no_open: bool,
    seed: int | None,
    today: dt.datetime | None,
    as_json: bool,
    scale: str = "seeds",
) -> None:
    """新建演示数据库（嵌入式 SQLite）：导入五份种子政策，生成 2019 年以来的排期、报送、延期、退回和逾期，然后打开仪表盘。"""
    from sqlalchemy.engine import make_url

    from duban.config import sqlite_url
    from duban.errors import ValidationError
    from duban.services.clock import local_today
    from duban.services.demo import DEMO_SEED, build_demo, check_can_replace
    from duban.storage.db import make_engine

    if scale == "national" and db_path is None:
        raise ValidationError("duban demo --scale national 需要用 --db 指定数据库文件")
    if db_path is None:
        url = make_url(state.database_url)
        if url.get_backend_name() != "sqlite" or not url.database:
            raise ValidationError("duban demo 只建嵌入式 SQLite 数据库：请用 --db 指定文件")
        db_path = Path(url.database)
    db_path = db_path.expanduser().resolve()
    check_can_replace(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(sqlite_url(db_path))
    day = today.date() if today else local_today(state.settings.timezone)
    if scale == "national":
        _national(state, engine, db_path, day, DEMO_SEED if seed is None else seed, as_json)
        if not no_open:
            _open(state, sqlite_url(db_path))
        return
    from duban.cli.progress import progress_bar

    with progress_bar("生成演示数据", quiet=as_json) as bar:
        summary = build_demo(
            engine,
            host=state.host,
            today=day,
            seed=DEMO_SEED if seed is None else seed,
            folder=db_path.parent,
            progress=bar,
        )
    engine.dispose()
    if as_json:
        echo_json(summary)
    else:
        _echo_summary(summary, db_path)
    if no_open:
        return
    # the dashboard runs on the demo's configuration, so that 立即提醒 (m) writes into its 通知/ folder
    demo_state = CliState(
        db=sqlite_url(db_path),
        config_path=Path(summary.config) if summary.config else state.config_path,
        as_user=state.as_user,
        traceback=state.traceback,
    )
    _open(demo_state, sqlite_url(db_path))


def _echo_summary(summary: Any, db_path: Path) -> None:
    from shlex import quote

    click.echo(f"演示数据库：{db_path}")
    for p in summary.policies:
        click.echo(f"  {p.doc_number or '（无文号）'} {p.title}（{p.status.label}）")
    click.echo(
        f"节点 {summary.milestones} 个，报送 {summary.reports} 份（退回 {summary.returned}），"
        f"延期申请 {summary.extensions} 个，已办结责任 {summary.closed} 条"
        f"（其中任务 {'、'.join(f'#{t}' for t in summary.closed_tasks) or '无'} 的全部责任已办结）"
    )
    click.echo(
        f"待协调人处理：复核报送 {summary.awaiting_review} 份，审批延期 {summary.awaiting_decision} 个，"
        f"未签收责任 {summary.unsigned} 条"
    )
    if summary.bound_tasks:
        click.echo(f"已绑定部门模板的任务 {summary.bound_tasks} 项，检查发现 {summary.findings} 条")
    click.echo(f"用户：{'、'.join(summary.users)}（第一个为协调人，即当前登录用户）")
    if summary.config:
        config = quote(summary.config)
        click.echo(f"演示配置：{summary.config}（数据库地址和通知渠道）")
        click.echo(
            f"通知文件夹：{summary.sink}（每条消息一个 JSON 文件；{summary.notify_day} 的提醒已发送 "
            f"{summary.messages} 条）"
        )
        click.echo(f"试试：duban --config {config} inbox    duban --config {config} notify log")
        click.echo(f"      duban --config {config} notify    duban --config {config} status")
    else:
        click.echo(f"试试：duban --db {db_path} status    duban --db {db_path} overdue")


def _open(state: CliState, url: str) -> None:
    try:
        from duban.cli.cmd_dashboard import open_dashboard
    except ImportError:
        click.echo("（仪表盘尚未安装：已只建库）")
        return
    open_dashboard(state, url)


def _national(state: CliState, engine: Any, db_path: Path, day: dt.date, seed: int, as_json: bool) -> None:
    """duban demo --scale national: bulk-built, with a progress bar on stderr; a failed build is deleted."""
    from duban.cli.progress import progress_bar
    from duban.services.national_demo import build_national, estimate_rows

    try:
        with progress_bar("生成全国规模演示数据", total=estimate_rows(), quiet=as_json) as bar:
            summary = build_national(engine, host=state.host, today=day, seed=seed, progress=bar)
    except BaseException:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        raise
    engine.dispose()
    if as_json:
        echo_json(summary)
        return

    click.echo(f"演示数据库：{db_path}（{summary.seconds['total']:.0f} 秒）")
    click.echo(
        f"{summary.provinces} 个省份、{summary.jurisdictions} 个辖区、{summary.tasks} 项省级任务；"
        f"责任 {summary.responsibilities} 条，节点 {summary.milestones} 个，报送 {summary.reports} 份"
        f"（逾期报送 {summary.late}，退回 {summary.returned}，近期未报 {summary.unreported}）"
    )
    click.echo(f"试试：duban --db {db_path} overdue    duban --db {db_path} status")
