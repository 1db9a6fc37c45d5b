"""A module imported where it is first used, not where it is named: for the heavy libraries only
some paths need (payment SDKs, numpy), so a web process that never takes those paths never holds
them (docs/scaling.md, memory per process)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name`; the first attribute read imports it (under Python's import
    lock, so threads that race to it get one module) and every read goes to the real module.

    Write `stripe = lazy_module("stripe")` at the top and use `stripe.StripeClient` as before."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    return LazyModule(name)


class _Deferred(ModuleType):
    """Stands in sys.modules for a module not imported yet: `import name` finds it, and the first
    attribute read puts the real module in its place (under Python's import lock) and reads it."""

    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


def defer_import(name: str) -> None:
    """Third-party code's `import name` at its top imports nothing until the module is used (for
    our own imports, `lazy_module`). Nothing happens if the module is loaded already."""
    sys.modules.setdefault(name, _Deferred(name))
