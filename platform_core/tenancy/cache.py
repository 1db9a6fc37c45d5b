"""The tenants one app process has served, by how a request named them, so a request does not
read its tenant, domains and plugins again.

A cached tenant is used only after the request's own transaction has confirmed its stamp: the
statement that sets the request's tenant also reads `core_tenant.version` (a `Probe`), and any
change to the tenant, its domains, its plugin rows or the platform's plugin defaults renews that
stamp in the same transaction as the change (triggers, tenancy_0003). So every process sees a
change with the first request after its commit, a suspended franchise stops at once, and a stale
entry costs one reload, never a wrong answer. Unknown hosts are not kept: a new domain works at
once, and a stranger's made-up hosts cannot fill the cache.
"""

from __future__ import annotations

from platform_core.db import Probe

from .schemas import TenantContext

# Read with the tenant's `set_config`, `$2` being the cached tenant's id.
STAMP_SQL = "select version from core_tenant where id = $2"
# Hosts and X-Tenant names that resolve are few; past this, start again rather than grow.
LIMIT = 10_000

Key = tuple[str, str | None]


class TenantCache:
    def __init__(self) -> None:
        self._tenants: dict[Key, TenantContext] = {}

    def get(self, key: Key) -> TenantContext | None:
        return self._tenants.get(key)

    def probe(self, key: Key) -> Probe | None:
        """What to read with the tenant's `set_config` to confirm the entry (None: no entry)."""
        return Probe(STAMP_SQL) if key in self._tenants else None

    def confirmed(self, key: Key, probe: Probe | None) -> TenantContext | None:
        """The entry, when the database's stamp read by `probe` is still its own."""
        tenant = self._tenants.get(key)
        if tenant is None or probe is None or probe.value != tenant.version:
            return None
        return tenant

    def put(self, key: Key, tenant: TenantContext) -> None:
        if len(self._tenants) >= LIMIT:
            self._tenants.clear()
        self._tenants[key] = tenant

    def drop(self, key: Key) -> None:
        self._tenants.pop(key, None)
