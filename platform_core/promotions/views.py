"""The customer's "My coupons" (/account/coupons): available, used and expired tabs, each coupon
with its terms and its days in the franchise's time zone, and the form to redeem a code."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from msgspec import Meta

from platform_core.accounts.guards import require_console, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context, redirect_after_post
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page
from platform_core.web.templating import money

from . import codes, services
from .controllers import TABS
from .schemas import CouponTemplate

TAB_LABELS = {"available": N_("Available"), "used": N_("Used"), "expired": N_("Expired")}
STATE_LABELS = {"held": N_("Held by an unpaid order"), "revoked": N_("Revoked")}


def terms(template: CouponTemplate, currency: str) -> list[str]:
    """A coupon's terms in words, translated: what it gives, then its conditions."""
    if template.kind == "amount_off":
        first = gettext("%(amount)s off", amount=money(template.amount_off, currency))
    elif template.kind == "percent_off":
        first = gettext("%(percent)s%% off", percent=template.percent_off)
        if template.max_discount:
            first += gettext(", up to %(amount)s", amount=money(template.max_discount, currency))
    elif template.kind == "free_addon":
        first = gettext("A free add-on")
    elif template.voucher_price:
        first = gettext("One service at %(amount)s", amount=money(template.voucher_price, currency))
    else:
        first = gettext("One service free")
    lines = [first]
    if template.min_spend:
        lines.append(gettext("Minimum spend %(amount)s", amount=money(template.min_spend, currency)))
    if template.category_codes or template.item_ids:
        lines.append(gettext("For selected services only"))
    if template.first_order_only:
        lines.append(gettext("Only for your first order"))
    if not template.stacks_with_rules:
        lines.append(gettext("Not combined with automatic discounts"))
    return lines


async def _coupons_page(request: Request, customer_id: int, tab: str, *, status_code: int = 200, **extra: object) -> Template:
    tab = tab if tab in TABS else "available"
    coupons = await services.customer_coupons(customer_id, TABS[tab])
    return page(request, "promotions/my_coupons.html", status_code=status_code, coupons=coupons, tab=tab, tabs=TAB_LABELS, states=STATE_LABELS, terms=terms,
                tz=ZoneInfo(current_tenant().timezone), delta=timedelta(seconds=1), currency=current_tenant().currency,
                redeemed=request.query_params.get("redeemed") == "1", **extra)


@get("/account/coupons", guards=[require_customer], include_in_schema=False, name="customer-coupons")
async def my_coupons(request: Request, principal: NamedDependency[Principal]) -> Template:
    customer = await active_customer(principal)
    return await _coupons_page(request, customer.id, request.query_params.get("tab", "available"), values={}, errors={})


@post("/account/coupons/redeem", guards=[require_customer], include_in_schema=False)
async def redeem(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    form = await request.form()
    code = str(form.get("code") or "")[:64]
    try:
        await codes.redeem_typed_code(customer.id, code, request.client.host if request.client else "")
    except HearthError as exc:
        context = error_context(exc)
        if not context["errors"]:
            context["errors"] = {"code": context["form_error"]}  # a rate limit shows at the field
        return await _coupons_page(request, customer.id, "available", status_code=exc.status_code, values={"code": code}, **context)
    return redirect_after_post(request, "/account/coupons?redeemed=1")


@get("/console/marketing/coupon-templates/{template_id:int}/codes.csv", guards=[require_console("marketing.manage")],
     include_in_schema=False, name="console-coupon-codes-csv")
async def codes_csv(template_id: PathId, batch: FromQuery[Annotated[str, Meta(min_length=1, max_length=64)]]) -> Response:
    """A batch of one-time codes as CSV, for the partner who hands them out."""
    await services.get_template(template_id)
    body = await codes.batch_csv(template_id, batch)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="coupon-codes-{template_id}.csv"', "cache-control": "no-store"})


PAGE_HANDLERS = [my_coupons, redeem, codes_csv]
