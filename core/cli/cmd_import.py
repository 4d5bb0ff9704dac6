"""duban import, duban policies, duban tasks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duban.cli.paging import echo_range, paging_options
from duban.cli.state import CliState, cell, echo_json, pass_state
from duban.cli.text import day
from duban.cli.types import DAY, NAME
from duban.domain.vocabulary import PolicyStatus, Role, values

if TYPE_CHECKING:
    from duban.services.import_results import ImportSummary
    from duban.services.importing import ImportResult


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只解析和比较，不写入数据库（没有数据库时只解析）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出解析结果（可编辑后用 --answers 导入）")
@click.option(
    "--answers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="按复核结果导入：--dry-run --json 的输出（或 --xlsx 写出的 Excel），改正了分工、合并或拆分了任务",
)
@click.option(
    "--xlsx",
    "xlsx_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="与 --dry-run 一起：把解析结果写成可编辑的 Excel（每项任务一行），改好后用 --answers 导入",
)
@click.option("--review", is_flag=True, help="在仪表盘中预览并改正解析结果，确认后写入")
@click.option("--strict", is_flag=True, help="有无法识别的部门名称时拒绝导入")
@click.option("--jurisdiction", metavar="CODE", help="发文辖区的 GB/T 2260 代码（覆盖从发文单位推断的结果）")
@click.option("--implements", metavar="DOCNO", help="所落实的上级文件文号（覆盖从正文找到的结果）")
@click.option("--replace", is_flag=True, help="替换已导入的同一文件的旧版本（旧版本保留在历史中）")
@click.option(
    "--from",
    "start",
    type=DAY,
    help="督办起始日 YYYY-MM-DD：此前的节点不生成（默认导入当天；替换时沿用旧版本的）",
)
@pass_state
def import_cmd(
    state: CliState,
    files: tuple[Path, ...],
    dry_run: bool,
    as_json: bool,
    strict: bool,
    jurisdiction: str | None,
    implements: str | None,
    replace: bool,
    start: dt.datetime | None,
    answers: Path | None,
    xlsx_out: Path | None,
    review: bool,
) -> None:
    """导入政策文件（txt/docx/pdf…），把“任务分工”变成督办任务。每份文件的导入是一个事务。

    可以一次导入多份文件或一个文件夹（duban import 文件夹、duban import A B C）：逐份导入，最后列出汇总表；
    有文件失败时其他文件照常导入，退出码为第一份失败文件的退出码（见 docs/import.md）。
    督办从起始日开始（--from，默认导入当天）：导入一份 2019 年的文件，不会生成 2019 年以来的节点。
    导入前复核：--dry-run --json 输出可编辑的解析结果，改好后用 --answers 导入；或用 --review 在仪表盘中改。
    """
    from duban.services.importing import import_policy

    if len(files) > 1 or files[0].is_dir():
        if review or answers is not None or xlsx_out is not None:
            raise click.UsageError(
                "一次导入多份文件或文件夹时不能使用 --review、--answers 或 --xlsx（它们针对一份文件）"
            )
        _import_many(
            state,
            files,
            dry_run=dry_run,
            as_json=as_json,
            strict=strict,
            jurisdiction=jurisdiction,
            implements=implements,
            replace=replace,
            start=start,
        )
        return
    file = files[0]
    if review and (dry_run or as_json or answers is not None or xlsx_out is not None):
        raise click.UsageError("--review 不能与 --dry-run、--json、--xlsx 或 --answers 同时使用")
    if xlsx_out is not None and not dry_run:
        raise click.UsageError("--xlsx 只能与 --dry-run 一起使用")
    options = _import_options(state, strict, jurisdiction, implements, replace, start)
    if review:
        _review(state, file, options)
        return
    document = None
    if answers is not None:
        from duban.services.import_review import read_answers

        document = read_answers(answers)
    if dry_run and not _has_database(state):
        result = import_policy(
            None,
            actor=None,
            host=state.host,
            path=file,
            dry_run=True,
            answers=document,
            answers_name=str(answers),
            **options,
        )
    else:
        with state.session() as session:
            result = import_policy(
                session,
                actor=state.actor(session),
                host=state.host,
                path=file,
                dry_run=dry_run,
                answers=document,
                answers_name=str(answers),
                **options,
            )
    if xlsx_out is not None:
        from duban.services.import_review import write_answers_xlsx

        write_answers_xlsx(result.document, xlsx_out)
        click.echo(
            f"已写出复核表：{xlsx_out}（改好后用 duban import {file} --answers {xlsx_out} 导入）", err=True
        )
    _show(result, as_json)


def collect_files(paths: tuple[Path, ...], suffixes: set[str]) -> list[Path]:
    """The documents to import: files as given (in that order), and each folder's files directly inside it
    whose suffix a document reader claims, by name (hidden files, sub-folders and other files skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    (
                        p
                        for p in path.iterdir()
                        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes
                    ),
                    key=lambda p: p.name,
                )
            )
        else:
            found.append(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise click.UsageError(
            f"{'、'.join(str(p) for p in paths)} 中没有可导入的文件（应为 {'、'.join(sorted(suffixes))}）"
        )
    return unique


def _import_many(
    state: CliState,
    paths: tuple[Path, ...],
    *,
    dry_run: bool,
    as_json: bool,
    strict: bool,
    jurisdiction: str | None,
    implements: str | None,
    replace: bool,
    start: dt.datetime | None,
) -> None:
    """Several documents in one process: one transaction per document, a summary table, a progress bar."""
    from duban.cli.edge import as_duban_error
    from duban.cli.progress import progress_bar
    from duban.services.import_results import ImportOutcome, ImportSummary
    from duban.services.importing import import_policy

    suffixes = {
        (s if s.startswith(".") else "." + s).lower()
        for spec in state.host.document_readers()
        for s in spec.suffixes
    }
    files = collect_files(paths, suffixes)
    options = _import_options(state, strict, jurisdiction, implements, replace, start)
    with_database = not dry_run or _has_database(state)
    outcomes: list[ImportOutcome] = []
    with progress_bar("导入文件", total=len(files), quiet=as_json) as bar:
        for path in files:
            try:
                if with_database:
                    with state.session() as session:
                        result = import_policy(
                            session,
                            actor=state.actor(session),
                            host=state.host,
                            path=path,
                            dry_run=dry_run,
                            **options,
                        )
                else:
                    result = import_policy(
                        None, actor=None, host=state.host, path=path, dry_run=True, **options
                    )
            except Exception as exc:  # one document's failure is recorded and the others go on
                if state.traceback:
                    raise
                error = as_duban_error(exc, state)
                outcomes.append(ImportOutcome.failed(path, str(error), error.exit_code))
            else:
                outcomes.append(ImportOutcome.of(path, result))
            bar(1)
    summary = ImportSummary(tuple(outcomes))
    if as_json:
        echo_json(summary)
    else:
        _show_summary(summary)
    if summary.exit_code:
        raise SystemExit(summary.exit_code)


def _show_summary(summary: ImportSummary) -> None:
    click.echo(f"{cell('文件', 30)} {cell('结果', 12)} {cell('文号', 22)} {cell('任务', 5)} 说明")
    for o in summary.outcomes:
        click.echo(
            f"{cell(o.file, 30)} {cell(o.outcome.label, 12)} {cell(o.doc_number or '-', 22)} "
            f"{cell('' if o.tasks is None else o.tasks, 5)} "
            f"{o.message or (f'警告 {o.warnings} 条（单独导入该文件可查看）' if o.warnings else '')}"
        )
    counts = "，".join(f"{kind.label} {n}" for kind, n in summary.counts().items())
    click.echo(f"共 {len(summary.outcomes)} 份文件：{counts}")


def _has_database(state: CliState) -> bool:
    """Whether there is a database to compare a dry run with: a SQLite file that does not exist (or is
    empty) is none, and is not created; a database without any migration is none either."""
    from sqlalchemy.engine import make_url

    from duban.storage.migrate import current_revision

    url = make_url(state.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:":
            return False
        path = Path(database)
        if not path.is_file() or path.stat().st_size == 0:
            return False
    return current_revision(state.engine) is not None


def _review(state: CliState, file: Path, options: dict[str, object]) -> None:
    """``--review``: the dashboard's import preview; writes through the same answers path as --answers."""
    from duban.storage.db import session_factory
    from duban.storage.migrate import require_current
    from duban.tui.review import create_review_app

    require_current(state.engine)
    factory = session_factory(state.engine)
    with factory() as session:
        actor = state.actor(session)
    app = create_review_app(
        session_factory=factory,
        host=state.host,
        actor=actor,
        path=file,
        options=options,
        keymap=state.settings.get("dashboard.keymap") or None,
    )
    result = app.run()
    if result is None:
        click.echo("已放弃，未写入任何内容")
        return
    _show(result, False)


def _show(result: ImportResult, as_json: bool) -> None:
    if as_json:
        echo_json(result.document)
        return
    from duban.domain.vocabulary import Role

    doc = result.document
    p = doc.policy
    verdict = {
        "created": "已导入",
        "unchanged": "与已导入的版本相同，未作改动",
        "replaced": "已替换旧版本",
        "dry_run": "试运行，未写入",
    }[result.status]
    click.echo(f"{p.doc_number or '（无文号）'} {p.title or ''}")
    click.echo(
        f"辖区：{p.jurisdiction or '未知'}  印发：{day(p.issued, '未知')}  状态：{PolicyStatus(p.status).label}"
        f"  落实：{p.implements or '-'}  —— {verdict}"
    )
    if result.supervision_start is not None:
        click.echo(f"督办起始日：{day(result.supervision_start)}（此前的节点不生成）")
    click.echo(f"{cell('编号', 10)} {cell('任务', 40)} 部门")
    for t in doc.tasks:
        number = f"{t.section}.{t.number}" if t.section else t.number
        parties = "；".join(
            f"{r.name}({Role(r.role).label})" + ("" if r.agency else "?") for r in t.responsibilities
        )
        doubt = "  存疑：" + "、".join(dict.fromkeys(d.kind.label for d in t.doubts)) if t.doubts else ""
        click.echo(f"{cell(number, 10)} {cell(t.text, 40)} {parties}{doubt}")
    if result.diff is not None and not result.diff.empty:
        click.echo("与上一版本的差异：")
        for line in result.diff.lines():
            click.echo(f"  {line}")
    for w in doc.warnings:
        where = f"第 {w.line} 行：" if w.line else ""
        click.echo(f"警告：{where}{w.message}", err=True)


@click.command("policies")
@click.option("--all", "include_all", is_flag=True, help="包括已被替换的旧版本")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def policies_cmd(state: CliState, include_all: bool, limit: int, offset: int, as_json: bool) -> None:
    """列出已导入的政策文件（按印发日期；--limit / --offset 翻页）。"""
    from duban.services.catalog import list_policies_page

    with state.session() as session:
        page = list_policies_page(session, include_superseded=include_all, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(
        f"{cell('编号', 5)} {cell('文号', 20)} {cell('标题', 44)} {cell('印发', 11)} {cell('状态', 10)} 任务数"
    )
    for r in page.items:
        click.echo(
            f"{cell(r.id, 5)} {cell(r.doc_number or '-', 20)} {cell(r.title, 44)} "
            f"{cell(day(r.issued), 11)} {cell(r.status.label, 10)} {r.tasks}"
        )
    echo_range(page, "份")


@click.command("tasks")
@click.option("--policy", metavar="DOCNO|ID", help="只列出该政策的任务")
@click.option("--agency", metavar="KEY", help="只列出该部门参与的任务")
@click.option("--role", type=click.Choice(values(Role)), help="与 --agency 一起：只列该角色")
@paging_options(200)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def tasks_cmd(
    state: CliState,
    policy: str | None,
    agency: str | None,
    role: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """列出任务及其牵头、配合和共同负责部门。"""
    from duban.services.catalog import list_tasks

    with state.session() as session:
        page = list_tasks(session, policy=policy, agency=agency, role=role, limit=limit, offset=offset)
    if as_json:
        echo_json(page.to_json())
        return
    click.echo(
        f"{cell('政策', 18)} {cell('编号', 10)} {cell('任务', 36)} {cell(Role.LEAD.label, 14)} "
        f"{Role.SUPPORT.label}/{Role.JOINT.label}"
    )
    for t in page.items:
        number = f"{t.section}.{t.number}" if t.section else t.number
        others = "、".join(t.support) or (f"{Role.JOINT.label}：" + "、".join(t.joint) if t.joint else "-")
        click.echo(
            f"{cell(t.policy, 18)} {cell(number, 10)} {cell(t.text, 36)} "
            f"{cell('、'.join(t.lead) or '-', 14)} {others}"
        )
    echo_range(page, "项")


@click.group("alias")
def alias_group() -> None:
    """部门别名：导入复核时把文件中的写法（如“县妇女联合会”）对应到部门，下次导入自动识别。"""


@alias_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_state
def alias_list_cmd(state: CliState, as_json: bool) -> None:
    """列出学到的别名（写法 → 部门代码，谁、何时、来自哪个文件）。"""
    from duban.services.aliases import list_aliases

    with state.session() as session:
        rows = list_aliases(session)
    if as_json:
        echo_json(list(rows))
        return
    click.echo(f"{cell('写法', 30)} {cell('部门', 14)} {cell('登记人', 12)} {cell('时间', 11)} 来源")
    for r in rows:
        click.echo(
            f"{cell(r.name, 30)} {cell(r.agency, 14)} {cell(r.created_by, 12)} "
            f"{cell(day(r.created_at.date()), 11)} {r.source_name or '-'}"
        )
    click.echo(f"共 {len(rows)} 个别名")


@alias_group.command("add")
@click.argument("name", type=NAME)
@click.argument("agency")
@pass_state
def alias_add_cmd(state: CliState, name: str, agency: str) -> None:
    """登记一个别名：文件中的写法 NAME 指部门 AGENCY（部门代码，见 duban agencies）。"""
    from duban.services.aliases import add_alias

    with state.session() as session:
        row = add_alias(session, actor=state.actor(session), name=name, agency=agency)
    click.echo(f"已登记别名：{row.name} → {row.agency}")


@alias_group.command("remove")
@click.argument("name", type=NAME)
@pass_state
def alias_remove_cmd(state: CliState, name: str) -> None:
    """删除一个别名（已导入的任务不受影响）。"""
    from duban.services.aliases import remove_alias

    with state.session() as session:
        row = remove_alias(session, actor=state.actor(session), name=name)
    click.echo(f"已删除别名：{row.name} → {row.agency}")


def _import_options(
    state: Any, strict: bool, jurisdiction: Any, implements: Any, replace: bool, start: Any
) -> dict[str, Any]:
    """The options one import passes to the service (the same for one document and for many)."""
    from duban.services.clock import local_today

    return {
        "strict": strict,
        "jurisdiction": jurisdiction,
        "implements": implements,
        "replace": replace,
        "supervision_start": start.date() if start else None,
        "today": local_today(state.settings.timezone),
        "coordinator_agency": state.settings.get("general.coordinator_agency"),
    }
