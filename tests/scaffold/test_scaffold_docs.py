"""docs/plugins.md walks an official through every finding code and every plugin.toml table."""

from __future__ import annotations

import re
from pathlib import Path

from duban.domain import checks

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_every_finding_code_of_the_generic_checks_is_documented() -> None:
    codes = re.findall(r"^([a-z_]+\.[a-z_]+)\s+(error|warning|info)\s", checks.__doc__ or "", re.MULTILINE)
    assert len(codes) >= 10
    text = DOCS.read_text(encoding="utf-8")
    for code, severity in codes:
        assert f"| `{code}` | {severity} |" in text, code


def test_every_plugin_toml_table_and_the_command_are_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for needle in (
        "`[agency]`",
        "`[agency.names]`",
        "`[[agency.successions]]`",
        "`[[templates]]`",
        "`[[indicators]]`",
        "duban plugin new",
        "docs/schedules.md",
        "pip install -e .",
        "duban plugins",
    ):
        assert needle in text, needle
