"""The one place hooks are called: impl by impl, in pluggy's order, with the error policy of the
hook's family (hookspecs.py states each family's contract; this module enforces it).

- ``register_*``: startup, on the full manager. Any failure propagates: a broken plugin stops
  the start instead of running half-registered.
- ``provide_*``, ``compute_*``, ``select_*``: per request, through the tenant's relay. A
  plugin that raises is logged and left out of the answer; the core's own impls raise.
- ``on_*``: after a fact. Each plugin impl runs in a savepoint and a failure is logged, never
  undoing the fact; the core's own impls are part of the fact: their failure propagates and
  rolls the whole change back.

Impls may be sync or async where the spec says so; ``collect_now`` is for call sites that can
not await (the spec says sync) and refuses an impl that returns a coroutine.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, NamedTuple

import pluggy

from platform_core.db.engine import get_engine

from .manager import is_core

log = logging.getLogger("hearth.plugins")


class Contribution(NamedTuple):
    """One item of a hook's answer, with the plugin (or core module) it came from."""

    plugin: str
    value: Any


def _family(caller: pluggy.HookCaller) -> str:
    return caller.name.split("_", 1)[0]


def _impls(caller: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    # get_hookimpls() lists impls in reverse calling order (tryfirst last); pluggy calls from the end.
    return list(reversed(caller.get_hookimpls()))


def _invoke(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
    return impl.function(*[kwargs[arg] for arg in impl.argnames])


def _tolerated(caller: pluggy.HookCaller, impl: pluggy.HookImpl) -> bool:
    """Whether this impl's failure is logged and skipped rather than raised."""
    return _family(caller) != "register" and not is_core(impl.plugin_name)


def _contributions(impl: pluggy.HookImpl, result: Any) -> list[Contribution]:
    if result is None:
        return []
    items = result if isinstance(result, (list, tuple)) else [result]
    return [Contribution(impl.plugin_name, item) for item in items]


def collect_now(caller: pluggy.HookCaller, **kwargs: Any) -> list[Contribution]:
    """Every impl's answer, flattened (a list answer gives one contribution per item), for
    hooks whose impls are sync."""
    found: list[Contribution] = []
    for impl in _impls(caller):
        try:
            result = _invoke(impl, kwargs)
            if inspect.isawaitable(result):
                result.close()  # type: ignore[union-attr]
                raise TypeError(f"{caller.name} is called sync; {impl.plugin_name} returned a coroutine")
        except Exception:
            if not _tolerated(caller, impl):
                raise
            log.exception("plugin %s failed in %s", impl.plugin_name, caller.name)
            continue
        found.extend(_contributions(impl, result))
    return found


async def _answers(caller: pluggy.HookCaller, kwargs: dict[str, Any]) -> AsyncIterator[tuple[pluggy.HookImpl, Any]]:
    """Each impl's answer in calling order, awaited when async; a tolerated failure is logged and
    skipped (see the module docstring)."""
    for impl in _impls(caller):
        try:
            result = _invoke(impl, kwargs)
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            raise
        except Exception:
            if not _tolerated(caller, impl):
                raise
            log.exception("plugin %s failed in %s", impl.plugin_name, caller.name)
            continue
        yield impl, result


async def collect(caller: pluggy.HookCaller, **kwargs: Any) -> list[Contribution]:
    """Like collect_now, for hooks whose impls may be async."""
    return [found async for impl, result in _answers(caller, kwargs) for found in _contributions(impl, result)]


async def first(caller: pluggy.HookCaller, **kwargs: Any) -> Any | None:
    """``select_*``: the first answer that is not None, in calling order."""
    async for _, result in _answers(caller, kwargs):
        if result is not None:
            return result
    return None


async def tell(caller: pluggy.HookCaller, **kwargs: Any) -> list[str]:
    """``on_*``: tell every impl of a fact. Returns the names of the plugins that failed."""
    failed: list[str] = []
    for impl in _impls(caller):
        if not _tolerated(caller, impl):
            result = _invoke(impl, kwargs)
            if inspect.isawaitable(result):
                await result
            continue
        try:
            async with _savepoint():
                result = _invoke(impl, kwargs)
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
    """Inside a transaction, run a plugin's impl in a savepoint: a failed statement of a plugin
    rolls back only its own work, not the fact it was told about."""
    tx = get_engine().current_transaction.get()
    if tx is None:
        yield
        return
    async with tx.connection.transaction():
        yield
