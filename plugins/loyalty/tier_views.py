"""Tier pages and API: the member-centre panel (`tier_panel`, `_panel_tier.html`), the customer's
page of every tier (/p/loyalty/tiers), the JSON API (/p/loyalty/api/tier, /p/loyalty/api/tiers)
and the console's tier editor with the tier spread (/p/loyalty/console/tiers)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect

from platform_core.plugin_api import (
    HearthError,
    MenuEntry,
    Principal,
    ValidationFailed,
    active_customer,
    coupon_templates,
    from_minor,
    gettext,
    lazy_gettext,
    list_console_users,
    page,
    require_console,
    require_customer,
    to_minor,
)

from . import tiers as t
from .privileges import PrivilegeLine, privileges_of, support_agent_name

SETTINGS = [require_console("marketing.manage")]
TierCode = Annotated[str, PathParameter(max_length=32, pattern=r"^[a-z][a-z0-9_]{0,31}$", description="A tier's code")]
CUSTOMER = [require_customer]


# ---- the panel (member centre) and the API


class TierSummary(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    rank: int
    min_spend: int  # minor units, over a rolling 12 months
    min_bookings: int
    min_activity: int
    privileges: list[PrivilegeLine]


class TierPanel(msgspec.Struct, frozen=True, kw_only=True):
    """A member's tier as the member centre shows it."""

    tier: TierSummary
    since: datetime | None
    spend_minor: int  # the last 12 months
    completed_orders: int
    activity: int
    next_tier: TierSummary | None = None
    missing_spend: int = 0  # minor units
    missing_bookings: int = 0
    missing_activity: int = 0
    percent: int = 100
    downgrade_due: date | None = None  # the member keeps the tier until then
    downgrade_to: str | None = None  # the name of the tier they would move to
    support_agent: str = ""


async def _summary(tier: t.Tier) -> TierSummary:
    return TierSummary(code=tier.code, name=tier.name, rank=tier.rank, min_spend=tier.min_spend, min_bookings=tier.min_bookings,
                       min_activity=tier.min_activity, privileges=await privileges_of(tier))


async def tier_panel(customer_id: int) -> TierPanel:
    """The member-centre panel: tier, progress to the next, privileges, a downgrade that is due."""
    held = await t.member_tier(customer_id)
    progress = await t.progress(customer_id)
    return TierPanel(
        tier=await _summary(held.tier), since=held.since, spend_minor=progress.spend_minor,
        completed_orders=progress.completed_orders, activity=progress.activity,
        next_tier=await _summary(progress.next_tier) if progress.next_tier else None,
        missing_spend=progress.missing_spend, missing_bookings=progress.missing_bookings,
        missing_activity=progress.missing_activity, percent=progress.percent,
        downgrade_due=held.downgrade_due, downgrade_to=held.downgrade_to.name if held.downgrade_to else None,
        support_agent=await support_agent_name(held.tier),
    )


@get("/api/tier", guards=CUSTOMER, operation_id="loyaltyMyTier", summary="Your member tier, progress and privileges")
async def api_my_tier(principal: NamedDependency[Principal]) -> TierPanel:
    customer = await active_customer(principal)
    return await tier_panel(customer.id)


@get("/api/tiers", guards=CUSTOMER, operation_id="loyaltyTiers", summary="The franchise's member tiers and what each gives")
async def api_tiers() -> list[TierSummary]:
    return [await _summary(tier) for tier in await t.list_tiers()]


# ---- the customer's page


@get("/tiers", guards=CUSTOMER, include_in_schema=False, name="loyalty-tiers")
async def tiers_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    summaries = [await _summary(tier) for tier in await t.list_tiers()]
    return page(request, "loyalty/tiers.html", tiers=summaries, tier_panel=await tier_panel(customer.id))


# ---- the console


def _errors(exc: HearthError) -> dict[str, str]:
    return {name: gettext(text) for name, text in exc.fields.items()}


async def _console_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return page(request, template, console=True, status_code=status_code, **context)


@get("/console/tiers", guards=SETTINGS, include_in_schema=False, name="loyalty-console-tiers")
async def console_tiers(request: Request) -> Response:
    spread = await t.tier_spread()
    total = sum(n for _, n in spread)
    saved = request.query_params.get("done") == "saved"
    return await _console_page(request, "loyalty/console_tiers.html", spread=spread, total=total,
                               flash=[("success", gettext("The tier has been saved."))] if saved else [])


_LIST = re.compile(r"[\s,，、]+")


def _form_values(tier: t.Tier) -> dict[str, str]:
    return {
        "name": tier.name, "rank": str(tier.rank), "min_spend": from_minor(tier.min_spend),
        "min_bookings": str(tier.min_bookings), "min_activity": str(tier.min_activity),
        "points_multiplier_percent": str(tier.points_multiplier_percent), "dispatch_bonus": str(tier.dispatch_bonus),
        "birthday_template_id": str(tier.birthday_template_id or ""), "voucher_template_id": str(tier.voucher_template_id or ""),
        "vouchers_per_year": str(tier.vouchers_per_year), "support_agent_id": str(tier.support_agent_id or ""),
        "priority_categories": ", ".join(tier.priority_categories), "priority_items": ", ".join(map(str, tier.priority_items)),
        "priority_extra_days": str(tier.priority_extra_days),
    }


def tier_fields_from(values: dict[str, str]) -> t.TierFields:
    """The posted form as TierFields; every bad field is named (ValidationFailed)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for name, text in values.items():
        if "\x00" in text or len(text) > 2000:
            errors[name] = lazy_gettext("Use at most 2000 characters.")
    data["name"] = values.get("name", "").strip()
    try:
        data["min_spend"] = to_minor(values.get("min_spend", "0") or "0")
    except ValueError:
        errors["min_spend"] = lazy_gettext("Enter an amount such as 3000 or 3000.50.")
    for name in ("rank", "min_bookings", "min_activity", "points_multiplier_percent", "dispatch_bonus", "vouchers_per_year",
                 "priority_extra_days"):
        text = values.get(name, "").strip()
        if not text:
            continue  # the tier's default
        if not re.fullmatch(r"\d{1,12}", text):
            errors[name] = lazy_gettext("Enter a whole number.")
        else:
            data[name] = int(text)
    for name in ("birthday_template_id", "voucher_template_id", "support_agent_id"):
        text = values.get(name, "").strip()
        if text and not re.fullmatch(r"\d{1,18}", text):
            errors[name] = lazy_gettext("Choose one from the list.")
        data[name] = int(text) if text and name not in errors else None
    data["priority_categories"] = [c for c in _LIST.split(values.get("priority_categories", "").strip().lower()) if c]
    items = [i for i in _LIST.split(values.get("priority_items", "").strip()) if i]
    if any(not re.fullmatch(r"\d{1,18}", i) for i in items):
        errors["priority_items"] = lazy_gettext("Enter service item numbers, separated by commas.")
    else:
        data["priority_items"] = [int(i) for i in items]
    if errors:
        raise ValidationFailed(errors)
    try:
        return msgspec.convert(data, t.TierFields)
    except msgspec.ValidationError as exc:
        found = re.search(r"at `\$\.([a-z_]+)", str(exc))
        field = found.group(1) if found else "name"
        raise ValidationFailed({field: _BOUNDS.get(field, lazy_gettext("This value is not allowed."))}) from None


_BOUNDS = {
    "name": lazy_gettext("Give the tier a name of at most 40 characters."),
    "rank": lazy_gettext("Use a rank from 0 to 100."),
    "min_spend": lazy_gettext("Enter an amount such as 3000 or 3000.50."),
    "min_bookings": lazy_gettext("Use a number from 0 to 10000."),
    "min_activity": lazy_gettext("Use a number from 0 to 10000."),
    "points_multiplier_percent": lazy_gettext("Use a percentage from 100 to 1000."),
    "dispatch_bonus": lazy_gettext("Use a number from 0 to 100."),
    "vouchers_per_year": lazy_gettext("Use a number from 0 to 24."),
    "priority_extra_days": lazy_gettext("Use a number from 0 to 90."),
    "priority_categories": lazy_gettext("Enter category codes (letters, digits, - and _), separated by commas."),
    "priority_items": lazy_gettext("Enter service item numbers, separated by commas."),
}


async def _edit_context(tier: t.Tier) -> dict[str, Any]:
    templates = [(str(x.id), x.name) for x in await coupon_templates() if x.status == "active"]
    agents = [(str(u.id), u.display_name or u.email) for u in await list_console_users() if u.status == "active"]
    none = [("", gettext("None"))]
    return {"tier": tier, "templates": none + templates, "agents": none + agents}


@get("/console/tiers/{code:str}", guards=SETTINGS, include_in_schema=False, name="loyalty-console-tier")
async def console_tier(request: Request, code: TierCode) -> Response:
    tier = await t.get_tier(code)
    return await _console_page(request, "loyalty/console_tier.html", values=_form_values(tier), errors={},
                               **await _edit_context(tier))


@post("/console/tiers/{code:str}", guards=SETTINGS, include_in_schema=False, name="loyalty-console-tier-save")
async def console_tier_save(request: Request, code: TierCode) -> Response:
    tier = await t.get_tier(code)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        await t.update_tier(tier.code, tier_fields_from(values))
    except HearthError as exc:
        return await _console_page(request, "loyalty/console_tier.html", status_code=exc.status_code, values=values,
                                   errors=_errors(exc), **await _edit_context(tier))
    return Redirect("/p/loyalty/console/tiers?done=saved", status_code=303)


HANDLERS = [api_my_tier, api_tiers, tiers_page, console_tiers, console_tier, console_tier_save]


def menu_entries() -> list[MenuEntry]:
    return [MenuEntry(label="Member tiers", href="/p/loyalty/console/tiers", icon="star", permission="marketing.manage",
                      section="marketing", order=60)]
