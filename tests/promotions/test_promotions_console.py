"""The console's coupon and discount-rule pages over HTTP: each page and form, refusals named at
the field (bounded, no NUL, no negative or huge numbers), who may open them, and two franchises
kept apart."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.db import current_connection
from platform_core.promotions import services
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    make_item,
    post_form,
)

TEMPLATES = "/console/marketing/coupon-templates"
RULES = "/console/marketing/discount-rules"
SPRING = {"name": "Spring ¥20 off", "kind": "amount_off", "amount_off": "20", "min_spend": "100", "validity": "days",
          "valid_days": "30", "per_customer_limit": "1", "funded_by": "franchise", "stacks_with_rules": "1", "return_on_cancel": "1"}
OFF_PEAK = {"name": "Weekday mornings −10%", "kind": "off_peak", "percent_off": "10", "weekdays": ["1", "2", "3"],
            "time_from": "08:00", "time_until": "11:30", "funded_by": "franchise", "active": "1"}


@pytest.fixture
async def owner(client_a, tenant_a):
    return await console_client(client_a, tenant_a, "owner")


async def _template(tenant, **fields) -> int:
    async with tenant_scope(tenant.id):
        data = {"name": "Welcome ¥30", "kind": "amount_off", "amount_off": 3000, "valid_days": 30, **fields}
        return (await services.create_template(msgspec.convert(data, CouponTemplateFields))).id


async def _count(tenant, table: str) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(f"select count(*) from {table}")


async def test_the_menu_leads_to_the_coupon_pages_and_a_dispatcher_is_refused(client_b, tenant_b, owner, tenant_a):
    home = await owner.get("/console/")
    for href in (TEMPLATES, "/console/marketing/coupons", RULES):
        assert f'href="{href}"' in home.text
        assert (await owner.get(href)).status_code == 200
    template_id = await _template(tenant_b)
    dispatcher = await console_client(client_b, tenant_b, "dispatcher")
    assert 'href="/console/marketing/coupon-templates"' not in (await dispatcher.get("/console/")).text
    for path in (TEMPLATES, f"{TEMPLATES}/new", f"{TEMPLATES}/{template_id}", "/console/marketing/coupons", RULES, f"{RULES}/new"):
        assert (await dispatcher.get(path)).status_code == 403
    refused = await post_form(dispatcher, f"{TEMPLATES}/{template_id}/status", {"status": "archived"})
    assert refused.status_code == 403


async def test_a_percent_template_is_created_edited_archived_and_reactivated(owner, tenant_a):
    item_id = await make_item(tenant_a, title="Deep cleaning")
    new = await owner.get(f"{TEMPLATES}/new")
    assert new.status_code == 200 and "Deep cleaning" in new.text
    created = await post_form(owner, f"{TEMPLATES}/new", {
        **SPRING, "name": "Deep clean 15%", "kind": "percent_off", "percent_off": "15", "max_discount": "50", "amount_off": "999",
        "item_ids": str(item_id), "public_code": "deep15", "validity": "dates", "valid_from": "2026-01-01", "valid_until": "2030-12-31",
    })
    assert created.status_code == 303, created.text
    template_id = int(re.search(r"/coupon-templates/(\d+)", created.headers["location"]).group(1))
    async with tenant_scope(tenant_a.id):
        template = await services.get_template(template_id)
    # The fields of another kind are not read: amount_off stays 0 on a percent-off template.
    assert (template.percent_off, template.max_discount, template.amount_off) == (15, 5000, 0)
    assert template.item_ids == [item_id] and template.public_code == "DEEP15" and template.valid_days is None
    detail = await owner.get(created.headers["location"])
    assert "The coupon template is saved." in detail.text and "15% off, up to" in detail.text and "DEEP15" in detail.text
    edit = await owner.get(f"{TEMPLATES}/{template_id}/edit")
    assert 'value="15"' in edit.text and 'value="DEEP15"' in edit.text
    saved = await post_form(owner, f"{TEMPLATES}/{template_id}/edit", {**SPRING, "name": "Spring ¥25 off", "amount_off": "25"})
    assert saved.status_code == 303
    listed = await owner.get(TEMPLATES)
    assert "Spring ¥25 off" in listed.text and "30 days after issue" in listed.text
    archived = await post_form(owner, f"{TEMPLATES}/{template_id}/status", {"status": "archived"})
    assert archived.status_code == 303 and "done=archived" in archived.headers["location"]
    assert "Archived: no new coupons" in (await owner.get(archived.headers["location"])).text
    assert (await post_form(owner, f"{TEMPLATES}/{template_id}/status", {"status": "active"})).status_code == 303
    assert (await post_form(owner, f"{TEMPLATES}/{template_id}/status", {"status": "nonsense"})).status_code == 400


@pytest.mark.parametrize("fields, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"description": "d" * 501}, "description"),
    ({"kind": "free_lunch"}, "kind"),
    ({"amount_off": "-5"}, "amount_off"),
    ({"amount_off": "twenty"}, "amount_off"),
    ({"amount_off": "0"}, "amount_off"),
    ({"amount_off": "200"}, "amount_off"),
    ({"kind": "percent_off", "percent_off": "100"}, "percent_off"),
    ({"kind": "percent_off", "percent_off": "-1"}, "percent_off"),
    ({"kind": "free_addon", "addon_id": ""}, "addon_id"),
    ({"kind": "free_addon", "addon_id": "99999999999999999999999"}, "addon_id"),
    ({"kind": "item_voucher"}, "voucher_item_id"),
    ({"kind": "item_voucher", "voucher_item_id": "12345"}, "voucher_item_id"),
    ({"kind": "free_addon", "addon_id": "12345"}, "addon_id"),
    ({"validity": "days", "valid_days": ""}, "valid_days"),
    ({"validity": "days", "valid_days": "0"}, "valid_days"),
    ({"validity": "dates", "valid_from": "2026-05-02", "valid_until": "2026-05-01"}, "valid_until"),
    ({"validity": "forever"}, "validity"),
    ({"per_customer_limit": "5", "total_limit": "2"}, "per_customer_limit"),
    ({"total_limit": "-3"}, "total_limit"),
    ({"public_code": "no spaces!"}, "public_code"),
    ({"public_code": "A" * 40}, "public_code"),
    ({"item_ids": "9223372036854775807"}, "item_ids"),
    ({"category_codes": "not-a-category"}, "category_codes"),
])
async def test_hostile_template_forms_are_refused_at_the_field(owner, tenant_a, fields, field):
    response = await post_form(owner, f"{TEMPLATES}/new", {**SPRING, **fields})
    assert response.status_code == 400, response.text
    assert f'href="#field-{field}"' in response.text  # the error summary links to the field
    assert await _count(tenant_a, "core_coupon_template") == 0


async def test_the_console_can_not_make_the_platform_fund_a_discount(owner, tenant_a):
    """Head office sets up what it funds (the tenant file); a franchise's console keeps the saved
    funder and makes new discounts the franchise's, whatever the form says."""
    assert (await post_form(owner, f"{TEMPLATES}/new", {**SPRING, "funded_by": "platform"})).status_code == 303
    assert (await post_form(owner, f"{RULES}/new", {**OFF_PEAK, "funded_by": "platform"})).status_code == 303
    head_office = await _template(tenant_a, name="Head office ¥10", funded_by="platform")
    assert (await post_form(owner, f"{TEMPLATES}/{head_office}/edit", {**SPRING, "name": "Renamed", "funded_by": "franchise"})).status_code == 303
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        templates = dict(await conn.fetch("select name, funded_by from core_coupon_template"))
        rules = {r["funded_by"] for r in await conn.fetch("select funded_by from core_promotion_rule")}
    assert templates == {"Spring ¥20 off": "franchise", "Renamed": "platform"} and rules == {"franchise"}


async def test_a_second_template_with_the_same_public_code_is_refused(owner):
    assert (await post_form(owner, f"{TEMPLATES}/new", {**SPRING, "public_code": "SPRING20"})).status_code == 303
    again = await post_form(owner, f"{TEMPLATES}/new", {**SPRING, "public_code": "spring20"})
    assert again.status_code == 400 and "Another coupon already uses this code." in again.text


async def test_a_coupon_is_issued_by_phone_listed_and_revoked_after_a_confirm(owner, tenant_a):
    template_id = await _template(tenant_a)
    customer_id = await make_customer(tenant_a, "+8613911112222", name="Zhou Min")
    detail = await owner.get(f"{TEMPLATES}/{template_id}")
    key = re.search(r'name="key" value="([^"]+)"', detail.text).group(1)
    form = {"phone": "139 1111 2222", "reason": "Sorry for the late visit", "key": key}
    issued = await post_form(owner, f"{TEMPLATES}/{template_id}/issue", form)
    assert issued.status_code == 303
    # The same form sent twice (a double click) issues one coupon.
    assert (await post_form(owner, f"{TEMPLATES}/{template_id}/issue", form)).status_code == 303
    page = await owner.get(issued.headers["location"])
    assert "The coupon is issued to the customer." in page.text and 'data-count="available">1<' in page.text
    listed = await owner.get(f"/console/marketing/coupons?template={template_id}&state=available")
    assert "Zhou Min" in listed.text and "+86 139****2222" in listed.text and "13911112222" not in listed.text
    assert "Sorry for the late visit" in listed.text
    async with tenant_scope(tenant_a.id):
        (coupon,) = await services.customer_coupons(customer_id)
    confirm = await owner.get(f"/console/marketing/coupons/{coupon.id}/revoke")
    assert confirm.status_code == 200 and "This can not be undone." in confirm.text
    blank = await post_form(owner, f"/console/marketing/coupons/{coupon.id}/revoke", {"reason": "  "})
    assert blank.status_code == 400 and 'id="field-reason-error"' in blank.text
    revoked = await post_form(owner, f"/console/marketing/coupons/{coupon.id}/revoke", {"reason": "Issued by mistake"})
    assert revoked.status_code == 303
    assert "The coupon is revoked." in (await owner.get(revoked.headers["location"])).text
    async with tenant_scope(tenant_a.id):
        assert (await services.get_coupon(coupon.id)).state == "revoked"
    again = await post_form(owner, f"/console/marketing/coupons/{coupon.id}/revoke", {"reason": "Twice"})
    assert again.status_code == 400 and "Only a coupon that is not held or used can be revoked." in again.text


@pytest.mark.parametrize("fields, field", [
    ({"phone": ""}, "phone"),
    ({"phone": "13900000000"}, "phone"),
    ({"phone": "1" * 40}, "phone"),
    ({"phone": "139\x00"}, "phone"),
    ({"reason": ""}, "reason"),
    ({"reason": "r" * 301}, "reason"),
    ({"reason": "a\x00"}, "reason"),
])
async def test_issuing_by_hand_names_the_wrong_field(owner, tenant_a, fields, field):
    template_id = await _template(tenant_a)
    await make_customer(tenant_a, "+8613911113333")
    response = await post_form(owner, f"{TEMPLATES}/{template_id}/issue", {"phone": "13911113333", "reason": "Goodwill", **fields})
    assert response.status_code == 400 and f'id="field-{field}-error"' in response.text
    assert await _count(tenant_a, "core_coupon") == 0


async def test_a_customer_at_the_limit_is_told_on_the_page(owner, tenant_a):
    template_id = await _template(tenant_a, per_customer_limit=1)
    await make_customer(tenant_a, "+8613911114444")
    form = {"phone": "13911114444", "reason": "Goodwill"}
    assert (await post_form(owner, f"{TEMPLATES}/{template_id}/issue", form)).status_code == 303
    second = await post_form(owner, f"{TEMPLATES}/{template_id}/issue", form)
    assert second.status_code == 400 and "You already hold as many of these coupons as allowed." in second.text


async def test_a_batch_of_codes_is_generated_and_downloaded(owner, tenant_a):
    template_id = await _template(tenant_a)
    made = await post_form(owner, f"{TEMPLATES}/{template_id}/batches", {"count": "5", "batch": "Sunshine Agency"})
    assert made.status_code == 303
    page = await owner.get(f"{TEMPLATES}/{template_id}")
    assert "Sunshine Agency" in page.text and "codes.csv?batch=Sunshine%20Agency" in page.text
    csv = await owner.get(f"{TEMPLATES}/{template_id}/codes.csv", params={"batch": "Sunshine Agency"})
    lines = csv.text.strip().splitlines()
    assert lines[0] == "code,batch,redeemed" and len(lines) == 6
    for fields, field in (({"count": "0"}, "count"), ({"count": "10001"}, "count"), ({"count": "-1"}, "count"), ({"count": "x"}, "count"),
                          ({"batch": ""}, "batch"), ({"batch": "b" * 65}, "batch"), ({"batch": "a\x00"}, "batch")):
        refused = await post_form(owner, f"{TEMPLATES}/{template_id}/batches", {"count": "5", "batch": "Flyers", **fields})
        assert refused.status_code == 400 and f'id="field-{field}-error"' in refused.text
    assert await _count(tenant_a, "core_coupon_code") == 5


async def test_issued_coupons_are_filtered_and_paginated(owner, tenant_a):
    template_id = await _template(tenant_a, per_customer_limit=100)
    customer_id = await make_customer(tenant_a, name="Many Coupons")
    async with tenant_scope(tenant_a.id):
        for _ in range(55):
            await services.issue_coupon(template_id, customer_id, source="manual", reason="bulk")
    first = await owner.get(f"/console/marketing/coupons?template={template_id}")
    assert first.text.count("Many Coupons") == 50 and 'rel="next"' in first.text
    second = await owner.get(f"/console/marketing/coupons?template={template_id}&page=2")
    assert second.text.count("Many Coupons") == 5 and 'rel="next"' not in second.text
    assert "Many Coupons" not in (await owner.get("/console/marketing/coupons?state=used")).text
    for query in ("state=bogus", "template=-1", "template=99999999999999999999999", "page=-4", "page=x", "template=abc"):
        assert (await owner.get(f"/console/marketing/coupons?{query}")).status_code == 200


async def test_another_franchises_template_rule_and_coupon_are_not_found(owner, tenant_b):
    template_id = await _template(tenant_b)
    customer_id = await make_customer(tenant_b)
    async with tenant_scope(tenant_b.id):
        coupon = await services.issue_coupon(template_id, customer_id, source="manual", reason="b")
    rule = await _rule_of(tenant_b)
    for path in (f"{TEMPLATES}/{template_id}", f"{TEMPLATES}/{template_id}/edit", f"/console/marketing/coupons/{coupon.id}/revoke",
                 f"{RULES}/{rule}", f"{TEMPLATES}/9223372036854775807", f"{TEMPLATES}/9223372036854775808"):
        assert (await owner.get(path)).status_code == 404, path
    for path, form in ((f"{TEMPLATES}/{template_id}/status", {"status": "archived"}),
                       (f"{TEMPLATES}/{template_id}/edit", SPRING),
                       (f"{TEMPLATES}/{template_id}/issue", {"phone": "13900000000", "reason": "x"}),
                       (f"{TEMPLATES}/{template_id}/batches", {"count": "5", "batch": "x"}),
                       (f"/console/marketing/coupons/{coupon.id}/revoke", {"reason": "x"}),
                       (f"{RULES}/{rule}/active", {"active": ""}), (f"{RULES}/{rule}", OFF_PEAK)):
        assert (await post_form(owner, path, form)).status_code == 404, path
    async with tenant_scope(tenant_b.id):
        assert (await services.get_coupon(coupon.id)).state == "available"
        assert (await services.get_template(template_id)).status == "active"


async def _rule_of(tenant) -> int:
    from platform_core.promotions import pricing
    from platform_core.promotions.schemas import RuleFields

    async with tenant_scope(tenant.id):
        return (await pricing.create_rule(msgspec.convert({"name": "First order ¥10", "kind": "first_order", "amount_off": 1000},
                                                          RuleFields))).id


async def test_an_off_peak_rule_is_created_edited_and_turned_off_and_on(owner, tenant_a):
    assert (await owner.get(f"{RULES}/new")).status_code == 200
    created = await post_form(owner, f"{RULES}/new", OFF_PEAK)
    assert created.status_code == 303
    listed = await owner.get(created.headers["location"])
    assert "Weekday mornings −10%" in listed.text and "08:00–11:30" in listed.text and "The discount rule is saved." in listed.text
    async with tenant_scope(tenant_a.id):
        from platform_core.promotions import pricing
        (rule,) = await pricing.list_rules()
    assert rule.weekdays == [1, 2, 3] and rule.active and rule.percent_off == 10
    edit = await owner.get(f"{RULES}/{rule.id}")
    assert 'value="08:00"' in edit.text
    moved = await post_form(owner, f"{RULES}/{rule.id}", {**OFF_PEAK, "kind": "district_launch", "district": "Minhang"})
    assert moved.status_code == 303
    off = await post_form(owner, f"{RULES}/{rule.id}/active", {"active": ""})
    assert off.status_code == 303 and "done=off" in off.headers["location"]
    async with tenant_scope(tenant_a.id):
        changed = await pricing.get_rule(rule.id)
    # A district launch keeps no off-peak hours; turning it off leaves its terms alone.
    assert (changed.kind, changed.district, changed.weekdays, changed.active) == ("district_launch", "Minhang", [], False)
    assert (await post_form(owner, f"{RULES}/{rule.id}/active", {"active": "1"})).status_code == 303


@pytest.mark.parametrize("fields, field", [
    ({"name": ""}, "name"),
    ({"name": "n" * 81}, "name"),
    ({"name": "\x00"}, "name"),
    ({"kind": "whenever"}, "kind"),
    ({"percent_off": "10", "amount_off": "5"}, "percent_off"),
    ({"percent_off": "", "amount_off": ""}, "percent_off"),
    ({"percent_off": "-10"}, "percent_off"),
    ({"percent_off": "", "amount_off": "-3"}, "amount_off"),
    ({"weekdays": []}, "weekdays"),
    ({"weekdays": ["8"]}, "weekdays"),
    ({"time_from": ""}, "time_from"),
    ({"time_from": "25:00"}, "time_from"),
    ({"time_until": "07:00"}, "time_until"),
    ({"kind": "sale"}, "category_codes"),
    ({"kind": "district_launch", "district": ""}, "district"),
    ({"kind": "district_launch", "district": "d" * 101}, "district"),
    ({"starts_on": "2026-06-02", "ends_on": "2026-06-01"}, "ends_on"),
    ({"item_ids": ["-1"]}, "item_ids"),
])
async def test_hostile_rule_forms_are_refused_at_the_field(owner, tenant_a, fields, field):
    response = await post_form(owner, f"{RULES}/new", {**OFF_PEAK, **fields})
    assert response.status_code == 400, response.text
    assert f'href="#field-{field}"' in response.text  # the error summary links to the field
    assert await _count(tenant_a, "core_promotion_rule") == 0
