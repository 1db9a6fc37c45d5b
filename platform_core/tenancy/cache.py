"""The tenants one app process has served, by how a request named them, so a request does not
read its tenant, domains and plugins again.

A cached tenant is used only after the request's own transaction has confirmed its stamp: the
round trip that begins the request's transaction and sets its tenant also checks
`core_tenant.version` (a `Probe`), and any
change to the tenant, its domains, its plugin rows or the platform's plugin defaults renews that
stamp in the same transaction as the change (triggers, tenancy_0003). So every process sees a
change with the first request after its commit, a suspended franchise stops at once, and a stale
entry costs one reload, never a wrong answer. Unknown hosts are not kept: a new domain works at
once, and a stranger's made-up hosts cannot fill the cache.
"""

from __future__ import annotations

from platform_core.db import Probe

from .schemas import TenantContext

# Hosts and X-Tenant names that resolve are few; past this, start again rather than grow.
LIMIT = 10_000

Key = tuple[str, str | None]


class StampProbe(Probe):
    """One row when the tenant's stamp in the database is still the cached entry's."""

    def __init__(self, tenant: TenantContext) -> None:
        super().__init__(f"select 1 from core_tenant where id = {int(tenant.id)} and version = {int(tenant.version)}")
        self.tenant = tenant


class TenantCache:
    def __init__(self) -> None:
        self._tenants: dict[Key, TenantContext] = {}

    def probe(self, key: Key) -> StampProbe | None:
        """What to send with the transaction's BEGIN to confirm the entry (None: no entry)."""
        tenant = self._tenants.get(key)
        return StampProbe(tenant) if tenant is not None else None

    @staticmethod
    def confirmed(probe: StampProbe | None) -> TenantContext | None:
        """The probed entry, when the database's stamp is still its own."""
        return probe.tenant if probe is not None and probe.held else None

    def put(self, key: Key, tenant: TenantContext) -> None:
        if len(self._tenants) >= LIMIT:
            self._tenants.clear()
        self._tenants[key] = tenant

    def drop(self, key: Key) -> None:
        self._tenants.pop(key, None)
