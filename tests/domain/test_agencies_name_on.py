"""AgencyRegistry.name_on: the name an agency used at a level on a date, following its renames."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.hookspecs import AgencySpec, Succession
from duban.plugin import load_department

pytestmark = pytest.mark.departments  # reads the installed department plugins


@pytest.fixture(scope="module")
def registry() -> AgencyRegistry:
    return AgencyRegistry(load_department(f"duban_{key}").agency for key in ("fupin", "nongye", "minzheng"))


@pytest.mark.parametrize(
    ("level", "day", "name"),
    [
        ("national", dt.date(2021, 2, 24), "国务院扶贫办"),
        ("national", dt.date(2021, 2, 25), "国家乡村振兴局"),
        ("province", dt.date(2020, 12, 31), "省扶贫办"),
        ("province", dt.date(2021, 2, 25), "省乡村振兴局"),
        ("prefecture", dt.date(2022, 6, 1), "市（州）乡村振兴局"),
        ("county", dt.date(2022, 6, 1), "县乡村振兴局"),
        ("township", dt.date(2022, 6, 1), "扶贫"),
        # 2023-03-16 the duties moved to 农业农村部: that is not a rename of 扶贫 itself
        ("national", dt.date(2024, 1, 1), "国家乡村振兴局"),
    ],
)
def test_fupin_names_over_time(registry: AgencyRegistry, level: str, day: dt.date, name: str) -> None:
    assert registry.name_on("fupin", level, day) == name


def test_agencies_without_renames_keep_their_names(registry: AgencyRegistry) -> None:
    for level in ("national", "province", "prefecture", "county", "township"):
        assert registry.name_on("minzheng", level, dt.date(2024, 1, 1)) == registry.name_at("minzheng", level)
    assert registry.successor_on("fupin", dt.date(2024, 1, 1)) == "nongye"
    assert registry.name_on("nongye", "national", dt.date(2024, 1, 1)) == "农业农村部"


def test_a_ministry_rename_takes_each_level_ending() -> None:
    reg = AgencyRegistry(
        [
            AgencySpec(
                "shiwu",
                "事务",
                names={
                    "national": "民生事务部",
                    "province": "省民生事务厅",
                    "county": "县（市、区）民生事务局",
                },
                successions=(
                    Succession("国家社会事务部", dt.date(2030, 1, 1)),
                    Succession("社会服务部", dt.date(2035, 7, 1)),
                ),
            )
        ]
    )
    day = dt.date(2031, 1, 1)
    assert [reg.name_on("shiwu", lvl, day) for lvl in ("national", "province", "county")] == [
        "国家社会事务部",
        "省社会事务厅",
        "县（市、区）社会事务局",
    ]
    assert reg.name_on("shiwu", "province", dt.date(2035, 7, 1)) == "省社会服务厅"
    assert reg.name_on("shiwu", "prefecture", day) == "事务"  # a level the plugin did not name


def test_unknown_key_or_level_is_refused(registry: AgencyRegistry) -> None:
    with pytest.raises(KeyError):
        registry.name_on("jiaoyu", "national", dt.date(2024, 1, 1))
    with pytest.raises(ValueError, match="unknown level"):
        registry.name_on("fupin", "galaxy", dt.date(2024, 1, 1))
