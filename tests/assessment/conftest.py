from __future__ import annotations

import pytest

from core.plugin_host import PluginHost
from tests.assessment.plugins import register_shipped


@pytest.fixture
def scoring_host(host: PluginHost) -> PluginHost:
    return register_shipped(host)
