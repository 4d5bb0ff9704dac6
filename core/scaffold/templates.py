"""The files of a new agency plugin, as :class:`string.Template` text (``$key``, ``$name`` …).

Kept as Python strings, not data files, so that they ship with duban without package-data settings
and no tool mistakes a half-filled template for a real plugin.toml or test module. Placeholders:

``$key`` agency key (jiaoyu) · ``$name`` short name (教育) · ``$package`` module (duban_jiaoyu) ·
``$dist`` distribution (duban-plugin-jiaoyu) · ``$duban_version`` · ``$national`` ``$province``
``$prefecture`` ``$county`` level names · ``$toml_*`` the same as TOML string literals.
"""

from __future__ import annotations

from string import Template

PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "duban（督办）部门插件：${name}部门"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["duban>=$duban_version"]

[project.optional-dependencies]
test = ["pytest>=8.0"]

# duban 通过入口点组 duban 找到插件：左边是部门代码，右边是插件模块。
[project.entry-points.duban]
$key = "$package"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.setuptools.package-data]
$package = ["plugin.toml"]

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.ruff]
line-length = 110
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP"]
""")

PLUGIN_TOML = Template("""\
# ${name}部门插件配置（duban 督办）
# 本文件由${name}部门维护：部门名称、常规任务（任务模板）和报送指标。
# 修改后在插件目录运行 `python -m pytest`，装好后运行 `duban plugins` 检查；
# 写错的键名、类型或排期规则会提示文件名和键名，本插件停用，其他部门不受影响。
# 格式说明：duban 文档 docs/plugins.md“plugin.toml 的格式”；排期规则：docs/schedules.md。

# ---------------------------------------------------------------- 部门
[agency]
# 部门代码：小写字母、数字和下划线，全系统唯一；启用后不要再改
key = "$key"
# 简称
name = $toml_name
# 别名：文件里出现过的其他写法和错别字，导入政策文件时据此认出本部门
aliases = [$toml_alias]

# 各级名称：国家级、省级、市（州）级、县级。省级写“省……”，导入时“云南省……”“吉林省……”也能认出。
# 乡镇级可加一行 township = "……"（可选；不写时显示简称）。
[agency.names]
national = $toml_national
province = $toml_province
prefecture = $toml_prefecture
county = $toml_county

# 机构沿革（示例，去掉行首的 # 即生效）。更名：name 是从 since 起使用的（国家级）名称，since 是生效日期
# （不加引号）。职责并入另一部门时再写 key（承接部门的代码），此后未办结的任务由该部门承接。
# [[agency.successions]]
# name = "国家某某局"
# since = 2021-02-25
# key = "nongye"

# ---------------------------------------------------------------- 任务模板（常规职责）
# 一项常规职责一个 [[templates]]。schedule 是默认报送周期，常用写法：
#   once 2025-12-31（一次）· every 6 months（每6个月，6月30日、12月31日）· quarterly（每季度）
#   yearly 01-31（每年1月31日）· holiday 春节 -7（春节前7天）· quarterly +5wd（季度末后第5个工作日）
# 到期日落在节假日时顺延到工作日。
[[templates]]
key = "$key.care_services"
title = "组织开展农村留守妇女关爱服务活动"
description = "示例任务：请按本部门在政策文件中的职责修改标题、说明、周期和指标。"
schedule = "every 6 months"
# 报送时要填的指标，须在下面的 [[indicators]] 中声明
indicators = ["$key.activities", "$key.women_served"]
source = "示例：请写明任务出处，如 民发〔2019〕86号 任务分工第几项"

# ---------------------------------------------------------------- 报送指标
# type：int（整数）、float（数字）、bool（是/否）、text（文字）、date（日期）
# required = true：必须填写；minimum：最小值（数值指标默认 0，负数会被拒收）
# part_of：本指标是另一指标的一部分（如“其中低收入人数”），填报时不能大于它
[[indicators]]
key = "$key.activities"
name = "开展关爱服务活动场次"
type = "int"
unit = "场"
required = true

[[indicators]]
key = "$key.women_served"
name = "服务农村留守妇女人数"
type = "int"
unit = "人次"
required = true
description = "本期参加活动或接受服务的农村留守妇女人次。"
""")

INIT_PY = Template('''\
"""${name}部门插件（$key）：duban（督办）的部门插件。

部门名称、常规任务和报送指标写在同目录的 plugin.toml 里；本部门特有的报送检查写在 checks.py 里。
本模块就是插件：下面每个带 @hookimpl 的函数实现 duban 的一个钩子（见 duban 文档 docs/plugins.md）。
"""

from __future__ import annotations

from importlib.resources import files

from duban.domain.checks import check_indicators, check_no_personal_data
from duban.domain.plugin_toml import PluginData, load_plugin_toml
from duban.hookspecs import AgencySpec, FindingSpec, IndicatorSpec, ReportContext, TaskTemplateSpec, hookimpl

from .checks import check_activities_reach_women

#: plugin.toml 在插件加载时读取一次。写错了，`duban plugins` 会在本插件名下显示错误，其他插件照常工作。
DATA: PluginData = load_plugin_toml(files(__name__).joinpath("plugin.toml"))


@hookimpl
def duban_register_agencies() -> list[AgencySpec]:
    """本部门：代码、各级名称、别名和机构沿革。"""
    return [DATA.agency]


@hookimpl
def duban_register_task_templates() -> list[TaskTemplateSpec]:
    """本部门的常规职责（任务模板）。"""
    return list(DATA.templates)


@hookimpl
def duban_register_indicators() -> list[IndicatorSpec]:
    """本部门报送时填写的指标。"""
    return list(DATA.indicators)


@hookimpl
def duban_check_report(report: ReportContext) -> list[FindingSpec]:
    """检查本部门的报送（其他部门的报送不管）。

    通用检查（duban.domain.checks）：必填、类型、负数、部分不大于整体、不含身份证号和手机号；
    再加上 checks.py 里本部门自己的检查。
    """
    if report.agency != DATA.agency.key:
        return []
    specs = dict(report.indicator_specs)
    expected = None
    template = next((t for t in DATA.templates if t.key == report.template), None)
    if template is not None:
        expected = template.indicators
        if not specs:  # duban 通常随报送传来指标定义；没有时用 plugin.toml 里的
            specs = {key: DATA.indicator(key) for key in template.indicators}
    findings = check_indicators(report, specs, expected=expected)
    findings += check_no_personal_data(report)
    findings += check_activities_reach_women(report)
    return findings
''')

CHECKS_PY = Template('''\
"""${name}部门自己的报送检查。

每个检查是一个普通函数：接收一份报送（ReportContext），返回检查发现（FindingSpec）的列表，没问题就返回空列表。

- code：稳定的英文代码，以部门代码开头（$key.……），用于统计和筛选，写好后不要再改；
- severity：Severity.ERROR 拒收这份报送并说明原因；Severity.WARNING 提醒核实，报送照常保存；
  Severity.INFO 只作记录（也可以写成字符串 "error"、"warning"、"info"，写错了插件会报错）；
- message：写给填报人看的中文，说清楚哪里不对、该怎么办。

新写的检查要在 __init__.py 的 duban_check_report 里调用，并在 tests/test_plugin.py 里各写一个会触发、
一个不会触发的例子。
"""

from __future__ import annotations

from typing import Any

from duban.hookspecs import FindingSpec, ReportContext, Severity

ACTIVITIES = "$key.activities"
WOMEN_SERVED = "$key.women_served"


def _count(value: Any) -> bool:
    """是一个不小于 0 的整数（类型不对、负数由通用检查报告，这里不重复）。"""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_activities_reach_women(report: ReportContext) -> list[FindingSpec]:
    """开展了关爱服务活动，服务人数却是 0：多半是漏填或填错，提醒核实（warning，不拒收）。"""
    activities = report.indicators.get(ACTIVITIES)
    served = report.indicators.get(WOMEN_SERVED)
    if not (_count(activities) and _count(served)):
        return []
    if activities > 0 and served == 0:
        finding = FindingSpec(
            code="$key.activities_without_women",
            severity=Severity.WARNING,
            message=f"报告开展了{activities}场关爱服务活动，但服务农村留守妇女人数为0，请核实后再提交。",
            indicator=WOMEN_SERVED,
        )
        return [finding]
    return []
''')

TEST_PY = Template('''\
"""${name}部门插件的测试：plugin.toml 能读、duban 能加载，检查在有问题的报送上报告、在正常的报送上不出声。

在插件目录运行：python -m pytest
"""

from __future__ import annotations

from typing import Any

import pytest
from duban.domain.schedule import parse_rule
from duban.hookspecs import ReportContext
from duban.plugin_host import PluginHost

import $package

KEY = "$key"
TEMPLATE = "$key.care_services"
GOOD = {"$key.activities": 3, "$key.women_served": 120}
TEXT = "本期在各乡镇开展“巾帼关爱”活动，走访农村留守妇女120人次。"


def report(indicators: dict[str, Any], *, agency: str = KEY, text: str = TEXT) -> ReportContext:
    return ReportContext(agency=agency, template=TEMPLATE, indicators=indicators, text=text)


def codes(indicators: dict[str, Any], **kwargs: Any) -> list[str]:
    return [f.code for f in $package.duban_check_report(report(indicators, **kwargs))]


def test_plugin_toml_loads() -> None:
    data = $package.DATA
    assert data.agency.key == KEY
    for level in ("national", "province", "prefecture", "county"):
        assert data.agency.names.get(level), f"plugin.toml 缺少 {level} 级名称"
    for template in data.templates:
        assert template.agency == KEY
        if template.schedule is not None:
            parse_rule(template.schedule)  # 写错会抛出 RuleSyntaxError
    assert data.template(TEMPLATE).indicators == tuple(GOOD)


def test_duban_loads_the_plugin_without_errors() -> None:
    host = PluginHost()
    host.register($package, KEY)
    assert [a.key for a in host.agencies()] == [KEY]
    assert [t.key for t in host.task_templates()]
    assert [i.key for i in host.indicators()]
    assert host.faults == []


def test_a_good_report_passes() -> None:
    assert codes(GOOD) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"$key.women_served": 0}, "$key.activities_without_women"),  # 本插件 checks.py 的检查
        ({"$key.women_served": -5}, "indicator.negative"),
        ({"$key.women_served": "一百二十"}, "indicator.type"),
        ({"$key.activities": None}, "indicator.missing"),
    ],
)
def test_a_bad_report_is_flagged(changes: dict[str, Any], code: str) -> None:
    assert code in codes({**GOOD, **changes})


def test_no_activities_and_no_women_is_not_flagged() -> None:
    assert codes({"$key.activities": 0, "$key.women_served": 0}) == []


def test_personal_data_is_refused() -> None:
    assert "report.personal_data" in codes(GOOD, text="联系人电话13912345678")


def test_reports_of_other_agencies_are_left_alone() -> None:
    assert codes({"$key.women_served": -5}, agency="another_agency") == []
''')

README_MD = Template("""\
# $dist：${name}部门插件

duban（督办）的${name}部门插件：告诉 duban ${name}部门在各级叫什么、有哪些常规职责（任务模板）、
报送时填哪些指标，以及报送要经过哪些检查。由 `duban plugin new $key --name $name` 生成。

## 目录

```
$dist/
├── pyproject.toml           包的名称、版本，以及入口点 [project.entry-points.duban]
├── $package/
│   ├── __init__.py          插件本身：实现 duban 的钩子
│   ├── plugin.toml          部门名称、任务模板、报送指标（平时只需要改这个文件）
│   └── checks.py            本部门自己的报送检查
└── tests/test_plugin.py     测试
```

各级名称：$national / $province / $prefecture / $county。

## 修改

1. 打开 `$package/plugin.toml`，按本部门在政策文件中的职责修改任务模板和指标，文件里有中文注释。
   格式说明见 duban 文档 `docs/plugins.md`，报送周期的写法见 `docs/schedules.md`。
2. 需要额外的检查时，在 `$package/checks.py` 里写一个函数，在 `__init__.py` 的 `duban_check_report`
   里调用它，并在 `tests/test_plugin.py` 里加一个会触发和一个不会触发的例子。

## 测试

在 duban 所在的虚拟环境里（需要 pytest），在本目录运行：

```
python -m pytest
```

## 安装和检查

```
pip install -e .          # 装进 duban 所在的虚拟环境；-e 表示改了文件不用重装
duban plugins             # 应看到 $key（第三方），没有“错误”
duban db upgrade          # 把新部门同步进数据库
duban agencies            # 应看到 $national 等名称
```

出错时 `duban plugins` 会在 $key 名下显示错误（如 plugin.toml 的哪个键写错了），其他部门照常工作；
设置环境变量 `DUBAN_DISABLE_PLUGINS=$key` 可以临时停用本插件。
""")
