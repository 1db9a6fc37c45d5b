"""The per-tenant relay: hook callers that leave out the plugins a tenant has not enabled."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import pluggy

from platform_core.crypto import Keyring

from .calls import Contribution, collect_now
from .manager import is_core


class TenantHooks:
    """`hooks.on_customer_registered(event=...)` calls only the core and the enabled plugins."""

    def __init__(self, pm: pluggy.PluginManager, removed: list[object]) -> None:
        self._pm = pm
        self._removed = removed
        self._callers: dict[str, pluggy.HookCaller] = {}

    def __getattr__(self, name: str) -> pluggy.HookCaller:
        caller = self._callers.get(name)
        if caller is None:
            caller = self._pm.subset_hook_caller(name, remove_plugins=self._removed)
            self._callers[name] = caller
        return caller


class ConfigCache:
    """Decoded plugin config by (tenant id, tenant stamp, plugin): a stamp names one state of the
    tenant's plugin rows and the platform defaults, so an entry never goes stale, it goes unused
    (pluginsys.services.get_plugin_config)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._configs: dict[tuple[int, int, str], object] = {}

    def get(self, key: tuple[int, int, str]) -> object | None:
        return self._configs.get(key)

    def put(self, key: tuple[int, int, str], config: object) -> None:
        if len(self._configs) >= self.LIMIT:
            self._configs.clear()
        self._configs[key] = config

    def clear(self) -> None:
        self._configs.clear()


class PluginRelay:
    """A process's plugins: the manager, the hook callers per enabled set, and the keyring that
    opens the secrets in their config."""

    def __init__(self, pm: pluggy.PluginManager, keyring: Keyring) -> None:
        self.pm = pm
        self.keyring = keyring
        self._registered: dict[tuple[str, tuple[str, ...]], list[Contribution]] = {}
        self._cache: dict[tuple[frozenset[str], tuple[str, ...]], TenantHooks] = {}
        self.configs = ConfigCache()

    def registered(self, hook: str) -> list[Contribution]:
        """The full manager's answers to a ``register_*`` hook, collected once per set of
        registered plugins: startup registrations do not change while the set stays the same."""
        key = (hook, tuple(name for name, _ in self.pm.list_name_plugin()))
        found = self._registered.get(key)
        if found is None:
            found = self._registered[key] = collect_now(getattr(self.pm.hook, hook))
        return found

    def for_enabled(self, enabled: frozenset[str]) -> TenantHooks:
        registered = self.pm.list_name_plugin()
        # Keyed by what is registered too, so a plugin registered later is left out as well.
        key = (enabled, tuple(name for name, _ in registered))
        hooks = self._cache.get(key)
        if hooks is None:
            removed = [plugin for name, plugin in registered if name and not is_core(name) and name not in enabled]
            hooks = self._cache[key] = TenantHooks(self.pm, removed)
        return hooks


# The process's relay, entered like the tenant: per request by the app's middleware, per job by
# the worker, once by a CLI command. Hooks and plugin config are then reached without a runtime
# passed down to them.
_CURRENT: ContextVar[PluginRelay | None] = ContextVar("hearth_plugin_relay", default=None)


def current_relay() -> PluginRelay:
    relay = _CURRENT.get()
    if relay is None:
        raise RuntimeError("no plugin relay in this context (enter relay_scope(runtime.relay) first)")
    return relay


def current_relay_or_none() -> PluginRelay | None:
    return _CURRENT.get()


@contextmanager
def relay_scope(relay: PluginRelay) -> Iterator[PluginRelay]:
    token = _CURRENT.set(relay)
    try:
        yield relay
    finally:
        _CURRENT.reset(token)
