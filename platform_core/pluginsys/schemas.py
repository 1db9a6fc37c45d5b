"""What the plugin consoles and the CLI show: the catalog, a plugin as one tenant has it."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

FieldKind = Literal["text", "number", "decimal", "checkbox", "select", "date", "password", "json"]


class ConfigField(msgspec.Struct, frozen=True, kw_only=True):
    """One field of a plugin's config Struct, as a form input."""

    name: str
    kind: FieldKind
    label: str  # Meta(title=...) or the field name; an English msgid
    help: str = ""  # Meta(description=...)
    choices: list[str] = []
    optional: bool = False
    secret: bool = False
    default: Any = None  # JSON builtins; None for secrets


class PluginSummary(msgspec.Struct, frozen=True, kw_only=True):
    """An installed plugin, as the catalog lists it."""

    name: str
    title: str
    description: str = ""
    version: str = ""
    category: str = "other"
    fields: list[ConfigField] = []
    site_urls: dict[str, str] = {}  # label -> path on the franchise's site (PluginInfo.site_urls)


class TenantPluginState(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin as one tenant has it: on or off, and its effective config (secrets masked)."""

    plugin: PluginSummary
    enabled: bool
    config: dict[str, Any] = {}
    # Fields the tenant set itself; the others come from the platform default or the Struct.
    overridden: list[str] = []


class PlatformPluginState(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin as the platform console shows it: who has it on, and the platform default."""

    plugin: PluginSummary
    tenants: list[str] = []  # slugs of the tenants that have it on
    config: dict[str, Any] = {}
    overridden: list[str] = []


class ToggleResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    enabled: bool
    changed: bool  # False when the plugin already was in that state
    failed_hooks: list[str] = []  # plugins whose on_plugin_* impl raised (logged)
