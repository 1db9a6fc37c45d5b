"""Coupons as the franchise sets them up and customers get them: template validation, every way
of issuing (by hand, public code, one-time codes, a plugin, a campaign), the limits (also when
issues race), expiry, revoking, and franchises kept apart."""

from __future__ import annotations

import asyncio
import contextvars
import csv
import io
from datetime import timedelta

import msgspec
import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.plugin_api import issue_coupon
from platform_core.promotions import codes as typed
from platform_core.promotions import services
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer


def fields(**overrides) -> CouponTemplateFields:
    base = {"name": "¥20 off from ¥100", "kind": "amount_off", "amount_off": 2000, "min_spend": 10000}
    return msgspec.convert({**base, **overrides}, CouponTemplateFields)


async def template(tenant, **overrides) -> int:
    async with tenant_scope(tenant.id):
        return (await services.create_template(fields(**overrides))).id


async def test_a_template_refuses_every_bad_field_at_once(runtime, tenant_a):
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await services.create_template(fields(
                kind="percent_off", percent_off=0, valid_days=7, valid_from=clock.today(tenant_a.timezone),
                per_customer_limit=5, total_limit=2, public_code="no spaces?"))
    assert set(refused.value.fields) == {"percent_off", "valid_days", "per_customer_limit", "public_code"}
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"name": "x\x00", "kind": "amount_off"}, CouponTemplateFields)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"name": "x" * 81, "kind": "amount_off"}, CouponTemplateFields)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"name": "x", "kind": "amount_off", "amount_off": -1}, CouponTemplateFields)
    async with tenant_scope(tenant_a.id):
        await services.create_template(fields(public_code="spring20"))
        with pytest.raises(ValidationFailed) as taken:
            await services.create_template(fields(public_code="SPRING20"))
    assert set(taken.value.fields) == {"public_code"}


async def test_issued_by_hand_with_a_reason_and_its_validity_in_the_franchises_days(runtime, tenant_a):
    customer = await make_customer(tenant_a)
    template_id = await template(tenant_a, valid_days=7)
    async with tenant_scope(tenant_a.id):
        coupon = await services.issue_coupon(template_id, customer, source="manual", reason="Sorry for the late visit", issued_by=1)
    assert coupon.state == "available" and coupon.source == "manual" and coupon.reason == "Sorry for the late visit"
    local_end = coupon.valid_until.astimezone(__import__("zoneinfo").ZoneInfo(tenant_a.timezone))
    assert (local_end.hour, local_end.minute) == (0, 0)
    assert local_end.date() == clock.today(tenant_a.timezone) + timedelta(days=7)


async def test_a_public_code_gives_one_coupon_per_customer_and_counts_against_the_total(runtime, tenant_a):
    first, second, third = [await make_customer(tenant_a) for _ in range(3)]
    await template(tenant_a, public_code="SPRING20", total_limit=2)
    async with tenant_scope(tenant_a.id):
        coupon = await typed.redeem_code(first, " spring20 ")
        assert coupon.source == "code" and coupon.source_ref == "SPRING20"
        with pytest.raises(ValidationFailed) as again:
            await typed.redeem_code(first, "SPRING20")
        assert again.value.fields == {"code": typed.ALREADY_REDEEMED}
        await typed.redeem_code(second, "SPRING20")
        with pytest.raises(ValidationFailed) as full:
            await typed.redeem_code(third, "SPRING20")
        assert full.value.fields == {"code": services.LIMIT_REACHED}
        with pytest.raises(ValidationFailed) as unknown:
            await typed.redeem_code(third, "AUTUMN")
        assert unknown.value.fields == {"code": typed.UNKNOWN_CODE}


async def test_an_ended_offer_is_refused_when_redeemed(runtime, tenant_a):
    customer = await make_customer(tenant_a)
    yesterday = clock.today(tenant_a.timezone) - timedelta(days=1)
    await template(tenant_a, public_code="OVER", valid_from=yesterday - timedelta(days=5), valid_until=yesterday)
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as ended:
            await typed.redeem_code(customer, "over")
    assert ended.value.fields == {"code": services.ENDED}


async def test_one_time_codes_are_unguessable_exported_and_redeemed_once(runtime, tenant_a):
    one, two = await make_customer(tenant_a), await make_customer(tenant_a)
    template_id = await template(tenant_a, per_customer_limit=3)
    async with tenant_scope(tenant_a.id):
        codes = await typed.create_code_batch(template_id, 50, "agency-march")
        assert len(set(codes)) == 50 and all(len(c) == typed.ONE_TIME_CODE_LENGTH for c in codes)
        coupon = await typed.redeem_code(one, codes[0].lower())
        assert coupon.source == "batch" and coupon.source_ref == codes[0]
        with pytest.raises(ValidationFailed) as mine:
            await typed.redeem_code(one, codes[0])
        with pytest.raises(ValidationFailed) as theirs:
            await typed.redeem_code(two, codes[0])
        exported = list(csv.reader(io.StringIO(await typed.batch_csv(template_id, "agency-march"))))
    assert mine.value.fields == {"code": typed.ALREADY_REDEEMED}
    assert theirs.value.fields == {"code": typed.CODE_USED}
    assert exported[0] == ["code", "batch", "redeemed"] and len(exported) == 51
    assert [codes[0], "agency-march", "yes"] in exported and [codes[1], "agency-march", "no"] in exported


async def test_a_plugin_and_a_campaign_issue_once_per_key(runtime, tenant_a):
    customers = [await make_customer(tenant_a) for _ in range(3)]
    template_id = await template(tenant_a, per_customer_limit=5)
    async with tenant_scope(tenant_a.id):
        first = await issue_coupon(template_id, customers[0], "loyalty", "tier-gold", "reward-42")
        again = await issue_coupon(template_id, customers[0], "loyalty", "tier-gold", "reward-42")
        assert first.id == again.id and first.source == "plugin" and first.source_ref == "loyalty:tier-gold"
        sent = await services.issue_to_many(template_id, customers, source="campaign", ref="dormant-march")
        resent = await services.issue_to_many(template_id, customers, source="campaign", ref="dormant-march")
        count = await current_connection().fetchval("select count(*) from core_coupon where source = 'campaign'")
    assert {c.id for c in sent.values()} == {c.id for c in resent.values()} and count == 3


async def test_limits_hold_when_issues_race(app, runtime, tenant_a):
    customers = [await make_customer(tenant_a) for _ in range(6)]
    template_id = await template(tenant_a, per_customer_limit=2, total_limit=5)

    async def issue(customer: int) -> str:
        try:
            async with tenant_scope(tenant_a.id):
                await services.issue_coupon(template_id, customer, source="manual", reason="race")
            return "issued"
        except ValidationFailed as exc:
            return next(iter(exc.fields.values()))

    # Each customer three times at once: at most two each, five in all.
    outcomes = await asyncio.gather(*[issue(c) for c in customers for _ in range(3)])
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        per_customer = await conn.fetch("select customer_id, count(*) as n from core_coupon group by customer_id")
        issued = await conn.fetchval("select issued_count from core_coupon_template where id = $1", template_id)
    assert outcomes.count("issued") == 5 == issued == sum(r["n"] for r in per_customer)
    assert max(r["n"] for r in per_customer) <= 2
    assert set(outcomes) - {"issued"} <= {services.LIMIT_REACHED, services.CUSTOMER_LIMIT}


async def test_expired_coupons_are_never_offered_and_are_marked_when_listed(runtime, tenant_a):
    customer = await make_customer(tenant_a)
    template_id = await template(tenant_a, valid_days=3)
    async with tenant_scope(tenant_a.id):
        coupon = await services.issue_coupon(template_id, customer, source="manual", reason="x")
        await current_connection().execute("update core_coupon set valid_until = $2 where id = $1", coupon.id, clock.now() - timedelta(minutes=1))
        assert await services.usable_coupons(customer) == []
        listed = await services.customer_coupons(customer)
        stored = await current_connection().fetchval("select state from core_coupon where id = $1", coupon.id)
        counts = await services.coupon_counts(template_id)
    assert [c.state for c in listed] == ["expired"] and stored == "expired"
    assert counts == {"available": 0, "held": 0, "used": 0, "expired": 1, "revoked": 0}


async def test_a_console_user_revokes_an_available_coupon_with_a_reason(runtime, tenant_a):
    customer = await make_customer(tenant_a)
    template_id = await template(tenant_a)
    async with tenant_scope(tenant_a.id):
        coupon = await services.issue_coupon(template_id, customer, source="manual", reason="x")
        with pytest.raises(ValidationFailed):
            await services.revoke_coupon(coupon.id, " ", by=1)
        revoked = await services.revoke_coupon(coupon.id, "Issued by mistake", by=1)
        assert await services.usable_coupons(customer) == []
    assert revoked.state == "revoked" and revoked.revoke_reason == "Issued by mistake"


async def test_a_franchises_coupons_and_codes_are_unknown_in_another(runtime, tenant_a, tenant_b):
    customer_a, customer_b = await make_customer(tenant_a), await make_customer(tenant_b)
    template_a = await template(tenant_a, public_code="ONLYA", per_customer_limit=2)
    async with tenant_scope(tenant_a.id):
        coupon = await services.issue_coupon(template_a, customer_a, source="manual", reason="x")
        codes = await typed.create_code_batch(template_a, 1, "partner")
    async with tenant_scope(tenant_b.id):
        for code in ("ONLYA", codes[0]):
            with pytest.raises(ValidationFailed) as unknown:
                await typed.redeem_code(customer_b, code)
            assert unknown.value.fields == {"code": typed.UNKNOWN_CODE}
        with pytest.raises(NotFound):
            await services.get_coupon(coupon.id)
        with pytest.raises(NotFound):
            await services.issue_coupon(template_a, customer_b, source="manual", reason="x")
        assert await services.coupons_by_state() == []


async def test_the_office_downloads_a_batch_of_codes_as_csv(app, runtime, tenant_a):
    from platform_core.testing.factories import console_client, with_csrf
    from platform_core.testing.pytest_plugin import client_for

    template_id = await template(tenant_a)
    async with tenant_scope(tenant_a.id):
        codes = await typed.create_code_batch(template_id, 3, "flyer")
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        await console_client(with_csrf(client), tenant_a, role="manager")
        answer = await client.get(f"/console/marketing/coupon-templates/{template_id}/codes.csv", params={"batch": "flyer"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert sorted(row.split(",")[0] for row in answer.text.split()[1:]) == sorted(codes)


async def test_one_customer_typing_a_public_code_twice_at_once_gets_one_coupon_and_one_refusal(app, runtime, tenant_a):
    """A double tap on "Redeem": the loser is told the code was redeemed already, as a second
    submit later is, not answered with the winner's coupon as if it were its own."""
    customer = await make_customer(tenant_a)
    template_id = await template(tenant_a, public_code="TWICE", per_customer_limit=3)

    async def redeem() -> str:
        try:
            async with tenant_scope(tenant_a.id):
                await typed.redeem_code(customer, "TWICE")
            return "issued"
        except ValidationFailed as exc:
            return str(next(iter(exc.fields.values())))

    outside = contextvars.copy_context()
    async with tenant_scope(tenant_a.id):  # an issue of the template in progress: both taps wait for it
        await current_connection().execute("select 1 from core_coupon_template where id = $1 for update", template_id)
        taps = [asyncio.create_task(redeem(), context=outside.copy()) for _ in range(2)]
        await asyncio.sleep(0.5)
    outcomes = await asyncio.gather(*taps)
    assert sorted(outcomes) == sorted(["issued", str(typed.ALREADY_REDEEMED)])
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_coupon where customer_id = $1", customer) == 1
