"""duban assess: 考核 ranking with grades, explained term by term; export, freeze, show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day, moment, rate
from duban.cli.types import DAY, ID
from duban.domain.scoring import NOT_APPLICABLE, explain_line

if TYPE_CHECKING:
    from duban.services.assessment_results import AssessmentResult

REF_NAMES = {"milestone": "节点", "report": "报送", "finding": "发现"}


def _warn_faults(state: CliState) -> None:
    from duban.services.assessment import scheme_faults

    for fault in scheme_faults(state.host):
        click.echo(f"警告：插件出错，已跳过：{fault}", err=True)


def _print(result: AssessmentResult, *, explain: bool) -> None:
    where = result.jurisdiction_name or "全部辖区"
    click.echo(
        f"{where} {result.period} 考核（{result.scheme_title}，{day(result.start)} 至 {day(result.end)}，"
        f"截至 {day(result.as_of)}）"
    )
    frozen = result.frozen
    if frozen:
        click.echo(
            f"已冻结 #{frozen.id}：{frozen.frozen_by} 于 {moment(frozen.frozen_at)}，sha256 {frozen.sha256}"
        )
    click.echo(
        f"{cell('名次', 5)} {cell('部门', 12)} {cell('辖区', 10)} {cell('得分', 7)} {cell('等次', 7)} "
        f"{cell('按时率', 7)} 应报"
    )
    for d in result.departments:
        score = f"{d.score:.2f}" if d.score is not None else NOT_APPLICABLE
        on_time = rate(d.on_time_rate) if d.on_time_rate is not None else NOT_APPLICABLE
        click.echo(
            f"{cell(d.rank if d.rank is not None else '—', 5)} {cell(d.agency_name, 12)} "
            f"{cell(d.jurisdiction_name, 10)} {cell(score, 7)} {cell(d.grade, 7)} {cell(on_time, 7)} {d.due}"
        )
    if not result.departments:
        click.echo("（该考核期内没有到期的节点）")
    if not explain:
        return
    for d in result.departments:
        click.echo("")
        if d.score is None:
            click.echo(f"{d.agency_name}（{d.jurisdiction_name}）  {NOT_APPLICABLE}（本期没有到期的节点）")
        else:
            click.echo(
                f"{d.agency_name}（{d.jurisdiction_name}）  {d.score:.2f} 分  {d.grade}  "
                f"第 {d.rank} 名 / 共 {result.departments_total} 个部门"
            )
        # the same lines as the 说明 column of the 得分构成 sheet (duban.domain.scoring.explain_line)
        for t in d.terms:
            click.echo(f"  {explain_line(t)}")
        for e in result.evidence:
            if e.agency == d.agency and e.jurisdiction == d.jurisdiction:
                ref = f"{REF_NAMES[e.ref_kind]}#{e.ref_id}"
                click.echo(f"    {ref} 任务 {e.task}：{e.detail}")


def _export(state: CliState, result: AssessmentResult, fmt: str, output: Path | None) -> None:
    from duban.services.assessment import export, find_exporter
    from duban.services.dashboard import assessment_trend

    spec = find_exporter(state.host, fmt)
    path = output or Path(f"考核-{result.period}{spec.suffix}")
    with state.session() as session:  # the charts' history: each department's lights at the quarter ends
        trend = assessment_trend(
            session, as_of=result.as_of, departments={(d.agency, d.jurisdiction) for d in result.departments}
        )
    export(state.host, result, fmt=fmt, path=path, trend=trend)
    click.echo(f"已导出：{path}")


def _emit(
    state: CliState,
    result: AssessmentResult,
    *,
    as_json: bool,
    explain: bool,
    fmt: str | None,
    output: Path | None,
    department: bool,
) -> None:
    if fmt:
        _export(state, result, fmt, output)
    if as_json:
        echo_json(result)
    elif not fmt:
        _print(result, explain=explain or department)


export_options = [
    click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（含得分构成和扣分依据）"),
    click.option("--explain", is_flag=True, help="列出每个部门的得分构成及其依据（节点、报送、发现）"),
    click.option("--export", "fmt", metavar="xlsx|md|csv|docx", help="导出为文件（导出插件的名称）"),
    click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="导出文件路径"),
]


def with_export_options(fn: Any) -> Any:
    for option in reversed(export_options):
        fn = option(fn)
    return fn


@click.group("assess", invoke_without_command=True)
@click.option("--period", metavar="2025|2025-H1|2025-Q3", help="考核期：年度、半年或季度")
@click.option("--jurisdiction", metavar="CODE", help="只考核该辖区的部门（GB/T 2260 代码）")
@click.option("--scheme", metavar="NAME", help="考核方案（插件名；默认取配置 scoring.scheme）")
@click.option("--as-of", "as_of", type=DAY, help="以该日为准（默认考核期最后一天）")
@click.option("--freeze", is_flag=True, help="冻结（发布）结果：保存并把哈希记入审计日志")
@with_export_options
@click.pass_context
@pass_state
def assess_group(
    state: CliState,
    ctx: click.Context,
    period: str | None,
    jurisdiction: str | None,
    scheme: str | None,
    as_of: dt.datetime | None,
    freeze: bool,
    as_json: bool,
    explain: bool,
    fmt: str | None,
    output: Path | None,
) -> None:
    """考核：按考核方案为各部门打分、排名、评定等次；每一分都可追溯到节点、报送和发现。

    \b
    duban assess --period 2025 [--jurisdiction 530000] [--scheme NAME] [--json|--explain]
    duban assess --period 2025-H1 --export xlsx -o 考核.xlsx
    duban assess --period 2025 --freeze      冻结后：duban assess show 编号
    """
    if ctx.invoked_subcommand is not None:
        return
    if not period:
        raise click.UsageError("请用 --period 指定考核期（2025、2025-H1 或 2025-Q3）", ctx)
    from duban.services.assessment import assess
    from duban.services.assessment import freeze as freeze_result

    config = state.settings.get("scoring")
    day = as_of.date() if as_of else None
    from duban.cli.progress import progress_bar

    state.read_only = not freeze
    with state.session() as session, progress_bar("考核计算（步骤）", quiet=as_json) as bar:
        actor = state.actor(session)
        if freeze:
            _id, result = freeze_result(
                session,
                actor=actor,
                host=state.host,
                period=period,
                config=config,
                scheme=scheme,
                jurisdiction=jurisdiction,
                as_of=day,
                tz=state.settings.timezone,
                progress=bar,
            )
        else:
            result = assess(
                session,
                actor=actor,
                host=state.host,
                period=period,
                config=config,
                scheme=scheme,
                jurisdiction=jurisdiction,
                as_of=day,
                tz=state.settings.timezone,
                evidence=as_json or explain or bool(fmt) or actor.role == "department",
                progress=bar,
            )
    _warn_faults(state)
    _emit(
        state,
        result,
        as_json=as_json,
        explain=explain,
        fmt=fmt,
        output=output,
        department=actor.role == "department",
    )
    if freeze and not as_json and result.frozen is not None:
        f = result.frozen
        click.echo(
            f"已冻结考核 #{f.id}，sha256 {f.sha256}（审计日志第 {f.audit_seq} 条）；用 duban assess show {f.id} 查看"
        )


@assess_group.command("show")
@click.argument("assessment_id", type=ID)
@with_export_options
@pass_state
def assess_show_cmd(
    state: CliState, assessment_id: int, as_json: bool, explain: bool, fmt: str | None, output: Path | None
) -> None:
    """显示已冻结的考核结果（先与审计日志中的哈希核对）。"""
    from duban.services.assessment import show

    with state.session() as session:
        actor = state.actor(session)
        result = show(session, actor=actor, assessment_id=assessment_id)
    _emit(
        state,
        result,
        as_json=as_json,
        explain=explain,
        fmt=fmt,
        output=output,
        department=actor.role == "department",
    )


@assess_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def assess_list_cmd(state: CliState, as_json: bool) -> None:
    """列出已冻结的考核结果。"""
    from duban.services.assessment import list_frozen
    from duban.services.names import name_book

    with state.session() as session:
        state.actor(session)
        rows = list_frozen(session)
        names = name_book(session)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"#{cell(r.id, 4)} {cell(r.period, 8)} {cell(r.scheme, 10)} "
            f"{cell(names.jurisdiction(r.jurisdiction, '全部'), 10)} 截至 {day(r.as_of)}  {r.frozen_by} "
            f"{moment(r.frozen_at)}  {r.sha256[:16]}…"
        )


@assess_group.command("schemes")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def assess_schemes_cmd(state: CliState, as_json: bool) -> None:
    """列出已安装的考核方案和导出格式。"""
    from duban.services.assessment import available_schemes

    schemes = [
        {"name": s.name, "title": s.title, "description": s.description}
        for s in available_schemes(state.host)
    ]
    exporters = [
        {"name": e.name, "suffix": e.suffix, "description": e.description} for e in state.host.exporters()
    ]
    if as_json:
        echo_json({"schemes": schemes, "exporters": exporters})
    else:
        for spec in schemes:
            click.echo(f"方案 {cell(spec['name'], 12)} {spec['title']}  {spec['description']}")
        for spec in exporters:
            click.echo(f"导出 {cell(spec['name'], 12)} {spec['suffix']}  {spec['description']}")
    _warn_faults(state)
