"""The files of a new agency plugin, as :class:`string.Template` text (``$key``, ``$name`` …).

Kept as Python strings, not data files, so that they ship with duban without package-data settings
and no tool mistakes a half-filled template for a real plugin.toml or test module. Placeholders:

``$key`` agency key (jiaoyu) · ``$name`` short name (教育) · ``$package`` module (duban_jiaoyu) ·
``$dist`` distribution (duban-plugin-jiaoyu) · ``$wheel`` its wheel's name prefix (duban_plugin_jiaoyu) ·
``$cls`` class name (JiaoyuPlugin) · ``$duban_version`` (0.2.0) · ``$duban_range`` the compatible
versions (>=0.2,<0.3) · ``$national`` ``$province`` ``$prefecture`` ``$county`` level names ·
``$toml_*`` the same as TOML string literals.

The plugin is written on the SDK ``duban.plugin`` alone: it subclasses ``DepartmentPlugin`` (so it gets
every generic check the built-in departments get) and its tests use ``duban.plugin.testing``.
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
# duban 不在公共软件源上发布：先装协调人分发的 duban（wheel 文件或目录），见 README.md。
dependencies = ["duban$duban_range"]

[project.optional-dependencies]
test = ["pytest>=8.0"]

# duban 通过入口点组 duban 找到插件：左边是部门代码，右边是插件对象（模块:变量）。
[project.entry-points.duban]
$key = "$package:plugin"

[tool.setuptools]
packages = ["$package"]

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

部门名称、常规任务（任务模板）和报送指标写在同目录的 plugin.toml 里，平时只改那个文件。
DepartmentPlugin 读取它，向 duban 登记部门、任务模板和指标，并对本部门的每份报送做通用检查：
必填、类型、负数、部分不大于整体、不含身份证号和手机号、年度工作计划和负责人。
本部门自己的检查写在下面的 own_report_findings 里。插件只导入 duban.plugin（duban 的插件 SDK）。
"""

from __future__ import annotations

from duban.plugin import DepartmentPlugin, FindingSpec, ReportContext, Severity

ACTIVITIES = "$key.activities"
WOMEN_SERVED = "$key.women_served"


class $cls(DepartmentPlugin):
    """${name}部门插件：plugin.toml 的数据、通用检查，加上本部门自己的检查。"""

    def own_report_findings(self, report: ReportContext) -> list[FindingSpec]:
        """本部门自己的报送检查（只会收到本部门的报送，通用检查已经做过）。

        返回检查发现（FindingSpec）的列表，没问题就返回空列表：
        - code：以部门代码开头的英文代码，写好后不要再改；
        - severity：Severity.ERROR 拒收这份报送，Severity.WARNING 提醒核实、照常保存，Severity.INFO 只作记录；
        - message：写给填报人看的中文，说清哪里不对、该怎么办。
        duban.plugin 里还有现成的检查可以调用，如 check_flag（是/否指标填了“否”时提醒）。
        """
        activities = report.indicators.get(ACTIVITIES)
        served = report.indicators.get(WOMEN_SERVED)
        # 开展了活动，服务人数却是 0：多半是漏填或填错，提醒核实（类型不对、负数由通用检查报告）
        if type(activities) is int and activities > 0 and served == 0:
            return [
                FindingSpec(
                    code="$key.activities_without_women",
                    severity=Severity.WARNING,
                    message=f"报告开展了{activities}场关爱服务活动，但服务农村留守妇女人数为0，请核实后再提交。",
                    indicator=WOMEN_SERVED,
                )
            ]
        return []


#: duban 通过 pyproject.toml 里的入口点 $key = "$package:plugin" 找到这个对象。
plugin = $cls(__name__)
''')

TEST_PY = Template('''\
"""${name}部门插件的测试：plugin.toml 能读，duban 加载本插件没有错误、认得本部门的名称，
通用检查和本部门的检查在有问题的报送上报告、在正常的报送上不出声。

在插件目录运行：python -m pytest（装好插件前后都可以）
"""

from __future__ import annotations

from typing import Any

import pytest
from duban.plugin import ReportContext, load_department
from duban.plugin.testing import PluginHost, load_beside_installed, resolve_agency

from $package import plugin

KEY = "$key"
TEMPLATE = "$key.care_services"
GOOD = {"$key.activities": 3, "$key.women_served": 120}
TEXT = "本期在各乡镇开展“巾帼关爱”活动，走访农村留守妇女120人次。"


@pytest.fixture(scope="module")
def host() -> PluginHost:
    """duban 的插件宿主：已安装的插件，加上本插件。"""
    return load_beside_installed(plugin, KEY)


def codes(host: PluginHost, indicators: dict[str, Any], *, agency: str = KEY, text: str = TEXT) -> list[str]:
    """所有插件对这份报送的检查发现的代码。"""
    report = ReportContext(agency=agency, template=TEMPLATE, indicators=indicators, text=text)
    return [finding.code for _plugin, finding in host.check_report(report)]


def test_plugin_toml_loads() -> None:
    data = load_department("$package")  # 写错的键、类型或排期规则会在这里报出文件名和键名
    assert data.agency.key == KEY
    for level in ("national", "province", "prefecture", "county"):
        assert data.agency.names.get(level), f"plugin.toml 缺少 {level} 级名称"
    assert all(template.agency == KEY for template in data.templates)
    assert data.template(TEMPLATE).indicators == tuple(GOOD)


def test_duban_loads_the_plugin_without_faults(host: PluginHost) -> None:
    assert KEY in {agency.key for agency in host.agencies()}
    assert TEMPLATE in {template.key for template in host.task_templates()}
    assert set(GOOD) <= {indicator.key for indicator in host.indicators()}
    assert [(f.plugin, f.error) for f in host.faults] == []


def test_the_agency_is_recognised_by_its_names(host: PluginHost) -> None:
    for name in ("$national", "$province", "$prefecture", "$county"):
        assert resolve_agency(host, name) == KEY, name


def test_a_good_report_passes(host: PluginHost) -> None:
    assert codes(host, GOOD) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"$key.women_served": 0}, "$key.activities_without_women"),  # 本部门的检查
        ({"$key.women_served": -5}, "indicator.negative"),  # 以下是通用检查
        ({"$key.women_served": "一百二十"}, "indicator.type"),
        ({"$key.activities": None}, "indicator.missing"),
    ],
)
def test_a_bad_report_is_flagged(host: PluginHost, changes: dict[str, Any], code: str) -> None:
    assert code in codes(host, {**GOOD, **changes})


def test_no_activities_and_no_women_is_not_flagged(host: PluginHost) -> None:
    assert codes(host, {"$key.activities": 0, "$key.women_served": 0}) == []


def test_personal_data_is_refused(host: PluginHost) -> None:
    assert "report.personal_data" in codes(host, GOOD, text="联系人电话13912345678")


def test_reports_of_other_agencies_are_left_alone(host: PluginHost) -> None:
    assert codes(host, {"$key.women_served": -5}, agency="another_agency") == []
''')

README_MD = Template("""\
# $dist：${name}部门插件

duban（督办）的${name}部门插件：告诉 duban ${name}部门在各级叫什么、有哪些常规职责（任务模板）、
报送时填哪些指标，以及报送要经过哪些检查。由 `duban plugin new $key --name $name` 生成，
只用 duban 的插件 SDK `duban.plugin`。

## 目录

```
$dist/
├── pyproject.toml           包名 $dist、版本、依赖的 duban 版本（$duban_range），入口点 $key = "$package:plugin"
├── $package/
│   ├── __init__.py          插件本身：几行代码，继承 DepartmentPlugin，加上本部门自己的检查
│   └── plugin.toml          部门名称、任务模板、报送指标（平时只需要改这个文件）
└── tests/test_plugin.py     测试
```

各级名称：$national / $province / $prefecture / $county。

## 先装 duban

duban 不在公共软件源（PyPI 等）上发布，`pip install duban` 找不到它，也不要去别处找同名的包。
请使用协调人分发的 duban：一个 wheel 文件（`duban-$duban_version-py3-none-any.whl`）、一个放 wheel 的目录，
或者 duban 的源代码目录。在一个新的虚拟环境里：

```
python3 -m venv .venv && . .venv/bin/activate
pip install /path/to/duban-$duban_version-py3-none-any.whl   # 或 pip install /path/to/duban（源代码目录）
pip install pytest                                     # 运行测试用
```

协调人分发的是一个 wheel 目录（如 `wheels/`，含 duban 及其依赖）时，不连网安装：
`pip install --no-index --find-links ./wheels duban`。

## 修改

1. 打开 `$package/plugin.toml`，按本部门在政策文件中的职责修改任务模板和指标，文件里有中文注释。
   格式说明见 duban 文档 `docs/plugins.md`，报送周期的写法见 `docs/schedules.md`。
2. 需要额外的检查时，写在 `$package/__init__.py` 的 `own_report_findings` 里，并在
   `tests/test_plugin.py` 里加一个会触发和一个不会触发的例子。通用检查（必填、类型、负数、个人信息等）
   已由 `DepartmentPlugin` 做好，不用再写。
3. 需要实现其他钩子时，在类里加一个带 `@hookimpl` 的方法（`from duban.plugin import hookimpl`），
   名字必须和 duban 文档里的钩子名完全一致：写错的钩子名（如 `duban_check_reprot`）或漏了 `@hookimpl`，
   duban 会拒绝加载本插件，`duban plugins` 会指出哪个名字写错了。

## 测试

在装好 duban 的虚拟环境里，在本目录运行：

```
python -m pytest
```

## 构建、分发和安装

开发时装进 duban 所在的虚拟环境：

```
pip install -e .          # -e 表示改了文件不用重装
duban plugins             # 应看到 $key（第三方），状态“正常”，退出码 0
duban db upgrade          # 把新部门同步进数据库
duban agencies            # 应看到 $national 等名称
```

交给协调人部署时，构建一个 wheel 文件：

```
pip wheel --no-deps -w dist .        # 得到 dist/${wheel}-0.1.0-py3-none-any.whl
```

（`pip wheel` 会从软件源取 setuptools 来构建；不连网时先 `pip install setuptools`，再加 `--no-build-isolation`。）
协调人把它和 duban 的 wheel 放在同一个目录，然后：

```
pip install --no-index --find-links ./wheels duban $dist
duban plugins
```

出错时 `duban plugins` 会在 $key 名下显示错误（如 plugin.toml 的哪个键写错了、哪个钩子名写错了），
退出码为 5，其他部门照常工作；设置环境变量 `DUBAN_DISABLE_PLUGINS=$key` 可以临时停用本插件。
`pip uninstall $dist` 卸载。
""")
