"""The per-tenant relay: hook callers that leave out the plugins a tenant has not enabled."""

from __future__ import annotations

import asyncio
import inspect
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pluggy

from platform_core.db.engine import get_engine

from .manager import is_core

log = logging.getLogger("hearth.plugins")


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


class PluginRelay:
    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._cache: dict[tuple[frozenset[str], tuple[str, ...]], TenantHooks] = {}

    def for_enabled(self, enabled: frozenset[str]) -> TenantHooks:
        registered = self.pm.list_name_plugin()
        # Keyed by what is registered too, so a plugin registered later is left out as well.
        key = (enabled, tuple(name for name, _ in registered))
        hooks = self._cache.get(key)
        if hooks is None:
            removed = [plugin for name, plugin in registered if name and not is_core(name) and name not in enabled]
            hooks = self._cache[key] = TenantHooks(self.pm, removed)
        return hooks


async def call_async(caller: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Call a hook whose impls may be sync or async; await the coroutines, keep the order."""
    results = caller(**kwargs)
    if not isinstance(results, list):
        results = [results]
    out = []
    for result in results:
        out.append(await result if inspect.isawaitable(result) else result)
    return [r for r in out if r is not None]


async def notify(caller: pluggy.HookCaller, **kwargs: Any) -> list[str]:
    """Call an `on_*` hook impl by impl: a failing plugin is logged and skipped, never allowed to
    undo the fact it is told about. Returns the names of the plugins that failed."""
    failed: list[str] = []
    for impl in reversed(caller.get_hookimpls()):
        try:
            async with _savepoint():
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
                if inspect.isawaitable(result):
                    await result
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, caller.name)
            failed.append(impl.plugin_name)
    return failed


@asynccontextmanager
async def _savepoint() -> AsyncIterator[None]:
    """Inside a transaction, run a hook impl in a savepoint: a failed statement of a plugin rolls
    back only its own work, not the fact it was told about."""
    tx = get_engine().current_transaction.get()
    if tx is None:
        yield
        return
    async with tx.connection.transaction():
        yield
