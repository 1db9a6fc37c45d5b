"""Piccolo's configuration module (PICCOLO_CONF). The engine starts unconfigured; the pool is
started from Settings by the app or the CLI."""

from piccolo.conf.apps import AppRegistry

from platform_core.db.apps import all_piccolo_apps
from platform_core.db.engine import HearthEngine

DB = HearthEngine(config={})

APP_REGISTRY = AppRegistry(apps=all_piccolo_apps())
