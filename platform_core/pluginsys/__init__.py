"""The plugin machinery: markers, hook specifications, the manager and the per-tenant relay."""

from .markers import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
