"""plugin.toml loading: good files load, bad ones name the file and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from duban.domain.plugin_toml import load_plugin_toml, parse_plugin_toml
from duban.errors import ConfigError

GOOD = """
[agency]
key = "fupin"
name = "扶贫"
aliases = ["扶贫办"]
[agency.names]
national = "国务院扶贫办"
province = "省扶贫办"
[[agency.successions]]
name = "农业农村部"
since = 2023-03-16
key = "nongye"
[[agency.successions]]
name = "国家乡村振兴局"
since = 2021-02-25

[[templates]]
key = "fupin.exit"
title = "全部脱贫"
schedule = "once 2020-12-31"
indicators = ["fupin.total", "fupin.exited"]

[[indicators]]
key = "fupin.total"
name = "建档立卡人数"
unit = "人"
required = true

[[indicators]]
key = "fupin.exited"
name = "其中已脱贫"
part_of = "fupin.total"

[[indicators]]
key = "fupin.note"
name = "说明"
type = "text"
"""


def test_good_file_loads() -> None:
    data = parse_plugin_toml(GOOD, file="good.toml")
    assert data.agency.key == "fupin"
    assert data.agency.names == {"national": "国务院扶贫办", "province": "省扶贫办"}
    assert [s.since for s in data.agency.successions] == [dt.date(2021, 2, 25), dt.date(2023, 3, 16)]
    assert data.agency.successions[0].key is None and data.agency.successions[1].key == "nongye"
    tpl = data.template("fupin.exit")
    assert tpl.agency == "fupin" and tpl.indicators == ("fupin.total", "fupin.exited")
    assert data.indicator("fupin.exited").part_of == "fupin.total"
    assert data.indicator("fupin.total").required is True
    assert data.indicator("fupin.exited").minimum == 0
    assert data.indicator("fupin.note").minimum is None


def test_load_from_path_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plugin.toml"
    path.write_text(GOOD.replace('name = "扶贫"', 'nmae = "扶贫"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_plugin_toml(path)
    assert str(path) in str(err.value) and "agency.nmae" in str(err.value)
    with pytest.raises(ConfigError, match="missing.toml"):
        load_plugin_toml(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('aliases = ["扶贫办"]', 'aliases = ["扶贫办"]\ncolour = "red"', "agency.colour"),
        ('province = "省扶贫办"', 'province = "省扶贫办"\ngalaxy = "银河扶贫办"', "agency.names.galaxy"),
        ('title = "全部脱贫"', 'title = "全部脱贫"\nowner = "张三"', "templates[0].owner"),
        ('unit = "人"\nrequired = true', 'unit = "人"\nrequired = "yes"', "indicators[0].required"),
        ('unit = "人"\nrequired = true', "unit = 7\nrequired = true", "indicators[0].unit"),
        ("since = 2021-02-25", 'since = "2021-02-25"', "agency.successions[1].since"),
        ('key = "fupin"\nname', "key = 3\nname", "agency.key"),
        ('aliases = ["扶贫办"]', 'aliases = ["扶贫办", 5]', "agency.aliases[1]"),
        ('type = "text"', 'type = "percentage"', "indicators[2].type"),
        ('schedule = "once 2020-12-31"', 'schedule = "每年一次"', "templates[0].schedule"),
        (
            'indicators = ["fupin.total", "fupin.exited"]',
            'indicators = ["fupin.total", "fupin.typo"]',
            "templates[0].indicators[1]",
        ),
        ('part_of = "fupin.total"', 'part_of = "fupin.nothing"', "indicators[1].part_of"),
        ("[agency]", "extra = 1\n[agency]", "(顶层).extra"),
    ],
)
def test_bad_file_names_file_and_key(old: str, new: str, where: str) -> None:
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(ConfigError) as err:
        parse_plugin_toml(text, file="departments/fupin/plugin.toml")
    message = str(err.value)
    assert message.startswith("departments/fupin/plugin.toml: ")
    assert where in message


def test_toml_syntax_error_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^bad\.toml: TOML"):
        parse_plugin_toml("[agency\nkey=", file="bad.toml")


@pytest.mark.parametrize(
    "schedule",
    [
        "once 2020-12-31",
        "every 6 months",
        "every 1 month",
        "quarterly",
        "yearly 01-31",
        "holiday 春节",
        "holiday 春节 -5",
        "holiday 母亲节 +7",
        "holiday 三八妇女节 +7",
    ],
)
def test_schedule_syntax_accepted(schedule: str) -> None:
    data = parse_plugin_toml(GOOD.replace("once 2020-12-31", schedule), file="x.toml")
    assert data.template("fupin.exit").schedule == schedule


@pytest.mark.parametrize("schedule", ["every month", "holiday 圣诞节", "yearly 02-30", "weekly", "每年一次"])
def test_schedule_syntax_refused(schedule: str) -> None:
    with pytest.raises(ConfigError, match="templates\\[0\\].schedule"):
        parse_plugin_toml(GOOD.replace("once 2020-12-31", schedule), file="x.toml")
