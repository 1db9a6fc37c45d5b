"""A module imported where it is first used, not where it is named: for the heavy libraries only
some paths need (payment SDKs, numpy), so a web process that never takes those paths never holds
them (docs/scaling.md, memory per process)."""

from __future__ import annotations

import importlib
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
