"""The worker's earnings in the staff app: what the franchise owes them (the ledger's
`staff:{id}:earnings` account) and the orders that earned it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.tenancy.context import current_tenant
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
    return page(request, "ledger/staff_earnings.html", staff=staff, currency=tenant.currency, tenant_zone=ZoneInfo(tenant.timezone),
                balance=await services.balance(code, tenant.currency), movements=await services.movements(code, tenant.currency, HISTORY_SIZE),
                commission_percent=f"{commission / 100:g}")


STAFF_HANDLERS = [my_earnings]
