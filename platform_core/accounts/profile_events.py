"""Telling plugins a customer's profile changed (on_customer_profile_updated), with what it holds
now. Read only when a plugin the tenant has on listens: otherwise a profile change costs nothing
more."""

from __future__ import annotations

from platform_core import clock
from platform_core.db import current_connection
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CustomerProfileEvent
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext


async def profile_filled(customer_id: int) -> frozenset[str]:
    """The parts of the customer's profile that are filled in: "display_name", "email",
    "preferences" (any of them set) and "address" (at least one saved)."""
    row = await current_connection().fetchrow(
        "select btrim(display_name) <> '' as display_name, btrim(email) <> '' as email, "
        "coalesce(preferences::text, '{}') not in ('{}', '') as preferences, "
        "exists(select 1 from core_customer_address a where a.customer_id = c.id) as address "
        "from core_customer c where c.id = $1",
        customer_id,
    )
    return frozenset(name for name, filled in (row.items() if row else ()) if filled)


async def profile_updated(tenant: TenantContext, customer_id: int) -> None:
    """After a change of the customer's profile or address book, in its transaction."""
    caller = current_runtime().hooks(tenant).on_customer_profile_updated
    if not caller.get_hookimpls():
        return
    event = CustomerProfileEvent(
        tenant=tenant, customer_id=customer_id, occurred_at=clock.now(), filled=await profile_filled(customer_id))
    await tell(caller, event=event)
