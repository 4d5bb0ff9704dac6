"""The root command: global options, lazy subcommands, and the error edge."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from duban import __version__
from duban.cli.lazy import LazyGroup
from duban.cli.state import CliState
from duban.cli.types import NAME
from duban.domain.limits import escape, has_surrogates

#: commands that draw a full-screen interface and keep the terminal's real streams
TERMINAL_COMMANDS = frozenset({"dashboard", "demo"})

#: exit codes are documented in README.md and docs/errors.md
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("duban.cli.cmd_setup:init_cmd", "创建用户配置并建立/升级数据库"),
    "db": ("duban.cli.cmd_setup:db_group", "数据库维护（upgrade / current）"),
    "plugins": ("duban.cli.cmd_plugins:plugins_cmd", "列出已安装的插件及其错误"),
    "plugin": ("duban.cli.cmd_plugin_new:plugin_group", "编写部门插件（new：生成插件包）"),
    "agencies": ("duban.cli.cmd_reference:agencies_cmd", "列出部门（机构）"),
    "jurisdictions": ("duban.cli.cmd_reference:jurisdictions_cmd", "列出行政区划"),
    "import": ("duban.cli.cmd_import:import_cmd", "导入政策文件，生成督办任务"),
    "policies": ("duban.cli.cmd_import:policies_cmd", "列出已导入的政策"),
    "tasks": ("duban.cli.cmd_import:tasks_cmd", "列出任务及分工"),
    "alias": ("duban.cli.cmd_import:alias_group", "部门别名：导入复核时学到的写法（list / add / remove）"),
    "demo": ("duban.cli.cmd_demo:demo_cmd", "新建演示数据库并打开仪表盘"),
    "ack": ("duban.cli.cmd_workflow:ack_cmd", "签收一项责任"),
    "report": ("duban.cli.cmd_workflow:report_group", "进度报送（submit / list / template / import）"),
    "review": ("duban.cli.cmd_workflow:review_group", "复核报送（accept / return）"),
    "extend": ("duban.cli.cmd_workflow:extend_group", "延期申请（request / approve / refuse）"),
    "status": ("duban.cli.cmd_workflow:status_cmd", "红黄绿状态"),
    "overdue": ("duban.cli.cmd_workflow:overdue_cmd", "逾期未报的节点"),
    "audit": ("duban.cli.cmd_admin:audit_group", "审计日志（verify / checkpoint / keygen / log）"),
    "user": ("duban.cli.cmd_admin:user_group", "用户（add / list / role / remove / recover）"),
    "inbox": (
        "duban.cli.cmd_inbox:inbox_cmd",
        "待我处理：待复核、待审批、待签收、被退回、即将到期（带办理命令）",
    ),
    "calendar": ("duban.cli.cmd_schedule:calendar_group", "工作日历（YYYY-MM / import）"),
    "schedule": (
        "duban.cli.cmd_schedule:schedule_group",
        "排期（propose / set / confirm / remove / list / start）",
    ),
    "template": (
        "duban.cli.cmd_template:template_group",
        "部门模板绑定（propose / confirm / reject / bind / list / catalog）",
    ),
    "findings": ("duban.cli.cmd_findings:findings_cmd", "插件检查的发现（报送检查和责任检查）"),
    "dashboard": ("duban.cli.cmd_dashboard:dashboard_cmd", "督办仪表盘（终端界面；--web 在浏览器中）"),
    "milestones": ("duban.cli.cmd_schedule:milestones_group", "督办节点（列表 / generate / withdraw）"),
    "notify": ("duban.cli.cmd_notify:notify_group", "督办提醒：按规则发送（log / retry / silence / test）"),
    "assess": ("duban.cli.cmd_assess:assess_group", "考核：打分、排名、等次（show / list / schemes）"),
    "map": (
        "duban.cli.cmd_cascade:map_group",
        "任务映射：下级任务落实哪项上级任务（propose / confirm / accept / list）",
    ),
    "compare": ("duban.cli.cmd_cascade:compare_cmd", "比较两份政策：任务对应、缺漏和分工变化"),
    "cascade": ("duban.cli.cmd_cascade:cascade_cmd", "把政策任务下发到下级辖区（省→市→县）并汇总灯色"),
}


class DubanGroup(LazyGroup):
    """The error edge (docs/errors.md): click's messages in Chinese, argv that is not UTF-8 refused, every
    failure of a command turned into a DubanError's short message on stderr and its documented exit code
    (the traceback only with ``--traceback``), and every line written for a person escaped."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from duban.cli.messages import install

        install()
        argv = [str(a) for a in (sys.argv[1:] if args is None else args)]
        bad = next((a for a in argv if has_surrogates(a)), None)
        if bad is not None:
            click.echo(f"错误：参数 '{escape(bad)}' 含有无效的 UTF-8 字节：请用 UTF-8 编码输入", err=True)
            sys.exit(2)
        return super().main(
            args=argv,
            prog_name=prog_name,
            complete_var=complete_var,
            standalone_mode=standalone_mode,
            **extra,
        )

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if name not in TERMINAL_COMMANDS and "duban.streams" not in ctx.meta:
            from duban.cli.edge import escape_streams

            ctx.meta["duban.streams"] = escape_streams()
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            state = ctx.find_object(CliState)
            if state is not None and state.traceback:
                raise
            from duban.cli.edge import as_duban_error

            error = as_duban_error(exc, state)
            click.echo(f"错误：{error}", err=True)
            ctx.exit(error.exit_code)
        finally:
            saved = ctx.meta.pop("duban.streams", None)
            if saved is not None:
                from duban.cli.edge import restore_streams

                restore_streams(saved)


@click.group(cls=DubanGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duban")
@click.option(
    "--db",
    "db",
    metavar="URL|PATH",
    help="数据库地址或 SQLite 文件路径（优先于 DUBAN_DATABASE_URL 和配置文件）",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="配置文件（默认 ~/.config/duban/duban.toml）",
)
@click.option(
    "--as",
    "as_user",
    metavar="USER",
    type=NAME,
    help="以指定用户身份操作（SQLite：仅协调人；PostgreSQL：仅数据库的所有者，审计记为“所有者 代 用户”）",
)
@click.option("--traceback", is_flag=True, help="出错时显示完整的调用栈")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config_path: Path | None, as_user: str | None, traceback: bool
) -> None:
    """duban（督办）：农村留守妇女关爱服务政策任务分工的督查督办系统。"""
    ctx.obj = CliState(db=db, config_path=config_path, as_user=as_user, traceback=traceback)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``duban`` console script."""
    cli.main(args=argv, prog_name="duban")
