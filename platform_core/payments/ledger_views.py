"""The console's ledger page (finance): every account's balance, grouped as the franchise reads them, and
the settlement rates (platform fee and worker commission, entered in percent, kept in basis
points). Seeing needs `finance.view`; changing the rates `finance.manage`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.errors import HearthError, ValidationFailed
from platform_core.ledger import services
from platform_core.ledger.schemas import LedgerSettings, LedgerSettingsUpdate
from platform_core.money import from_minor, to_minor
from platform_core.staff.services import list_workers
from platform_core.web.forms import error_context
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from .console_views import provider_labels

# The rates form's fields and the settings they fill.
RATE_FIELDS = {"platform_fee": "platform_fee_bp", "staff_commission": "staff_commission_bp"}
GROUPS = ("franchise", "platform", "provider", "staff", "payouts")


def _percent(bp: int) -> str:
    """500 → "5", 1250 → "12.5"."""
    return from_minor(bp).rstrip("0").rstrip(".")


COMMISSION_BASES = {"paid": N_("What the customer paid (after discounts)"), "list": N_("The price before discounts")}


def _rates_values(rates: LedgerSettings) -> dict[str, str]:
    return {**{name: _percent(getattr(rates, setting)) for name, setting in RATE_FIELDS.items()}, "commission_base": rates.commission_base}


async def _page(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    groups: dict[str, list] = {name: [] for name in GROUPS}
    wallets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (kind, currency) → [total, accounts]
    for row in await services.balances():
        head, *rest = row.account.code.split(":")
        if head == "customer":
            summary = wallets[(rest[-1], row.account.currency)]
            summary[0] += row.balance
            summary[1] += 1
        else:
            groups[head].append(row)
    extra.setdefault("values", _rates_values(await services.settings()))
    extra.setdefault("errors", {})
    done = request.query_params.get("done") == "rates"
    return page(
        request, "payments/console_ledger.html", console=True, status_code=status_code, groups=groups,
        wallets=sorted((kind, currency, total, count) for (kind, currency), (total, count) in wallets.items()),
        providers=provider_labels(), commission_bases={key: gettext(label) for key, label in COMMISSION_BASES.items()}, workers={w.id: w.name for w in await list_workers()},
        flash=[("success", N_("The settlement rates are saved."))] if done else [], **extra,
    )


@get("/console/finance/ledger", guards=[require_console("finance.view")], include_in_schema=False, name="console-ledger")
async def ledger_page(request: Request) -> Response:
    return await _page(request)


def _rates_update(values: dict[str, str]) -> LedgerSettingsUpdate:
    """Percent with at most two decimals is basis points: "12.5" → 1250."""
    errors, update = {}, {}
    for name, setting in RATE_FIELDS.items():
        try:
            update[setting] = to_minor(values[name])
        except ValueError:
            update[setting] = -1
        if not 0 <= update[setting] <= 10000:
            errors[name] = N_("Enter a percentage between 0 and 100, like 5 or 12.5.")
    # Left out (a form from before the setting existed): unchanged.
    base = values.get("commission_base") or msgspec.UNSET
    if base is not msgspec.UNSET and base not in COMMISSION_BASES:
        errors["commission_base"] = N_("Choose one of the options.")
    if errors:
        raise ValidationFailed(errors)
    return LedgerSettingsUpdate(**update, commission_base=base)


@post("/console/finance/ledger/rates", guards=[require_console("finance.manage")], include_in_schema=False,
      name="console-ledger-rates")
async def save_rates(request: Request) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in (*RATE_FIELDS, "commission_base")}
    try:
        update = _rates_update(values)
        try:
            await services.save_settings(update)
        except ValidationFailed as exc:  # the service names the settings; the form's fields are percents
            raise ValidationFailed({name: exc.fields[setting] for name, setting in RATE_FIELDS.items() if setting in exc.fields}) from None
    except HearthError as exc:
        return await _page(request, status_code=exc.status_code, values=values, **error_context(exc))
    return Redirect("/console/finance/ledger?done=rates", status_code=303)


CONSOLE_HANDLERS = [ledger_page, save_rates]
