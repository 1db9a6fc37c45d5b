"""What one process shares between requests and jobs: settings, plugins, redis and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pluggy
# Imported at runtime, not under TYPE_CHECKING: Litestar resolves the annotations of an injected
# `rt: NamedDependency[Runtime]` when it builds a handler's signature model.
from redis.asyncio import Redis

from .crypto import Keyring
from .pluginsys.relay import PluginRelay, TenantHooks
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
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring(self.settings.secret_key)

    def hooks(self, tenant: "TenantContext | None") -> TenantHooks:
        """Hook callers for a tenant: the core plus the plugins it has on."""
        return self.relay.for_enabled(tenant.enabled_plugins if tenant else frozenset())
