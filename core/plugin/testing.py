"""Helpers for a plugin's own tests: load the plugin as duban does, beside the plugins already installed.

::

    from duban.plugin.testing import load_beside_installed, resolve_agency

    host = load_beside_installed(plugin, "jiaoyu")
    assert host.faults == []                        # loaded, every hook known, nothing raised
    assert resolve_agency(host, "云南省教育厅") == "jiaoyu"
    found = host.check_report(report)               # [(plugin name, FindingSpec), …] of every plugin

The same tests pass before the plugin is installed (``python -m pytest`` in its folder) and after.
"""

from __future__ import annotations

from duban.domain.agencies import AgencyRegistry
from duban.plugin_host import PluginHost

__all__ = ["PluginHost", "load_beside_installed", "resolve_agency"]


def load_beside_installed(plugin: object, name: str) -> PluginHost:
    """A plugin host with every installed plugin and ``plugin`` registered under ``name``.

    When an entry point called ``name`` is installed already (the same plugin, after ``pip install``), it is
    left out and ``plugin`` takes its place, so the object under test is the one that is checked. Faults —
    an unknown hook, a plugin.toml that does not load, a hook that raises — are in ``host.faults``.
    """
    host = PluginHost.load(disabled={name})
    host.register(plugin, name)
    return host


def resolve_agency(host: PluginHost, name: str) -> str | None:
    """The agency key a department name in a document resolves to (云南省教育厅 → jiaoyu), or None."""
    return AgencyRegistry(host.agencies()).resolve(name)
