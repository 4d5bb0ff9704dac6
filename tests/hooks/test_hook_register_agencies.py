"""duban_register_agencies: the agencies a plugin declares are who a document's 任务分工 names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hooks.conftest import JIAOYU, Site, make_world

DOCUMENT = """教基〔2030〕1号

教育部 全国妇联
关于加强农村留守妇女子女家庭教育指导工作的通知

一、开展“护苗”家庭教育指导活动。（教育部牵头，全国妇联按照职责分工负责）
二、落实属地责任。（县教育局、县民政局按照职责分工负责）

教育部 全国妇联
2030年1月2日
"""


@pytest.mark.departments
def test_hook_register_agencies(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    world = make_world(tmp_path)
    document = tmp_path / "通知.txt"
    document.write_text(DOCUMENT, encoding="utf-8")

    code, out, err = world.run("import", str(document), "--dry-run", "--json", "--strict")
    assert code == 0, err
    tasks = json.loads(out)["tasks"]
    assert [(r["name"], r["agency"], r["role"]) for r in tasks[0]["responsibilities"]] == [
        ("教育部", "jiaoyu", "lead"),
        ("全国妇联", "fulian", "support"),
    ]
    assert [r["agency"] for r in tasks[1]["responsibilities"]] == ["jiaoyu", "minzheng"]

    code, out, err = world.run("agencies", "--json")
    assert code == 0, err
    jiaoyu = next(a for a in json.loads(out)["items"] if a["key"] == "jiaoyu")
    assert jiaoyu["names"]["province"] == "省教育厅"


@pytest.mark.departments
def test_without_the_plugin_the_name_is_unknown(tmp_path: Path) -> None:
    world = make_world(tmp_path, agency="minzheng")
    document = tmp_path / "通知.txt"
    document.write_text(DOCUMENT, encoding="utf-8")
    code, _out, err = world.run("import", str(document), "--dry-run", "--json", "--strict")
    assert code == 4 and "教育部" in err
