"""Linked sign-ins keep franchises apart: franchise A's identities are invisible to B by SQL under
its RLS, the same provider account at B is another customer, and B's pages neither show nor
unlink A's; one customer's sign-in methods are theirs alone."""

from __future__ import annotations

from platform_core.accounts import identities
from platform_core.db import current_connection
from platform_core.pluginsys.contexts import LoginIdentity
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, post_form, with_session

AMY = LoginIdentity(provider="wechat", app_id="wxshared0000001", subject="o-amy", display_name="Amy")


async def test_franchise_b_sees_and_reaches_none_of_franchise_as_linked_sign_ins(app, tenant_a, tenant_b, client_b):
    at_a = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id) as tenant:
        await identities.link_identity(tenant, at_a, AMY)
    at_b = await make_customer(tenant_b)
    async with tenant_scope(tenant_b.id) as tenant:
        assert await current_connection().fetchval("select count(*) from core_login_identity") == 0
        # Even the same app id and openid (a shared official account) is nobody at B.
        assert await identities.find_owner(AMY) is None
        await identities.link_identity(tenant, at_b, AMY)
        assert await identities.customer_login_identity(at_a, "wechat") is None
    await with_session(client_b, tenant_b, "customer", at_b)
    page = await client_b.get("/account/sign-in-methods")
    assert page.status_code == 200 and 'data-method="wechat"' in page.text
    async with tenant_scope(tenant_a.id):
        assert await identities.find_owner(AMY) == at_a
        assert (await identities.customer_login_identity(at_a, "wechat")).subject == "o-amy"


async def test_a_customer_can_not_unlink_another_customers_sign_in(app, tenant_a, client_a):
    owner, other = await make_customer(tenant_a), await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id) as tenant:
        await identities.link_identity(tenant, owner, AMY)
    await with_session(client_a, tenant_a, "customer", other)
    page = await client_a.get("/account/sign-in-methods")
    assert "Amy" not in page.text
    assert (await post_form(client_a, "/account/sign-in-methods/wechat/unlink")).status_code == 404
    async with tenant_scope(tenant_a.id):
        assert await identities.find_owner(AMY) == owner
