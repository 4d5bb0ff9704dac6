"""duban_check_report: errors refuse a report with the check's message; warnings are stored as findings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from duban.storage.db import make_engine, session_factory
from duban.storage.models import Finding, Report
from tests.hooks.conftest import JIAOYU, Site, make_world

CHECK = """
from duban.plugin import FindingSpec, hookimpl

@hookimpl
def duban_check_report(report):
    if report.agency != "jiaoyu":
        return []
    if "待补充" in report.text:
        return [FindingSpec("jiaoyu.placeholder", "error", "报告中还有“待补充”字样，请写完整后再提交。")]
    if "家长" not in report.text:
        return [FindingSpec("jiaoyu.no_parents", "warning", "报告未提及家长（监护人）参与情况，请核实。")]
    return []
"""


def rows(db: str) -> tuple[int, list[tuple[str, str, str]]]:
    engine = make_engine(db)
    with session_factory(engine)() as session:
        reports = session.scalar(select(func.count()).select_from(Report)) or 0
        findings = [
            (f.plugin, f.code, f.message) for f in session.scalars(select(Finding).order_by(Finding.id))
        ]
    engine.dispose()
    return reports, findings


def test_hook_check_report(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_checks", CHECK)
    world = make_world(tmp_path)
    submit = ("--as", "jy", "report", "submit", str(world.responsibility))

    code, _out, err = world.run(*submit, "--text", "开展活动三场，成效待补充。")
    assert code == 9 and "报告中还有“待补充”字样，请写完整后再提交。" in err
    assert rows(world.db) == (0, [])

    code, _out, err = world.run(*submit, "--text", "开展家庭教育指导活动三场。")
    assert code == 0, err
    assert rows(world.db) == (
        1,
        [("jiaoyu_checks", "jiaoyu.no_parents", "报告未提及家长（监护人）参与情况，请核实。")],
    )


def test_a_check_that_raises_is_named_and_the_report_is_still_checked_by_the_others(
    site: Site, tmp_path: Path
) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_checks", CHECK)
    site.install(
        "broken_check",
        "from duban.plugin import hookimpl\n\n@hookimpl\ndef duban_check_report(report):\n    raise KeyError('x')\n",
    )
    world = make_world(tmp_path)
    code, _out, err = world.run(
        "--as", "jy", "report", "submit", str(world.responsibility), "--text", "开展活动，成效待补充。"
    )
    assert code == 9 and "待补充" in err
    code, _out, err = world.run("plugins")
    assert code == 5 and "broken_check（duban_check_report）：KeyError: 'x'" in err
