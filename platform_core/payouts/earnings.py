"""What a person's earnings page reads: the balance, what is held in withdrawals, the movements,
the payout account and the panels plugins put beside the balance (compute_earnings_panels)."""

from __future__ import annotations

from platform_core.ledger import services as ledger
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import EarningsContext, EarningsPanel
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext

from . import services
from .schemas import (
    Earnings,
    EarningsMovement,
    EarningsPanelData,
    Holder,
    WithdrawalRules,
)

HISTORY_SIZE = 50


async def earnings_panels(holder: Holder, holder_id: int, locale: str) -> list[EarningsPanel]:
    """The panels the tenant's enabled plugins (and the core) contribute, by order then key; a
    failing plugin is left out (pluginsys.calls)."""
    tenant = current_tenant()
    context = EarningsContext(tenant=tenant, holder=holder, holder_id=holder_id, currency=tenant.currency, locale=locale)
    found = [panel for _, panel in await collect(current_runtime().hooks(tenant).compute_earnings_panels, earnings=context)
             if isinstance(panel, EarningsPanel)]
    return sorted(found, key=lambda p: (p.order, p.key))


async def earnings(holder: Holder, holder_id: int, locale: str) -> Earnings:
    currency = current_tenant().currency
    code = services.earnings_code(holder, holder_id)
    rules = await services.settings()
    account = await services.payout_account(holder, holder_id)
    moves = await ledger.movements(code, currency, HISTORY_SIZE)
    panels = await earnings_panels(holder, holder_id, locale)
    balance = await ledger.balance(code, currency)
    return Earnings(
        balance=balance, currency=currency, held=await services.held_amount(holder, holder_id), account=account,
        can_withdraw=account is not None and balance >= rules.min_amount and (holder == "customer" or rules.staff_on_demand),
        settings=WithdrawalRules.of(rules), movements=[EarningsMovement(kind=m.kind, amount=m.amount, created_at=m.created_at) for m in moves],
        panels=[EarningsPanelData(key=p.key, title=gettext(p.title), value=p.value, note=gettext(p.note) if p.note else "", href=p.href)
                for p in panels])
