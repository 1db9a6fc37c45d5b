"""The plugin's logic, inside the caller's transaction (a request's, or tenant_scope's)."""

from __future__ import annotations

from platform_core.plugin_api import current_connection

from .tables import Welcome


async def welcome_customer(tenant_id: int, customer_id: int) -> None:
    # ON CONFLICT: a failed statement would abort the registration's transaction, and a hook
    # must never undo the fact it is told about.
    await current_connection().execute(
        "insert into hello_welcome (tenant_id, customer_id) values ($1, $2) on conflict (tenant_id, customer_id) do nothing",
        tenant_id, customer_id,
    )


async def welcomed_count() -> int:
    """Customers welcomed by the current tenant (row-level security leaves out the others)."""
    return await Welcome.count()
