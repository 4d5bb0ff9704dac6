"""AgencyRegistry against every department name in the five seed documents.

The name → key expectations come from tests/fixtures/seeds/expected/*.json: each responsibility clause
of a seed is paired, in order, with a hand-checked task, and the names in the clause must resolve to that
task's lead + support + joint keys, in clause order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from duban.domain.agencies import AgencyRegistry, normalize_name, strip_jurisdiction
from duban.hookspecs import AgencySpec, Succession
from duban.plugin import load_department

pytestmark = pytest.mark.departments  # reads the installed department plugins

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
KEYS = (
    "minzheng",
    "gongan",
    "sifa",
    "caizheng",
    "renshe",
    "nongye",
    "wenlv",
    "weijian",
    "tiyu",
    "fupin",
    "fuergongwei",
    "fulian",
    "canlian",
)
SEED_FILES = sorted(p.name for p in SEEDS.glob("*.txt"))
_CLAUSE = re.compile(r"[（(]([^（()）]{1,300}?(?:负责|牵头)[^（()）]{0,80}?)[）)]")
_CLAUSE_TAIL = re.compile(r"(?:按照职责分工|按照分工|按职责分工)?负责$")


@pytest.fixture(scope="module")
def registry() -> AgencyRegistry:
    return AgencyRegistry(load_department(f"duban_{key}").agency for key in KEYS)


def _seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def _expected(name: str) -> dict:
    return json.loads((SEEDS / "expected" / name.replace(".txt", ".json")).read_text(encoding="utf-8"))


def _clauses(text: str) -> list[str]:
    """The responsibility clauses of a seed, in order, with line breaks removed."""
    flat = re.sub(r"\s+", "", text)
    return [m.group(1) for m in _CLAUSE.finditer(flat)]


def _clause_names(clause: str) -> list[str]:
    body = _CLAUSE_TAIL.sub("", clause)
    return [n for n in re.split(r"牵头|[、，,]", body) if n]


def _harvest() -> list[tuple[str, str, str]]:
    """(seed, name as written, expected key) for every name in every responsibility clause."""
    cases = []
    for seed in SEED_FILES:
        tasks = _expected(seed)["tasks"]
        clauses = _clauses(_seed_text(seed))
        assert len(clauses) == len(tasks), f"{seed}: {len(clauses)} clauses for {len(tasks)} tasks"
        for clause, task in zip(clauses, tasks, strict=True):
            names = _clause_names(clause)
            if names == ["各部门"]:
                continue
            keys = task["lead"] + task["support"] + task["joint"]
            assert len(names) == len(keys), f"{seed} {task['number']}: {names} vs {keys}"
            cases += [(seed, name, key) for name, key in zip(names, keys, strict=True)]
    return cases


CLAUSE_CASES = _harvest()


def test_harvest_covers_every_agency_and_the_known_traps() -> None:
    assert {key for _, _, key in CLAUSE_CASES} == set(KEYS)
    names = {name for _, name, _ in CLAUSE_CASES}
    assert "国务院妇工委办公室" in names  # the misspelling in 民发〔2019〕86号 任务分工二十一
    assert "省卫生健康委员会" in names and "省人力资源和社会保障厅" in names
    assert len(CLAUSE_CASES) > 250


@pytest.mark.parametrize(
    ("seed", "name", "key"), CLAUSE_CASES, ids=[f"{s[:3]}-{n}" for s, n, _ in CLAUSE_CASES]
)
def test_clause_names_resolve_to_the_hand_checked_keys(
    registry: AgencyRegistry, seed: str, name: str, key: str
) -> None:
    assert registry.resolve(name) == key


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i : text.index(end, i)]


ISSUER_BLOCKS = {
    "000_ec88c21d93956c79.txt": lambda t: "\n".join(t.strip().splitlines()[:13]).replace(" ", ""),
    "001_007993ffda9a68ac.txt": lambda t: _between(t, "民发〔2019〕86号", "关于加强"),
    "002_09c426360c691ab7.txt": lambda t: _between(t, "请认真贯彻执行。", "2020 年"),
    "003_206813141252fb57.txt": lambda t: _between(t, "请认真贯彻执行。", "2025年"),
    "004_1692d70bd32bb6db.txt": lambda t: t.strip().splitlines()[0],
}


@pytest.mark.parametrize("seed", SEED_FILES)
def test_issuers_resolve_in_order(registry: AgencyRegistry, seed: str) -> None:
    names = ISSUER_BLOCKS[seed](_seed_text(seed)).split()
    assert [registry.resolve(n) for n in names] == _expected(seed)["issuers"], names


def test_yunnan_signature_block(registry: AgencyRegistry) -> None:
    text = _seed_text("000_ec88c21d93956c79.txt")
    names = _between(text, "任务分工\n", "2020年7月22日").split()
    assert [registry.resolve(n) for n in names] == list(KEYS)


RECIPIENTS = {
    "000_ec88c21d93956c79.txt": ("各州、市", "："),
    "001_007993ffda9a68ac.txt": ("各省、自治区、直辖市", "："),
    "002_09c426360c691ab7.txt": ("吉民发〔2020〕28号", "："),
}


@pytest.mark.parametrize("seed", sorted(RECIPIENTS))
def test_recipient_lists_resolve_group_by_group(registry: AgencyRegistry, seed: str) -> None:
    """各市（州）民政局、公安局 … 残联，长白山管委会民政局 … : every group names the 13 in order."""
    start, end = RECIPIENTS[seed]
    block = re.sub(r"\s+", "", _between(_seed_text(seed), start, end))
    block = re.sub(r"（[^（）]*）", "", block)  # 县（市、区）, 厅（委、局）: their 、 is not a separator
    groups = [g for g in block.split("，") if g]
    assert groups
    for group in groups:
        names = group.split("、")
        assert [registry.resolve(n) for n in names] == list(KEYS), names


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("云南省民政厅", "minzheng"),
        ("吉林省民政厅", "minzheng"),
        ("民政厅（局）", "minzheng"),
        ("市（州）民政局", "minzheng"),
        ("县民政局", "minzheng"),
        ("县（市、区）民政局", "minzheng"),
        ("县级民政部门", "minzheng"),
        ("各地民政部门", "minzheng"),
        ("各级民政部门", "minzheng"),
        ("新疆生产建设兵团民政局", "minzheng"),
        ("长白山管委会民政局", "minzheng"),
        ("昆明市民政局", "minzheng"),
        ("长春市朝阳区民政局", "minzheng"),
        ("内蒙古自治区民政厅", "minzheng"),
        ("省卫生健康委员会", "weijian"),
        ("省卫生健康委", "weijian"),
        ("国家卫生健康委", "weijian"),
        ("卫生健康局", "weijian"),
        ("卫生健康", "weijian"),
        ("国家卫生健康委员会", "weijian"),
        ("国务院妇工委办公室", "fuergongwei"),
        ("国务院妇儿工委办公室", "fuergongwei"),
        ("省妇儿工委办公室", "fuergongwei"),
        ("妇儿工委办", "fuergongwei"),
        ("吉林省政府妇女儿童工作委员会", "fuergongwei"),
        ("全国妇联", "fulian"),
        ("省妇联", "fulian"),
        ("吉林省妇女联合会", "fulian"),
        ("妇联", "fulian"),
        ("中国残联", "canlian"),
        ("省残联", "canlian"),
        ("云南省残疾人联合会", "canlian"),
        ("残联", "canlian"),
        ("国务院扶贫办", "fupin"),
        ("省扶贫办", "fupin"),
        ("云南省扶贫办公室", "fupin"),
        ("国家乡村振兴局", "fupin"),
        ("人力资源社会保障部", "renshe"),
        ("省人力资源和社会保障厅", "renshe"),
        ("省人力资源社会保障厅", "renshe"),
        ("人力资源和社会保障局", "renshe"),
        ("省人力\n\n资源和社会保障厅", "renshe"),
        ("农业农村部", "nongye"),
        ("省农业农村厅", "nongye"),
        ("农业农村（农牧）厅（委、局）", "nongye"),
        ("文化和旅游部", "wenlv"),
        ("省文化和旅游厅", "wenlv"),
        ("国家体育总局", "tiyu"),
        ("省体育局", "tiyu"),
        ("公安部", "gongan"),
        ("省公安厅", "gongan"),
        ("公安", "gongan"),
        ("司法部", "sifa"),
        ("省司法厅", "sifa"),
        ("司法行政", "sifa"),
        ("省司法\n厅", "sifa"),
        ("财政部", "caizheng"),
        ("省财\n\n政厅", "caizheng"),
        ("（省民政厅）", "minzheng"),
        ("  省 民 政 厅 ", "minzheng"),
    ],
)
def test_resolve_variants(registry: AgencyRegistry, name: str, key: str) -> None:
    assert registry.resolve(name) == key


@pytest.mark.parametrize(
    "name",
    [
        "省教育厅",
        "各省级人民政府",
        "教育部",
        "村民委员会",
        "人民调解委员会",
        "乡镇（街道）党委和政府",
        "国务院",
        "各部门",
        "",
        "   ",
        "省",
        "12338妇女维权服务热线",
        "共青团中央",
    ],
)
def test_resolve_returns_none_for_other_bodies(registry: AgencyRegistry, name: str) -> None:
    assert registry.resolve(name) is None


def test_suggest_offers_close_names(registry: AgencyRegistry) -> None:
    assert "省民政厅" in registry.suggest("省民证厅")
    assert any("妇儿工委" in s for s in registry.suggest("国务院妇儿工作委员会办"))
    assert len(registry.suggest("省体育厅", limit=2)) <= 2
    assert registry.suggest("") == []


def test_identity_and_levels(registry: AgencyRegistry) -> None:
    assert registry.keys() == list(KEYS)
    assert registry.spec("minzheng").name == "民政"
    assert registry.name_at("minzheng", "national") == "民政部"
    assert registry.name_at("minzheng", "prefecture") == "市（州）民政局"
    assert registry.name_at("weijian", "county") == "县卫生健康局"
    assert registry.name_at("minzheng", "township") == "民政"
    with pytest.raises(KeyError):
        registry.spec("jiaoyu")
    with pytest.raises(ValueError):
        registry.name_at("minzheng", "galaxy")


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (dt.date(2020, 1, 1), "fupin"),
        (dt.date(2022, 1, 1), "fupin"),  # renamed 国家乡村振兴局: same agency
        (dt.date(2023, 3, 15), "fupin"),
        (dt.date(2023, 3, 16), "nongye"),
        (dt.date(2024, 1, 1), "nongye"),
    ],
)
def test_fupin_successor(registry: AgencyRegistry, day: dt.date, key: str) -> None:
    assert registry.successor_on("fupin", day) == key
    assert registry.successor_on("minzheng", day) == "minzheng"


def test_successions_chain_and_cycles() -> None:
    reg = AgencyRegistry(
        [
            AgencySpec("a", "甲", successions=(Succession("乙局", dt.date(2020, 1, 1), "b"),)),
            AgencySpec("b", "乙", successions=(Succession("丙局", dt.date(2021, 1, 1), "c"),)),
            AgencySpec("c", "丙"),
        ]
    )
    assert reg.successor_on("a", dt.date(2019, 6, 1)) == "a"
    assert reg.successor_on("a", dt.date(2020, 6, 1)) == "b"
    assert reg.successor_on("a", dt.date(2021, 6, 1)) == "c"
    cyclic = AgencyRegistry(
        [
            AgencySpec("a", "甲", successions=(Succession("乙", dt.date(2020, 1, 1), "b"),)),
            AgencySpec("b", "乙", successions=(Succession("甲", dt.date(2020, 1, 1), "a"),)),
        ]
    )
    with pytest.raises(ValueError):
        cyclic.successor_on("a", dt.date(2021, 1, 1))


def test_conflicting_names_are_refused() -> None:
    with pytest.raises(ValueError):
        AgencyRegistry(
            [AgencySpec("a", "甲", aliases=("同名局",)), AgencySpec("b", "乙", aliases=("同名局",))]
        )
    with pytest.raises(ValueError):
        AgencyRegistry([AgencySpec("a", "甲"), AgencySpec("a", "乙")])


def test_normalisation_helpers() -> None:
    assert normalize_name("人力资源社会保障\n\n局") == "人力资源社会保障局"
    assert normalize_name("农业农村（农牧）厅（委、局）") == "农业农村厅"
    assert strip_jurisdiction("云南省民政厅") == "民政厅"
    assert strip_jurisdiction("各县民政局") == "民政局"
    assert strip_jurisdiction("省") == "省"
