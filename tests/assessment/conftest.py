from __future__ import annotations

import pytest

from duban.plugin_host import PluginHost


@pytest.fixture
def scoring_host(host: PluginHost) -> PluginHost:
    """The real host: the shipped scheme and exporters are registered through their entry points."""
    names = {s.name for s in host.scoring_schemes()}
    assert "default" in names, "duban.plugins.scoring.default must be registered by its entry point"
    assert {e.name for e in host.exporters()} >= {"xlsx", "md", "csv"}
    return host
