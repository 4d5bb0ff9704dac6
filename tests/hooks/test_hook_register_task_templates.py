"""duban_register_task_templates: a task on a template takes exactly the template's indicators."""

from __future__ import annotations

from pathlib import Path

from tests.hooks.conftest import JIAOYU, Site, make_world

TEMPLATES = """
from duban.plugin import IndicatorSpec, TaskTemplateSpec, hookimpl

@hookimpl
def duban_register_indicators():
    return [
        IndicatorSpec(key="jiaoyu.activities", name="开展家庭教育指导活动场次", required=True),
        IndicatorSpec(key="jiaoyu.budget", name="投入经费", type="float", unit="万元"),
    ]

@hookimpl
def duban_register_task_templates():
    return [
        TaskTemplateSpec(
            key="jiaoyu.guidance",
            agency="jiaoyu",
            title="开展家庭教育指导活动",
            schedule="every 6 months",
            indicators=("jiaoyu.activities",),
        )
    ]
"""


def test_hook_register_task_templates(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_templates", TEMPLATES)
    world = make_world(tmp_path, template="jiaoyu.guidance")
    submit = ("--as", "jy", "report", "submit", str(world.responsibility), "--text", "本期开展活动。")

    # the agency declares jiaoyu.budget, but the template does not ask for it
    code, _out, err = world.run(*submit, "--indicator", "jiaoyu.budget=3.5")
    assert code == 9 and "没有指标 jiaoyu.budget" in err
    code, _out, err = world.run(*submit, "--indicator", "jiaoyu.activities=4")
    assert code == 0, err


def test_a_task_without_a_template_takes_every_indicator_of_its_agency(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_templates", TEMPLATES)
    world = make_world(tmp_path)
    code, _out, err = world.run(
        "--as", "jy", "report", "submit", str(world.responsibility), "--indicator", "jiaoyu.budget=3.5"
    )
    assert code == 0, err
