"""GB/T 2260 codes of 全国 and the province-level divisions (seeded into every database)."""

from __future__ import annotations

from duban.domain.vocabulary import JurisdictionLevel, values

NATIONAL_CODE = "000000"

PROVINCES: tuple[tuple[str, str], ...] = (
    ("110000", "北京市"),
    ("120000", "天津市"),
    ("130000", "河北省"),
    ("140000", "山西省"),
    ("150000", "内蒙古自治区"),
    ("210000", "辽宁省"),
    ("220000", "吉林省"),
    ("230000", "黑龙江省"),
    ("310000", "上海市"),
    ("320000", "江苏省"),
    ("330000", "浙江省"),
    ("340000", "安徽省"),
    ("350000", "福建省"),
    ("360000", "江西省"),
    ("370000", "山东省"),
    ("410000", "河南省"),
    ("420000", "湖北省"),
    ("430000", "湖南省"),
    ("440000", "广东省"),
    ("450000", "广西壮族自治区"),
    ("460000", "海南省"),
    ("500000", "重庆市"),
    ("510000", "四川省"),
    ("520000", "贵州省"),
    ("530000", "云南省"),
    ("540000", "西藏自治区"),
    ("610000", "陕西省"),
    ("620000", "甘肃省"),
    ("630000", "青海省"),
    ("640000", "宁夏回族自治区"),
    ("650000", "新疆维吾尔自治区"),
    ("710000", "台湾省"),
    ("810000", "香港特别行政区"),
    ("820000", "澳门特别行政区"),
)

LEVELS = values(JurisdictionLevel)  # highest first; labels: JurisdictionLevel.label


def seed_rows() -> list[dict[str, str | None]]:
    """全国 and every province-level division, as rows for the jurisdiction table."""
    rows: list[dict[str, str | None]] = [
        {"code": NATIONAL_CODE, "name": "全国", "level": "national", "parent_code": None}
    ]
    rows += [{"code": c, "name": n, "level": "province", "parent_code": NATIONAL_CODE} for c, n in PROVINCES]
    return rows


def code_for_name(name: str) -> str | None:
    """The code of 全国 or a province given its name (full or without 省/市/自治区)."""
    if name in ("全国", "国家"):
        return NATIONAL_CODE
    for code, full in PROVINCES:
        if name == full or (len(name) >= 2 and full.startswith(name)):
            return code
    return None
