"""Consent: marketing messages are on until the customer turns them off; marketing SMS only after
they agree (and when is kept); order messages never ask."""

from __future__ import annotations

import pytest

from platform_core.accounts.schemas import CustomerUpdate
from platform_core.accounts.services import (
    get_customer,
    may_get_marketing,
    update_customer,
)
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import bearer_for, post_form, signed_in


async def test_a_new_customer_gets_marketing_in_the_inbox_and_on_the_site_but_no_sms(tenant_a, customer):
    async with tenant_scope(tenant_a.id):
        assert await may_get_marketing(customer, "inbox")
        assert await may_get_marketing(customer, "banner")
        assert not await may_get_marketing(customer, "sms")
        assert (await get_customer(customer)).marketing_sms_agreed_at is None


async def test_agreeing_to_sms_records_when_and_turning_marketing_off_stops_every_channel(tenant_a, customer):
    async with tenant_scope(tenant_a.id):
        agreed = await update_customer(customer, CustomerUpdate(marketing_sms=True))
        assert agreed.marketing_sms and agreed.marketing_sms_agreed_at is not None
        assert await may_get_marketing(customer, "sms")
        # Saving the profile again keeps the first agreement's time.
        again = await update_customer(customer, CustomerUpdate(marketing_sms=True))
        assert again.marketing_sms_agreed_at == agreed.marketing_sms_agreed_at
        await update_customer(customer, CustomerUpdate(marketing_messages=False))
        assert not await may_get_marketing(customer, "inbox")
        assert not await may_get_marketing(customer, "sms")
        withdrawn = await update_customer(customer, CustomerUpdate(marketing_messages=True, marketing_sms=False))
        assert withdrawn.marketing_sms_agreed_at is None
        assert await may_get_marketing(customer, "inbox") and not await may_get_marketing(customer, "sms")


async def test_a_frozen_customer_gets_no_marketing(tenant_a, customer):
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set status = 'frozen' where id = $1", customer)
        assert not await may_get_marketing(customer, "inbox")


async def test_an_unknown_channel_is_a_programming_error(tenant_a, customer):
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValueError):
            await may_get_marketing(customer, "pigeon")


async def test_the_profile_api_shows_and_changes_both_toggles(client_a, tenant_a, customer):
    headers = await bearer_for(tenant_a, "customer", customer)
    me = (await client_a.get("/api/v1/me", headers=headers)).json()
    assert me["marketing_messages"] is True and me["marketing_sms"] is False
    changed = await client_a.patch("/api/v1/me", headers=headers, json={"marketing_sms": True, "marketing_messages": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["marketing_sms"] is True and changed.json()["marketing_sms_agreed_at"]
    assert changed.json()["marketing_messages"] is False
    refused = await client_a.patch("/api/v1/me", headers=headers, json={"marketing_sms": "yes please"})
    assert refused.status_code == 400


async def test_the_profile_page_explains_and_saves_the_toggles(app, tenant_a, customer):
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = await client.get("/account")
        assert "Offers by text message" in page.text
        assert "always reach you" in page.text
        saved = await post_form(client, "/account", {"display_name": "Chen", "email": "", "marketing_sms": "1"})
        assert saved.status_code == 303
        async with tenant_scope(tenant_a.id):
            after = await get_customer(customer)
        # The unticked "offers and news" box means off; SMS agreed now.
        assert after.marketing_messages is False and after.marketing_sms is True
