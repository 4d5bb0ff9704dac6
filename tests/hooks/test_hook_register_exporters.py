"""duban_register_exporters: ``duban assess --export NAME`` writes the result with the plugin's exporter."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hooks.conftest import JIAOYU, Site, make_world

EXPORTER = """
from duban.plugin import ExporterSpec, hookimpl


def write(result, path):
    path.write_text("督办考核结果（纯文本）\\n" + repr(result), encoding="utf-8")


@hookimpl
def duban_register_exporters():
    return [ExporterSpec(name="txt", suffix=".txt", write=write, description="纯文本（测试）")]
"""


def test_hook_register_exporters(site: Site, tmp_path: Path) -> None:
    site.install("jiaoyu", JIAOYU)
    site.install("exporter_txt", EXPORTER)
    world = make_world(tmp_path)

    code, out, err = world.run("assess", "schemes", "--json")
    assert code == 0, err
    assert {"name": "txt", "suffix": ".txt", "description": "纯文本（测试）"} in json.loads(out)["exporters"]

    target = tmp_path / "考核.txt"
    code, out, err = world.run(
        "assess", "--period", "2026-H1", "--as-of", "2026-07-15", "--export", "txt", "-o", str(target)
    )
    assert code == 0, err
    assert f"已导出：{target}" in out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("督办考核结果（纯文本）\n") and "jiaoyu" in text and "2026-H1" in text
