"""duban_register_indicators: a report may carry the agency's indicators, typed as declared."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from duban.storage.db import make_engine, session_factory
from duban.storage.models import Report
from tests.hooks.conftest import JIAOYU, Site, make_world

INDICATORS = """
from duban.plugin import IndicatorSpec, hookimpl

@hookimpl
def duban_register_indicators():
    return [
        IndicatorSpec(key="jiaoyu.activities", name="开展家庭教育指导活动场次", type="int", unit="场"),
        IndicatorSpec(key="jiaoyu.note", name="备注", type="text"),
    ]
"""


def stored_indicators(db: str) -> list[dict]:
    engine = make_engine(db)
    with session_factory(engine)() as session:
        rows = [dict(r.indicators) for r in session.scalars(select(Report).order_by(Report.id))]
    engine.dispose()
    return rows


def test_hook_register_indicators(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_indicators", INDICATORS)
    world = make_world(tmp_path)
    submit = ("--as", "jy", "report", "submit", str(world.responsibility), "--text", "已在各乡镇开展活动。")

    code, _out, err = world.run(*submit, "--indicator", "jiaoyu.activities=三")
    assert code == 9 and "指标 开展家庭教育指导活动场次（jiaoyu.activities）的值 '三' 不是整数" in err
    code, _out, err = world.run(*submit, "--indicator", "jiaoyu.teachers=5")
    assert (
        code == 9
        and "没有指标 jiaoyu.teachers" in err
        and "jiaoyu.activities（开展家庭教育指导活动场次）" in err
    )

    code, _out, err = world.run(
        *submit, "--indicator", "jiaoyu.activities=12", "--indicator", "jiaoyu.note=无"
    )
    assert code == 0, err
    assert stored_indicators(world.db) == [{"jiaoyu.activities": 12, "jiaoyu.note": "无"}]
