"""What one process shares between requests and jobs: settings, plugins, redis and the store."""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

import pluggy

from .crypto import Keyring
from .pluginsys.manager import build_plugin_manager
from .pluginsys.relay import PluginRelay, TenantHooks, relay_scope
from .settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

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
        """Enter this runtime and its relay (pluginsys.relay.relay_scope): the app's middleware per
        request, the worker per job, a CLI command once."""
        token = _CURRENT.set(self)
        try:
            with relay_scope(self.relay):
                yield self
        finally:
            _CURRENT.reset(token)


# The process's runtime, entered like the tenant, so a service reaches the keyring, the store or
# the settings where it uses them instead of having the runtime passed down through its callers.
_CURRENT: ContextVar[Runtime | None] = ContextVar("hearth_runtime", default=None)


def current_runtime() -> Runtime:
    runtime = _CURRENT.get()
    if runtime is None:
        raise RuntimeError("no runtime in this context (enter Runtime.scope() first)")
    return runtime


def encrypt_text(plaintext: str, *, context: str) -> str:
    """Seal a value for storage with the process's keyring (AES-GCM, crypto.Keyring.encrypt):
    `context` names where it is kept ("elder_care.assessment"), so it opens only there."""
    return current_runtime().keyring.encrypt(plaintext, context=context)


def decrypt_text(token: str, *, context: str) -> str:
    """Open what encrypt_text sealed under the same `context` (crypto.DecryptionError if not)."""
    return current_runtime().keyring.decrypt(token, context=context)


@asynccontextmanager
async def command_scope(settings: Settings, runtime: Runtime | None = None) -> AsyncIterator[Runtime]:
    """A CLI command that acts on tenants runs as a request does: connected as the app role (under
    row-level security), with the runtime entered."""
    from .db import close_pool, start_pool
    from .db.engine import app_dsn

    runtime = runtime or Runtime.build(settings)
    await start_pool(app_dsn(settings.db.url or "", settings.db.app_url), min_size=1, max_size=4)
    try:
        with runtime.scope():
            yield runtime
    finally:
        await close_pool()


class RuntimeMiddleware:
    """ASGI: every request runs with the app's runtime entered (see Runtime.scope)."""

    def __init__(self, app, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send) -> None:
        with self.runtime.scope():
            await self.app(scope, receive, send)
