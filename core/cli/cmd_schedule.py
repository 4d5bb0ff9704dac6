"""duban calendar, duban schedule, duban milestones.

``calendar`` and ``milestones`` are groups with a default subcommand: ``duban calendar 2026-02`` is
``duban calendar show 2026-02`` and ``duban milestones --due-before …`` is ``duban milestones list …``,
while ``duban calendar import FILE`` and ``duban milestones generate`` name their subcommand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.cli.types import DAY, ID, LINE

if TYPE_CHECKING:
    from duban.services.scheduling import ScheduleRow

KIND_LABEL = {"workday": "工作日", "weekend": "周末", "holiday": "放假", "makeup": "调休上班"}
WEEKDAYS = "一二三四五六日"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class DefaultGroup(click.Group):
    """A group that runs ``default`` when the first argument is not one of its subcommands."""

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        help_names = set(ctx.help_option_names)
        if not args or (args[0] not in self.commands and args[0] not in help_names):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def _today(state: CliState) -> dt.date:
    from duban.services.clock import local_today

    return local_today(state.settings.timezone)


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        click.secho(f"警告：{line}", err=True, fg="yellow")


date_type = DAY


# -- duban calendar -------------------------------------------------------------------------------------


@click.group("calendar", cls=DefaultGroup, default="show")
def calendar_group() -> None:
    """工作日历：duban calendar YYYY-MM（= show）/ duban calendar import 文件。"""


def _month(value: str | None, state: CliState) -> tuple[int, int]:
    if value is None:
        today = _today(state)
        return today.year, today.month
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2200:
        raise click.BadParameter(f"{value!r} 不是 YYYY-MM 形式的月份", param_hint="MONTH")
    return int(match.group(1)), int(match.group(2))


@calendar_group.command("show")
@click.argument("month", required=False, metavar="YYYY-MM")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def calendar_show_cmd(state: CliState, month: str | None, as_json: bool) -> None:
    """显示一个月的工作日、放假日和调休上班日（默认本月）。"""
    from duban.services.calendar import month_view

    year, mon = _month(month, state)
    with state.session() as session:
        view = month_view(session, year, mon)
    if as_json:
        echo_json(view)
        _warn(view.warnings)
        return
    click.echo(f"{year}年{mon}月")
    for d in view.days:
        mark = "上班" if d.working else "休息"
        click.echo(
            f"{day(d.date)} 周{WEEKDAYS[d.date.weekday()]} {cell(mark, 4)} {cell(KIND_LABEL[d.kind], 8)} "
            f"{d.name}".rstrip()
        )
    workdays = sum(1 for d in view.days if d.working)
    click.echo(f"共 {workdays} 个工作日")
    _warn(view.warnings)


@calendar_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def calendar_import_cmd(state: CliState, file: Path) -> None:
    """导入国务院办公厅公布的某年放假安排（TOML 文件，格式见 docs/schedules.md）。"""
    from duban.services.calendar import import_calendar_file

    with state.session() as session:
        summary = import_calendar_file(session, actor=state.actor(session), path=file)
    click.echo(
        f"已导入 {summary.year} 年放假安排（{summary.source}）：放假 {summary.holidays} 天，"
        f"调休上班 {summary.workdays} 天"
    )


# -- duban schedule -------------------------------------------------------------------------------------


@click.group("schedule")
def schedule_group() -> None:
    """排期：propose / set / confirm / remove / list / start（政策的督办起始日）。"""


def _print_schedules(rows: Sequence[ScheduleRow]) -> None:
    click.echo(
        f"{cell('编号', 6)} {cell('任务', 8)} {cell('政策', 18)} {cell('规则', 24)} {cell('说明', 30)} "
        f"{cell('来源', 10)} 状态"
    )
    for r in rows:
        state = "已确认" if r.confirmed else "待确认"
        rule = r.rule + (f"（责任#{r.responsibility}）" if r.responsibility else "")
        click.echo(
            f"{cell(r.id, 6)} {cell(r.task_number, 8)} {cell(r.policy or '-', 18)} "
            f"{cell(rule, 24)} {cell(r.description, 30)} {cell(r.source.label, 10)} {state}"
        )


@schedule_group.command("propose")
@click.option("--policy", "policy", required=True, metavar="DOCNO|ID", help="政策文号或编号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def schedule_propose_cmd(state: CliState, policy: str, as_json: bool) -> None:
    """把政策文件中的时间提示（如“每半年”“2020年年底前”“春节”）变成待确认的排期。"""
    from duban.services.catalog import find_policy
    from duban.services.scheduling import propose_schedules

    with state.session() as session:
        result = propose_schedules(
            session, actor=state.actor(session), policy_id=find_policy(session, policy).id
        )
    if as_json:
        echo_json(result)
        return
    if result.proposed:
        _print_schedules(result.proposed)
    click.echo(
        f"新建议 {len(result.proposed)} 条，已有 {result.existing} 条；"
        "用 duban schedule confirm 编号 确认后才会生成节点"
    )
    _warn(result.warnings)


@schedule_group.command("set", context_settings={"ignore_unknown_options": True})
@click.option("--task", "task_id", type=ID, required=True, help="任务编号（见 duban tasks --json）")
@click.option("--start", type=date_type, help="开始日期 YYYY-MM-DD（默认政策的督办起始日）")
@click.option("--end", type=date_type, help="结束日期 YYYY-MM-DD")
@click.option("--responsibility", "responsibility_id", type=ID, help="只为该责任（部门）排期")
@click.argument("rule", nargs=-1, required=True)
@pass_state
def schedule_set_cmd(
    state: CliState,
    task_id: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    responsibility_id: int | None,
    rule: tuple[str, ...],
) -> None:
    """为任务设定排期（直接生效），例如：duban schedule set --task 12 "holiday 春节 -7"。"""
    from duban.domain.schedule import describe, parse_rule
    from duban.services.scheduling import set_schedule

    with state.session() as session:
        schedule = set_schedule(
            session,
            actor=state.actor(session),
            task_id=task_id,
            rule=" ".join(rule),
            start=start.date() if start else None,
            end=end.date() if end else None,
            responsibility_id=responsibility_id,
        )
    click.echo(
        f"排期 #{schedule.id}：任务 #{task_id} {schedule.rule}（{describe(parse_rule(schedule.rule))}）已生效"
    )


@schedule_group.command("confirm")
@click.argument("schedule_ids", type=ID, nargs=-1, required=True, metavar="ID...")
@click.option("--from", "start", type=date_type, help="该排期自己的督办起始日 YYYY-MM-DD（覆盖政策的起始日）")
@pass_state
def schedule_confirm_cmd(state: CliState, schedule_ids: tuple[int, ...], start: dt.datetime | None) -> None:
    """确认建议的排期（可一次确认多条）；--from 为这些排期另定起始日，此前的节点不生成。"""
    from duban.services.scheduling import confirm_schedule

    with state.session() as session:
        actor = state.actor(session)
        for schedule_id in schedule_ids:
            confirm_schedule(
                session, actor=actor, schedule_id=schedule_id, start=start.date() if start else None
            )
    click.echo(
        "已确认排期 "
        + "、".join(f"#{i}" for i in schedule_ids)
        + (f"，自 {day(start.date())} 起督办" if start else "")
    )


@schedule_group.command("start")
@click.option("--policy", "policy", required=True, metavar="DOCNO|ID", help="政策文号或编号")
@click.argument("start", type=date_type, metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def schedule_start_cmd(state: CliState, policy: str, start: dt.datetime, as_json: bool) -> None:
    """设定政策的督办起始日：此后生成节点时，起始日之前的节点不生成（已生成的保留，可撤回）。"""
    from duban.services.catalog import find_policy
    from duban.services.supervision import set_supervision_start

    with state.session() as session:
        change = set_supervision_start(
            session,
            actor=state.actor(session),
            policy_id=find_policy(session, policy).id,
            start=start.date(),
            coordinator_agency=state.settings.get("general.coordinator_agency"),
        )
    if as_json:
        echo_json(change)
        return
    before = f"（原为 {day(change.previous)}）" if change.previous else ""
    click.echo(f"{change.policy} 的督办起始日：{day(change.start)}{before}")
    if change.warning:
        _warn([change.warning])


@schedule_group.command("remove")
@click.argument("schedule_id", type=ID, metavar="ID")
@pass_state
def schedule_remove_cmd(state: CliState, schedule_id: int) -> None:
    """删除一条排期（已生成的节点保留）。"""
    from duban.services.scheduling import remove_schedule

    with state.session() as session:
        remove_schedule(session, actor=state.actor(session), schedule_id=schedule_id)
    click.echo(f"已删除排期 #{schedule_id}")


@schedule_group.command("list")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的排期")
@click.option("--task", "task_id", type=ID, help="只列出该任务的排期")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def schedule_list_cmd(
    state: CliState, policy: str | None, task_id: int | None, limit: int, offset: int, as_json: bool
) -> None:
    """列出排期（建议的和已确认的）。"""
    from duban.services.scheduling import list_schedules

    with state.session() as session:
        page = list_schedules(session, policy=policy, task_id=task_id, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    _print_schedules(page.items)
    echo_range(page, "条")


# -- duban milestones -----------------------------------------------------------------------------------


@click.group("milestones", cls=DefaultGroup, default="list")
def milestones_group() -> None:
    """督办节点：duban milestones [--due-before 日期]（= list）/ generate / withdraw。"""


@milestones_group.command("generate")
@click.option("--policy", metavar="DOCNO|ID", help="只为该政策生成（默认所有现行政策）")
@click.option("--until", type=date_type, help="生成到该日期（默认今年起 schedule.horizon_years 年的年底）")
@click.option(
    "--include-past",
    is_flag=True,
    help="连督办起始日之前的节点也生成（从政策印发日起；排期自己的起始日仍然有效）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def milestones_generate_cmd(
    state: CliState, policy: str | None, until: dt.datetime | None, include_past: bool, as_json: bool
) -> None:
    """按已确认的排期（无排期或只有一次性期限的任务另按默认周期）生成督办节点，从督办起始日开始；
    重复运行不会重复生成。"""
    from duban.services.catalog import find_policy
    from duban.services.scheduling import generate_milestones

    today = _today(state)
    horizon = int(state.settings.get("schedule.horizon_years", 2))
    end = until.date() if until else dt.date(today.year + max(horizon, 1) - 1, 12, 31)
    with state.session() as session:
        result = generate_milestones(
            session,
            actor=state.actor(session),
            until=end,
            today=today,
            policy_id=find_policy(session, policy).id if policy else None,
            default_cycle=str(state.settings.get("schedule.default_cycle", "quarterly +5wd")),
            include_past=include_past,
        )
    if as_json:
        echo_json(result)
        _warn(result.warnings)
        return
    click.echo(
        f"生成至 {end}：{result.policies} 个政策、{result.tasks} 项任务；新建节点 {result.created} 个，"
        f"已有 {result.existing} 个" + (f"，改期 {result.redated} 个" if result.redated else "")
    )
    if result.skipped_before_start:
        click.echo(
            f"督办起始日之前的节点 {result.skipped_before_start} 个未生成"
            "（需要时加 --include-past，或用 duban schedule start 改起始日）"
        )
    if result.skipped_merged:
        click.echo(f"已由继任部门承接并合并的责任：{result.skipped_merged} 个节点未生成（同一任务只报一次）")
    _warn(result.warnings)


@milestones_group.command("withdraw")
@click.argument("milestone_id", type=ID, metavar="ID")
@click.option("--reason", required=True, type=LINE, help="撤回理由（记入审计日志）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def milestones_withdraw_cmd(state: CliState, milestone_id: int, reason: str, as_json: bool) -> None:
    """撤回一个督办节点（协调人）：节点保留并标为已撤回，不再计入状态、逾期、提醒和考核。"""
    from duban.services.milestones import withdraw_milestone

    with state.session() as session:
        withdrawal = withdraw_milestone(
            session, actor=state.actor(session), milestone_id=milestone_id, reason=reason
        )
    if as_json:
        echo_json(withdrawal)
        return
    click.echo(
        f"已撤回节点 #{withdrawal.milestone}（任务 #{withdrawal.task}，{withdrawal.period}，"
        f"原定 {day(withdrawal.due_date)}）：{withdrawal.reason}"
    )


@milestones_group.command("list")
@click.option("--due-before", "due_before", type=date_type, help="只列出到期日不晚于该日期的节点")
@click.option("--agency", metavar="KEY", help="只列出该部门的节点")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的节点")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def milestones_list_cmd(
    state: CliState,
    due_before: dt.datetime | None,
    agency: str | None,
    policy: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出督办节点（按到期日排序）。"""
    from duban.services.scheduling import list_milestones

    with state.session() as session:
        page = list_milestones(
            session,
            due_before=due_before.date() if due_before else None,
            agency=agency,
            policy=policy,
            limit=limit,
            offset=offset,
        )
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(
        f"{cell('编号', 6)} {cell('到期日', 11)} {cell('原定', 11)} {cell('政策', 18)} {cell('任务', 8)} "
        f"{cell('部门', 14)} {cell('角色', 8)} 期次"
    )
    for m in page.items:
        original = day(m.due_date) if m.due_date != m.effective_due_date else ""
        withdrawn = f"  已撤回：{m.withdrawn_reason}" if m.withdrawn else ""
        click.echo(
            f"{cell(m.id, 6)} {cell(day(m.effective_due_date), 11)} {cell(original, 11)} "
            f"{cell(m.policy, 18)} {cell(m.task_number, 8)} {cell(m.agency_name or m.agency or '-', 14)} "
            f"{cell(m.role.label, 5)} {m.period}{withdrawn}"
        )
    echo_range(page, "个")
