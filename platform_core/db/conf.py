"""Piccolo's configuration module (PICCOLO_CONF). The engine starts unconfigured; the pool is
started from Settings by the app or the CLI."""

from piccolo.conf.apps import AppRegistry

from platform_core.db.apps import all_piccolo_apps
from platform_core.db.engine import HearthEngine

DB = HearthEngine(config={})


def __getattr__(name: str) -> AppRegistry:
    # APP_REGISTRY is built on each access (PEP 562) rather than at import: Piccolo's Finder reads
    # it from this module every time, so a plugin installed after the import is migrated too.
    if name == "APP_REGISTRY":
        return AppRegistry(apps=all_piccolo_apps())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
