"""The template matcher: serves, keywords (with alternatives) and the task mapping, as pure functions."""

from __future__ import annotations

import re

import pytest

from duban.domain.plugin_toml import parse_plugin_toml
from duban.domain.template_binding import (
    BindTask,
    LinkedBinding,
    keyword_match,
    normalise_doc,
    propose_bindings,
    propose_through_links,
    serves_match,
)
from duban.errors import ConfigError
from duban.hookspecs import TaskTemplateSpec, TemplateServes

LEDGER = TaskTemplateSpec(
    key="minzheng.ledger",
    agency="minzheng",
    title="农村留守妇女摸底排查和信息台账更新",
    serves=(
        TemplateServes("民发〔2019〕86号", "二十三"),
        TemplateServes("农村留守妇女困难群体精准关爱帮扶行动方案", "一", "03"),
    ),
    keywords=("摸底排查", "信息台账"),
)
VISIT = TaskTemplateSpec(
    key="fulian.visit_womens_day",
    agency="fulian",
    title="三八妇女节走访慰问农村留守妇女",
    keywords=("走访慰问", "三八妇女节|“3.8”妇女节"),
)


def task(
    text: str,
    *,
    number: str = "二十三",
    doc: str | None = "民发〔2019〕86号",
    title: str = "关于加强农村留守妇女关爱服务工作的意见",
    section: str | None = None,
    agencies: tuple[str, ...] = ("minzheng", "fulian"),
    id: int = 1,
) -> BindTask:
    return BindTask(id, doc, title, section, number, text, frozenset(agencies))


def test_doc_numbers_are_compared_whatever_the_brackets() -> None:
    assert (
        normalise_doc("民发[2019]86 号")
        == normalise_doc("民发〔2019〕86号")
        == normalise_doc("民发（2019）86号")
    )
    assert normalise_doc("民发〔2019〕86号") != normalise_doc("民发〔2019〕68号")


def test_serves_names_a_task_by_doc_number_or_title_and_section() -> None:
    assert serves_match(task("…"), TemplateServes("民发[2019]86号", "二十三"))
    assert not serves_match(task("…", number="二十二"), TemplateServes("民发〔2019〕86号", "二十三"))
    action_plan = task(
        "开展精准摸排建档。",
        number="一",
        doc=None,
        title="农村留守妇女困难群体精准关爱帮扶行动方案",
        section="03",
    )
    assert serves_match(action_plan, TemplateServes("农村留守妇女困难群体精准关爱帮扶行动方案", "一", "03"))
    assert not serves_match(
        action_plan, TemplateServes("农村留守妇女困难群体精准关爱帮扶行动方案", "一", "04")
    )
    assert serves_match(action_plan, TemplateServes("农村留守妇女困难群体精准关爱帮扶行动方案", "一"))


def test_every_keyword_must_be_there_and_a_bar_gives_alternatives() -> None:
    assert keyword_match(
        "对农村留守妇女进行摸底排查，建立农村留守妇女信息台账", ["摸底排查", "信息台账"]
    ) == [
        "摸底排查",
        "信息台账",
    ]
    assert keyword_match("建立农村留守妇女信息台账", ["摸底排查", "信息台账"]) is None
    assert keyword_match("充分利用“3.8”妇女节等重要时间节点，走访慰问", list(VISIT.keywords)) == [
        "走访慰问",
        "“3.8”妇女节",
    ]
    assert keyword_match("信息 台账", ["信息台账"]) == ["信息台账"]  # a line break inside a word


def test_a_template_is_proposed_only_for_its_own_agency_and_serves_wins_over_keywords() -> None:
    ledger_task = task("对农村留守妇女进行摸底排查，建立农村留守妇女信息台账")
    proposals = propose_bindings([ledger_task], [LEDGER, VISIT])
    assert [(p.agency, p.template, p.source, p.score) for p in proposals] == [
        ("minzheng", "minzheng.ledger", "serves", 1.0)
    ]
    assert "民发〔2019〕86号 二十三" in proposals[0].reason
    # the same text in another document: keywords
    other = task(ledger_task.text, doc="黔民发〔2021〕3号", number="五")
    assert [(p.source, p.score) for p in propose_bindings([other], [LEDGER])] == [("keywords", 0.6)]
    # 民政 has no part in the task: nothing, whatever the text says
    assert propose_bindings([task(ledger_task.text, agencies=("gongan",))], [LEDGER]) == []


def test_a_task_implementing_a_bound_task_gets_its_template() -> None:
    links = [
        LinkedBinding(7, "民发〔2019〕86号 二十三", "minzheng", "minzheng.ledger", True, 0.83, "confirmed"),
        LinkedBinding(8, "民发〔2019〕86号 二十三", "minzheng", "minzheng.ledger", False, 0.5, "proposed"),
        LinkedBinding(9, "民发〔2019〕86号 二十三", "minzheng", "minzheng.ledger", True, 1.0, "confirmed"),
    ]
    agencies = {7: frozenset({"minzheng"}), 8: frozenset({"minzheng"}), 9: frozenset({"fulian"})}
    got = {p.task_id: p for p in propose_through_links(links, agencies)}
    assert set(got) == {7, 8}  # task 9: 民政 has no part in it
    assert got[7].source == "mapping" and got[7].score == 0.9
    assert got[8].score == round(0.9 * 0.5 * 0.9, 3) and "置信度 0.50" in got[8].reason


PLUGIN = """
[agency]
key = "jiaoyu"
name = "教育"

[[templates]]
key = "jiaoyu.guidance"
title = "家庭教育指导"
serves = [{ doc = "民发〔2019〕86号", task = "十六" }, { doc = "云教发〔2026〕3号", section = "二", task = "一" }]
keywords = ["家庭教育|亲子教育"]
"""


def test_plugin_toml_reads_serves_and_keywords() -> None:
    data = parse_plugin_toml(PLUGIN, file="plugin.toml")
    tpl = data.template("jiaoyu.guidance")
    assert tpl.serves == (
        TemplateServes("民发〔2019〕86号", "十六"),
        TemplateServes("云教发〔2026〕3号", "一", "二"),
    )
    assert tpl.keywords == ("家庭教育|亲子教育",)


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ('serves = [{ doc = "民发〔2019〕86号" }]', "templates[0].serves[0].task"),
        ('serves = [{ doc = "民发〔2019〕86号", task = "十六", page = 3 }]', "templates[0].serves[0].page"),
        ('serves = ["民发〔2019〕86号 十六"]', "templates[0].serves[0]"),
        ('keywords = ["家庭教育|"]', "templates[0].keywords[0]"),
        ("keywords = [3]", "templates[0].keywords[0]"),
    ],
)
def test_plugin_toml_names_the_key_of_a_bad_hint(line: str, where: str) -> None:
    text = PLUGIN.split("serves =")[0] + line + "\n"
    with pytest.raises(ConfigError, match=re.escape(f"plugin.toml: {where}")):
        parse_plugin_toml(text, file="plugin.toml")
