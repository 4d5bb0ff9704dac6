"""A real agency registry built from the thirteen department plugins, and the seed documents."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from duban.domain.agencies import AgencyRegistry

KEYS = (
    "minzheng gongan sifa caizheng renshe nongye wenlv weijian tiyu fupin fuergongwei fulian canlian".split()
)
SEEDS = Path(__file__).parent.parent / "fixtures" / "seeds"


def build_registry() -> AgencyRegistry:
    specs = [s for k in KEYS for s in importlib.import_module(f"duban_{k}").plugin.duban_register_agencies()]
    return AgencyRegistry(specs)


@pytest.fixture(scope="session")
def registry() -> AgencyRegistry:
    return build_registry()
