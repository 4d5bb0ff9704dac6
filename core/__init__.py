"""duban (督办): the engine — domain, storage, services, plugin host, CLI and dashboard."""

__version__ = "0.2.0"
