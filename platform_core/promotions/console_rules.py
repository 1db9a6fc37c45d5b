"""The console's discount rules (Marketing menu, `marketing.manage`): the list, create and edit
with the fields of the chosen kind (first order; off-peak weekdays and local hours; a sale of
categories or services between two days; a launch price in a district), turned on and off."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.services import address_districts
from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import as_struct, done_notice, error_context
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import pricing
from .console_views import (
    BASE,
    GUARD,
    check_picked,
    form_values,
    funder_options,
    kept_funder,
    label_map,
    money_input,
    picked,
    pickers,
    read_money,
)
from .schemas import Rule, RuleFields

KIND_LABELS = {
    "first_order": N_("First order"), "off_peak": N_("Off-peak hours"), "sale": N_("Sale on services"),
    "district_launch": N_("District launch"),
}
WEEKDAYS = [
    ("1", N_("Mon")), ("2", N_("Tue")), ("3", N_("Wed")), ("4", N_("Thu")), ("5", N_("Fri")), ("6", N_("Sat")), ("7", N_("Sun")),
]
NOTICES = {"rule": N_("The discount rule is saved."), "on": N_("The discount rule is on."), "off": N_("The discount rule is off.")}
_TEXT = ("name", "kind", "percent_off", "amount_off", "max_discount", "time_from", "time_until", "district", "starts_on", "ends_on",
         "funded_by")


def _values(rule: Rule | None) -> dict[str, Any]:
    if rule is None:
        return {"kind": "off_peak", "funded_by": "franchise", "active": True, "weekdays": ["1", "2", "3", "4", "5"],
                "time_from": "08:00", "time_until": "12:00", "category_codes": [], "item_ids": []}
    return {
        "name": rule.name, "kind": rule.kind, "percent_off": str(rule.percent_off or ""), "amount_off": money_input(rule.amount_off),
        "max_discount": money_input(rule.max_discount), "time_from": rule.time_from.strftime("%H:%M") if rule.time_from else "",
        "time_until": rule.time_until.strftime("%H:%M") if rule.time_until else "", "district": rule.district,
        "starts_on": str(rule.starts_on or ""), "ends_on": str(rule.ends_on or ""), "funded_by": rule.funded_by,
        "active": rule.active, "weekdays": [str(d) for d in rule.weekdays], "category_codes": list(rule.category_codes),
        "item_ids": [str(i) for i in rule.item_ids],
    }


def _clock(text: str) -> str | None:
    """A time input's "08:30" as the "08:30:00" msgspec reads; blank is none."""
    text = text.strip()
    return f"{text}:00" if re.fullmatch(r"\d\d:\d\d", text) else text or None


def _data(values: dict[str, Any], choices: dict[str, Any]) -> RuleFields:
    """The posted form as the engine's fields; only the chosen kind's own fields are read."""
    errors: dict[str, str] = {}
    kind = values["kind"]
    data: dict[str, Any] = {
        "name": values["name"].strip(), "kind": kind, "funded_by": values["funded_by"], "active": bool(values["active"]),
        "percent_off": values["percent_off"].strip() or 0, "amount_off": read_money(values, "amount_off", errors),
        "max_discount": read_money(values, "max_discount", errors), "category_codes": values["category_codes"],
        "item_ids": values["item_ids"], "starts_on": values["starts_on"] or None, "ends_on": values["ends_on"] or None,
    }
    if kind == "off_peak":
        data.update(weekdays=values["weekdays"], time_from=_clock(values["time_from"]), time_until=_clock(values["time_until"]))
    if kind == "district_launch":
        data["district"] = values["district"].strip()
    check_picked(choices, values, errors)
    if any(day not in dict(WEEKDAYS) for day in values["weekdays"]):
        errors["weekdays"] = N_("Choose from the list.")
    if errors:
        raise ValidationFailed(errors)
    return as_struct(data, RuleFields)


class RulePages(Controller):
    path = f"{BASE}/discount-rules"
    guards = [GUARD]
    include_in_schema = False

    @get("", name="console-discount-rules")
    async def index(self, request: Request) -> Response:
        return page(request, "promotions/console_rules.html", console=True, rows=await pricing.list_rules(), kinds=KIND_LABELS,
                    weekdays=dict(WEEKDAYS), currency=current_tenant().currency, flash=done_notice(request, NOTICES))

    async def _form(self, request: Request, *, rule: Rule | None, values: dict[str, Any], status_code: int = 200,
                    **context: Any) -> Response:
        context.setdefault("errors", {})
        return page(request, "promotions/console_rule_form.html", console=True, status_code=status_code, rule=rule, values=values,
                    kind_options=label_map(KIND_LABELS), funder_options=funder_options(rule), weekday_options=WEEKDAYS,
                    districts=await address_districts(), currency=current_tenant().currency, **await pickers(), **context)

    @get("/new", name="console-discount-rule-new")
    async def new(self, request: Request) -> Response:
        return await self._form(request, rule=None, values=_values(None))

    @post("/new", name="console-discount-rule-create")
    async def create(self, request: Request) -> Response:
        return await self._submit(request, None)

    @get("/{rule_id:int}", name="console-discount-rule")
    async def detail(self, request: Request, rule_id: PathId) -> Response:
        rule = await pricing.get_rule(rule_id)
        return await self._form(request, rule=rule, values=_values(rule))

    @post("/{rule_id:int}", name="console-discount-rule-save")
    async def save(self, request: Request, rule_id: PathId) -> Response:
        return await self._submit(request, await pricing.get_rule(rule_id))

    async def _submit(self, request: Request, rule: Rule | None) -> Response:
        form = await request.form()
        values: dict[str, Any] = form_values(form, _TEXT)
        values.update(active=bool(form.get("active")), weekdays=picked(form, "weekdays"), category_codes=picked(form, "category_codes"),
                      item_ids=picked(form, "item_ids"), funded_by=kept_funder(rule))
        try:
            data = _data(values, await pickers())
            await (pricing.update_rule(rule.id, data) if rule else pricing.create_rule(data))
        except HearthError as exc:
            return await self._form(request, rule=rule, values=values, status_code=exc.status_code, **error_context(exc))
        return Redirect(f"{BASE}/discount-rules?done=rule", status_code=303)

    @post("/{rule_id:int}/active", name="console-discount-rule-active")
    async def active(self, request: Request, rule_id: PathId) -> Response:
        """Turn a rule on or off from the list; its other fields stay as they are."""
        rule = await pricing.get_rule(rule_id)
        on = (await request.form()).get("active") == "1"
        await pricing.update_rule(rule.id, msgspec.structs.replace(rule, active=on))
        return Redirect(f"{BASE}/discount-rules?done={'on' if on else 'off'}", status_code=303)


CONSOLE_HANDLERS = [RulePages]
