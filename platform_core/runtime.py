"""What one process shares between requests and jobs: settings, plugins, redis and the store."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import pluggy

# Imported at runtime, not under TYPE_CHECKING: Litestar resolves the annotations of an injected
# `rt: NamedDependency[Runtime]` when it builds a handler's signature model.
from redis.asyncio import Redis

from .crypto import Keyring
from .pluginsys.manager import build_plugin_manager
from .pluginsys.relay import PluginRelay, TenantHooks, relay_scope
from .settings import Settings

if TYPE_CHECKING:
    from .tenancy.schemas import TenantContext


@dataclass
class Runtime:
    settings: Settings
    pm: pluggy.PluginManager
    relay: PluginRelay
    redis: Redis | None = None
    # Filled in the lifespan: the key-value store (redis, or PostgreSQL without it).
    kv: Any = None

    @classmethod
    def build(cls, settings: Settings, pm: pluggy.PluginManager | None = None) -> Runtime:
        pm = pm or build_plugin_manager(dev_tools=settings.dev_mode)
        return cls(settings=settings, pm=pm, relay=PluginRelay(pm, Keyring(settings.secret_key)))

    @property
    def keyring(self) -> Keyring:
        return self.relay.keyring

    def hooks(self, tenant: "TenantContext | None") -> TenantHooks:
        """Hook callers for a tenant: the core plus the plugins it has on."""
        return self.relay.for_enabled(tenant.enabled_plugins if tenant else frozenset())

    @contextmanager
    def scope(self) -> Iterator[Runtime]:
        """Enter this process's relay (pluginsys.relay.relay_scope) for a CLI command or a job."""
        with relay_scope(self.relay):
            yield self
