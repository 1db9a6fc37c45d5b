"""The console's coupon pages (Marketing menu, `marketing.manage`): coupon templates (list, create
and edit, archive), a template's page (its numbers, issuing by hand to a customer found by phone,
batches of one-time codes with their CSV) and the issued coupons (by state and template, revoke
with a reason after a confirm step). Discount rules are in console_rules.py. Every form works
without JS; the template form shows the fields of the chosen kind (hearth.js `data-show-when`)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.accounts.services import customer_cards, customer_id_for_phone
from platform_core.accounts.sessions import Principal
from platform_core.catalog import services as catalog
from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    format_money_input,
    optional_int,
    parse_money,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import codes, services
from .schemas import CouponTemplate, CouponTemplateFields, Rule
from .views import terms

BASE = "/console/marketing"
GUARD = require_console("marketing.manage")
KIND_LABELS = {
    "amount_off": N_("Amount off"), "percent_off": N_("Percent off"), "free_addon": N_("Free add-on"),
    "item_voucher": N_("Service voucher"),
}
# The fields each kind uses beyond the common ones: the form shows and reads only these.
KIND_FIELDS = {
    "amount_off": ("amount_off",), "percent_off": ("percent_off", "max_discount"), "free_addon": ("addon_id",),
    "item_voucher": ("voucher_item_id", "voucher_price"),
}
STATE_LABELS = {
    "available": N_("Available"), "held": N_("Held"), "used": N_("Used"), "expired": N_("Expired"), "revoked": N_("Revoked"),
}
STATE_TONES = {"available": "success", "held": "warning", "used": "info", "expired": None, "revoked": "danger"}
SOURCE_LABELS = {
    "manual": N_("By hand"), "code": N_("Public code"), "batch": N_("One-time code"), "plugin": N_("Plugin"),
    "campaign": N_("Campaign"),
}
FUNDER_LABELS = {"franchise": N_("The franchise"), "platform": N_("Head office")}
VALIDITY_LABELS = {"open": N_("No end date"), "dates": N_("Fixed dates"), "days": N_("Days after issue")}
NOTICES = {
    "template": N_("The coupon template is saved."),
    "archived": N_("The coupon template is archived: no new coupons are issued from it."),
    "active": N_("The coupon template is active again."),
    "issued": N_("The coupon is issued to the customer."),
    "batch": N_("The codes are generated. Download them as CSV below."),
    "revoked": N_("The coupon is revoked."),
}
PER_PAGE = 50
_MAX_PICKED = 500
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


# --------------------------------------------------------------------------- shared by the forms


def money_input(amount: int) -> str:
    return format_money_input(amount, current_tenant().currency) if amount else ""


def read_money(values: dict[str, str], name: str, errors: dict[str, str]) -> int:
    """A major-unit amount typed in a form ("20" or "19.90") as minor units; blank is 0."""
    try:
        amount = parse_money(values.get(name) or "0", current_tenant().currency)
    except ValueError:
        errors[name] = N_("Enter an amount like 50 or 49.90.")
        return 0
    if amount < 0:
        errors[name] = N_("Enter an amount of 0 or more.")
    return amount


def form_values(form: FormMultiDict, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in names}


def picked(form: FormMultiDict, name: str) -> list[str]:
    """The ticked values of a picker, bounded (a hand-made form may send thousands)."""
    return [str(v) for v in form.getall(name, [])][:_MAX_PICKED]


async def pickers() -> dict[str, Any]:
    """The franchise's categories, services and add-ons, for the pickers of both forms."""
    tenant = current_tenant()
    categories = catalog.flatten(catalog.build_tree(await catalog.list_categories(tenant, for_customer=False)))
    items = await catalog.list_items()
    return {
        "category_options": [(c.code, ("— " * depth) + c.title) for depth, c in categories],
        "item_options": [(str(i.id), i.title) for i in items],
        "addon_options": [(str(a.id), f"{i.title} · {a.title}") for i in items for a in i.addons if a.active],
    }


def check_picked(choices: dict[str, Any], chosen: dict[str, list[str]], errors: dict[str, str]) -> None:
    """Only what the franchise offers: an id of another franchise's service is refused at the field."""
    for name, options in (("category_codes", "category_options"), ("item_ids", "item_options")):
        known = {value for value, _label in choices[options]}
        if any(value not in known for value in chosen[name]):
            errors[name] = N_("Choose from the list.")


def label_map(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in labels.items()]


def kept_funder(saved: CouponTemplate | Rule | None) -> str:
    """Who funds a discount is not the franchise's to change: a head-office (platform-funded)
    discount is set up by head office in the franchise's tenant file (`hearth tenants apply`), so
    the console keeps what is saved and makes new ones the franchise's. Otherwise a franchise could
    book its own discounts as owed by the platform."""
    return saved.funded_by if saved is not None else "franchise"


def funder_options(saved: CouponTemplate | Rule | None) -> list[tuple[str, str]]:
    kept = kept_funder(saved)
    return [(key, label) for key, label in label_map(FUNDER_LABELS) if key == kept]


# --------------------------------------------------------------------------- coupon templates

_TEMPLATE_TEXT = (
    "name", "description", "kind", "amount_off", "percent_off", "max_discount", "min_spend", "addon_id", "voucher_item_id",
    "voucher_price", "validity", "valid_from", "valid_until", "valid_days", "per_customer_limit", "total_limit", "funded_by",
    "public_code",
)
_TEMPLATE_FLAGS = ("first_order_only", "stacks_with_rules", "return_on_cancel")


def _template_values(template: CouponTemplate | None) -> dict[str, Any]:
    """The form's values: a template's, or a new one's defaults."""
    if template is None:
        return {"kind": "amount_off", "validity": "days", "valid_days": "30", "per_customer_limit": "1", "funded_by": "franchise",
                "stacks_with_rules": True, "return_on_cancel": True, "category_codes": [], "item_ids": []}
    t = template
    validity = "days" if t.valid_days else "dates" if (t.valid_from or t.valid_until) else "open"
    return {
        "name": t.name, "description": t.description, "kind": t.kind, "amount_off": money_input(t.amount_off),
        "percent_off": str(t.percent_off or ""), "max_discount": money_input(t.max_discount), "min_spend": money_input(t.min_spend),
        "addon_id": str(t.addon_id or ""), "voucher_item_id": str(t.voucher_item_id or ""), "voucher_price": money_input(t.voucher_price),
        "validity": validity, "valid_from": str(t.valid_from or ""), "valid_until": str(t.valid_until or ""),
        "valid_days": str(t.valid_days or ""), "per_customer_limit": str(t.per_customer_limit), "total_limit": str(t.total_limit or ""),
        "funded_by": t.funded_by, "public_code": t.public_code or "", "first_order_only": t.first_order_only,
        "stacks_with_rules": t.stacks_with_rules, "return_on_cancel": t.return_on_cancel,
        "category_codes": list(t.category_codes), "item_ids": [str(i) for i in t.item_ids],
    }


def _template_data(values: dict[str, Any], choices: dict[str, Any]) -> CouponTemplateFields:
    """The posted form as the engine's fields: only the chosen kind's and the chosen validity's
    fields are read (the others stay in the page, hidden), amounts in major units."""
    errors: dict[str, str] = {}
    kind = values["kind"]
    used = KIND_FIELDS.get(kind, ())
    data: dict[str, Any] = {
        "name": values["name"].strip(), "description": values["description"].strip(), "kind": kind,
        "funded_by": values["funded_by"], "public_code": values["public_code"].strip() or None,
        "per_customer_limit": values["per_customer_limit"].strip() or 1, "total_limit": values["total_limit"].strip() or None,
        "category_codes": values["category_codes"], "item_ids": values["item_ids"],
        **{flag: bool(values.get(flag)) for flag in _TEMPLATE_FLAGS},
        "min_spend": read_money(values, "min_spend", errors),
    }
    for name in ("amount_off", "max_discount", "voucher_price"):
        if name in used:
            data[name] = read_money(values, name, errors)
    for name in ("percent_off", "addon_id", "voucher_item_id"):
        if name in used and values[name].strip():
            data[name] = values[name].strip()
    if values["validity"] == "dates":
        data["valid_from"] = values["valid_from"] or None
        data["valid_until"] = values["valid_until"] or None
        if not data["valid_from"] and not data["valid_until"]:
            errors["valid_until"] = N_("Give the first or the last day.")
    elif values["validity"] == "days":
        data["valid_days"] = values["valid_days"].strip() or None
        if data["valid_days"] is None:
            errors["valid_days"] = N_("Enter the number of days.")
    elif values["validity"] != "open":
        errors["validity"] = N_("Choose from the list.")
    check_picked(choices, values, errors)
    for name, options in (("addon_id", "addon_options"), ("voucher_item_id", "item_options")):
        if name in data and data[name] not in {value for value, _label in choices[options]}:
            errors[name] = N_("Choose from the list.")
    if errors:
        raise ValidationFailed(errors)
    return as_struct(data, CouponTemplateFields)


async def _posted_template(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = form_values(form, _TEMPLATE_TEXT)
    values.update({flag: bool(form.get(flag)) for flag in _TEMPLATE_FLAGS})
    values["category_codes"], values["item_ids"] = picked(form, "category_codes"), picked(form, "item_ids")
    return values


def _usage(template: CouponTemplate) -> str:
    """Validity in words for the list: the days, or N days after issue."""
    if template.valid_days:
        return _("%(days)s days after issue", days=template.valid_days)
    if template.valid_from or template.valid_until:
        return f"{template.valid_from or '…'} – {template.valid_until or '…'}"
    return _("No end date")


class TemplatePages(Controller):
    path = f"{BASE}/coupon-templates"
    guards = [GUARD]
    include_in_schema = False

    @get("", name="console-coupon-templates")
    async def index(self, request: Request) -> Response:
        tenant = current_tenant()
        return page(request, "promotions/console_templates.html", console=True, rows=await services.list_templates(),
                    used=await services.used_counts(), kinds=KIND_LABELS, terms=terms, validity=_usage, currency=tenant.currency,
                    flash=done_notice(request, NOTICES))

    async def _form(self, request: Request, *, template: CouponTemplate | None, values: dict[str, Any], status_code: int = 200,
                    **context: Any) -> Response:
        context.setdefault("errors", {})
        return page(request, "promotions/console_template_form.html", console=True, status_code=status_code, tpl=template,
                    values=values, kind_options=label_map(KIND_LABELS), funder_options=funder_options(template),
                    validity_options=label_map(VALIDITY_LABELS), kind_fields=KIND_FIELDS, currency=current_tenant().currency,
                    **await pickers(), **context)

    @get("/new", name="console-coupon-template-new")
    async def new(self, request: Request) -> Response:
        return await self._form(request, template=None, values=_template_values(None))

    @post("/new", name="console-coupon-template-create")
    async def create(self, request: Request) -> Response:
        return await self._submit(request, None)

    @get("/{template_id:int}/edit", name="console-coupon-template-edit")
    async def edit(self, request: Request, template_id: PathId) -> Response:
        template = await services.get_template(template_id)
        return await self._form(request, template=template, values=_template_values(template))

    @post("/{template_id:int}/edit", name="console-coupon-template-save")
    async def save(self, request: Request, template_id: PathId) -> Response:
        return await self._submit(request, await services.get_template(template_id))

    async def _submit(self, request: Request, template: CouponTemplate | None) -> Response:
        values = await _posted_template(request)
        values["funded_by"] = kept_funder(template)
        try:
            data = _template_data(values, await pickers())
            saved = await (services.update_template(template.id, data) if template else services.create_template(data))
        except HearthError as exc:
            return await self._form(request, template=template, values=values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/coupon-templates/{saved.id}?done=template", status_code=303)

    @post("/{template_id:int}/status", name="console-coupon-template-status")
    async def status(self, request: Request, template_id: PathId) -> Response:
        status = str((await request.form()).get("status") or "")
        saved = await services.set_template_status(template_id, status)
        return Redirect(f"{BASE}/coupon-templates/{saved.id}?done={saved.status}", status_code=303)

    async def _detail(self, request: Request, template: CouponTemplate, *, status_code: int = 200, **context: Any) -> Response:
        tenant = current_tenant()
        context.setdefault("errors", {})
        context.setdefault("issue", {"phone": "", "reason": ""})
        context.setdefault("batch", {"count": "100", "batch": ""})
        return page(request, "promotions/console_template.html", console=True, status_code=status_code, tpl=template,
                    counts=await services.coupon_counts(template.id), batches=await codes.code_batches(template.id),
                    recent=await _with_customers(await services.coupons_by_state(template_id=template.id, limit=10)),
                    kinds=KIND_LABELS, states=STATE_LABELS, tones=STATE_TONES, sources=SOURCE_LABELS, funders=FUNDER_LABELS,
                    terms=terms, validity=_usage, currency=tenant.currency, delta=timedelta(seconds=1),
                    issue_key=secrets.token_urlsafe(24), flash=done_notice(request, NOTICES), **context)

    @get("/{template_id:int}", name="console-coupon-template")
    async def detail(self, request: Request, template_id: PathId) -> Response:
        return await self._detail(request, await services.get_template(template_id))

    @post("/{template_id:int}/issue", name="console-coupon-template-issue")
    async def issue(self, request: Request, template_id: PathId, principal: NamedDependency[Principal]) -> Response:
        """Issue one coupon by hand. The form's one-time key makes a double submit issue once."""
        template = await services.get_template(template_id)
        form = await request.form()
        values = form_values(form, ("phone", "reason", "key"))
        try:
            customer_id, reason = await _issue_target(values)
            key = values["key"] if _KEY.fullmatch(values["key"]) else None
            await services.issue_coupon(template.id, customer_id, source="manual", reason=reason, issued_by=principal.user_id,
                                        idempotency_key=f"manual:{key}" if key else None, field="issue")
        except HearthError as exc:
            return await self._detail(request, template, status_code=exc.status_code, issue=values, **error_context(exc))
        return Redirect(f"{BASE}/coupon-templates/{template.id}?done=issued", status_code=303)

    @post("/{template_id:int}/batches", name="console-coupon-template-batch")
    async def batch(self, request: Request, template_id: PathId) -> Response:
        template = await services.get_template(template_id)
        values = form_values(await request.form(), ("count", "batch"))
        try:
            count = optional_int(values["count"].strip())
            if count is None:
                raise ValidationFailed({"count": N_("Enter a number from 1 to 10000.")})
            await codes.create_code_batch(template.id, count, values["batch"])
        except HearthError as exc:
            return await self._detail(request, template, status_code=exc.status_code, batch=values, **error_context(exc))
        return Redirect(f"{BASE}/coupon-templates/{template.id}?done=batch#batches", status_code=303)


async def _issue_target(values: dict[str, str]) -> tuple[int, str]:
    """The customer whose phone was typed (found by its blind index) and the reason; both wrong
    fields named at once."""
    errors: dict[str, str] = {}
    phone, reason = values["phone"].strip(), values["reason"].strip()
    customer_id = None
    if not phone:
        errors["phone"] = N_("This field is required.")
    elif len(phone) > 32 or "\x00" in phone:
        errors["phone"] = N_("Enter a valid mobile number.")
    else:
        customer_id = await customer_id_for_phone(current_tenant(), phone)
        if customer_id is None:
            errors["phone"] = N_("No customer has this mobile number.")
    if not reason:
        errors["reason"] = N_("Say why the coupon is given.")
    elif len(reason) > 300 or "\x00" in reason:
        errors["reason"] = N_("Use at most 300 characters, without control characters.")
    if errors:
        raise ValidationFailed(errors)
    assert customer_id is not None
    return customer_id, reason


async def _with_customers(coupons: list) -> list[tuple[Any, Any]]:
    cards = await customer_cards(c.customer_id for c in coupons)
    return [(c, cards.get(c.customer_id)) for c in coupons]


# --------------------------------------------------------------------------- issued coupons


class CouponPages(Controller):
    path = f"{BASE}/coupons"
    guards = [GUARD]
    include_in_schema = False

    @get("", name="console-coupons")
    async def index(self, request: Request) -> Response:
        query = request.query_params
        state = query.get("state") if query.get("state") in STATE_LABELS else None
        template_id = optional_int(query.get("template"))
        template_id = template_id if template_id is not None and 1 <= template_id < 2**63 else None
        page_number = min(max(optional_int(query.get("page")) or 1, 1), 100_000)
        found = await services.coupons_by_state(state, template_id=template_id, limit=PER_PAGE + 1,  # type: ignore[arg-type]
                                                offset=(page_number - 1) * PER_PAGE)
        templates = [(str(t.id), t.name) for t in await services.list_templates()]
        return page(request, "promotions/console_coupons.html", console=True, recent=await _with_customers(found[:PER_PAGE]),
                    more=len(found) > PER_PAGE, page_number=page_number, state=state, template_id=template_id,
                    template_options=[("", _("Every template")), *templates], counts=await services.coupon_counts(template_id),
                    states=STATE_LABELS, tones=STATE_TONES, sources=SOURCE_LABELS, delta=timedelta(seconds=1),
                    flash=done_notice(request, NOTICES))

    async def _confirm(self, request: Request, coupon_id: int, *, status_code: int = 200, reason: str = "", **context: Any) -> Response:
        coupon = await services.get_coupon(coupon_id)
        context.setdefault("errors", {})
        (row,) = await _with_customers([coupon])
        return page(request, "promotions/console_coupon_revoke.html", console=True, status_code=status_code, coupon=row[0],
                    card=row[1], reason=reason, states=STATE_LABELS, tones=STATE_TONES, sources=SOURCE_LABELS, terms=terms,
                    currency=current_tenant().currency, delta=timedelta(seconds=1), **context)

    @get("/{coupon_id:int}/revoke", name="console-coupon-revoke-confirm")
    async def confirm(self, request: Request, coupon_id: PathId) -> Response:
        return await self._confirm(request, coupon_id)

    @post("/{coupon_id:int}/revoke", name="console-coupon-revoke")
    async def revoke(self, request: Request, coupon_id: PathId, principal: NamedDependency[Principal]) -> Response:
        reason = str((await request.form()).get("reason") or "")
        try:
            if len(reason) > 300 or "\x00" in reason:
                raise ValidationFailed({"reason": N_("Use at most 300 characters, without control characters.")})
            coupon = await services.revoke_coupon(coupon_id, reason, principal.user_id)
        except ValidationFailed as exc:
            return await self._confirm(request, coupon_id, status_code=exc.status_code, reason=reason, **error_context(exc))
        return Redirect(f"{BASE}/coupons?template={coupon.template.id}&done=revoked", status_code=303)


CONSOLE_HANDLERS = [TemplatePages, CouponPages]
