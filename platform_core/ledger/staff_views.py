"""The worker's earnings in the staff app: what the franchise owes them (the ledger's
`staff:{id}:earnings` account) and the orders that earned it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import EarningsContext, EarningsPanel
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import get_locale
from platform_core.web.pages import page

from . import services

HISTORY_SIZE = 50


def earnings_account(staff_id: int) -> str:
    return f"staff:{staff_id}:earnings"


@get("/staff/earnings", guards=[require_staff], include_in_schema=False, name="staff-earnings")
async def my_earnings(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    tenant = current_tenant()
    code = earnings_account(staff.id)
    commission = (await services.settings()).staff_commission_bp
    # Beside the balance: what others contribute, e.g. payouts' "withdraw" entry (compute_earnings_panels).
    context = EarningsContext(tenant=tenant, holder="staff", holder_id=staff.id, currency=tenant.currency, locale=get_locale())
    panels = sorted((p for _, p in await collect(current_runtime().hooks(tenant).compute_earnings_panels, earnings=context)
                     if isinstance(p, EarningsPanel)), key=lambda p: (p.order, p.key))
    return page(request, "ledger/staff_earnings.html", staff=staff, currency=tenant.currency, tenant_zone=ZoneInfo(tenant.timezone),
                balance=await services.balance(code, tenant.currency), movements=await services.movements(code, tenant.currency, HISTORY_SIZE),
                commission_percent=f"{commission / 100:g}", panels=panels)


STAFF_HANDLERS = [my_earnings]
