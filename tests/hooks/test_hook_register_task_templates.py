"""duban_register_task_templates: a task on a template takes exactly the template's indicators."""

from __future__ import annotations

import json
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


SERVING = """
from duban.plugin import IndicatorSpec, TaskTemplateSpec, TemplateServes, hookimpl

@hookimpl
def duban_register_indicators():
    return [IndicatorSpec(key="jiaoyu.activities", name="开展家庭教育指导活动场次", required=True)]

@hookimpl
def duban_register_task_templates():
    return [
        TaskTemplateSpec(
            key="jiaoyu.guidance",
            agency="jiaoyu",
            title="开展家庭教育指导活动",
            indicators=("jiaoyu.activities",),
            serves=(TemplateServes(doc="云教发〔2026〕3号", task="一"),),
        ),
        TaskTemplateSpec(
            key="jiaoyu.camps",
            agency="jiaoyu",
            title="暑期“护苗”夏令营",
            keywords=("夏令营",),
        ),
    ]
"""


def test_a_third_party_template_binds_like_a_shipped_one(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("jiaoyu_templates", SERVING)
    world = make_world(tmp_path)
    submit = ("--as", "jy", "report", "submit", str(world.responsibility), "--text", "本期开展活动。")
    code, out, _err = world.run(*submit)
    assert code == 0 and "此任务尚未绑定部门模板，按自由文本报送" in out

    code, out, err = world.run("template", "propose", "--json")
    assert code == 0, err
    proposed = json.loads(out)["proposed"]
    assert [(p["template"], p["source"], p["agency"]) for p in proposed] == [
        ("jiaoyu.guidance", "serves", "jiaoyu")
    ]  # 夏令营 is not in the task's text
    code, out, err = world.run("template", "confirm", str(proposed[0]["id"]))
    assert code == 0 and "jiaoyu.guidance" in out

    code, _out, err = world.run(*submit)
    assert code == 9 and "缺少必填指标“开展家庭教育指导活动场次”" in err
    code, out, err = world.run(*submit, "--indicator", "jiaoyu.activities=4")
    assert code == 0 and "按模板 jiaoyu.guidance 检查" in out
