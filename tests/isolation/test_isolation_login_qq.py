"""QQ sign-in keeps franchises apart: each franchise signs in through its own QQ Connect app, so
the same QQ user is a different customer at each, with identities each franchise alone sees; a
franchise without the plugin has no QQ sign-in at all."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from plugins.login_qq.tests.helpers import (
    Journey,
    customers,
    qq_franchise,
    site,
)

__all__ = ["qq_franchise"]  # fixtures


async def test_the_same_qq_user_is_a_different_customer_at_each_franchise(app, qq_franchise, make_tenant, sms):
    (a, config_a), (b, config_b) = await qq_franchise(prefix="qa"), await qq_franchise(prefix="qb")
    assert config_a.app_id != config_b.app_id  # each franchise its own QQ Connect app
    for tenant in (a, b):
        async with site(app, tenant) as browser:
            assert (await Journey(browser).first_sign_in(sms, "sunny", "+8613800138000")).status_code == 303
            assert "晴天小Q" in (await browser.get("/account")).text
    (at_a,), (at_b,) = await customers(a), await customers(b)
    assert at_a["subject"] != at_b["subject"]
    async with tenant_scope(b.id):
        # B's rows only, whatever is asked for.
        assert await current_connection().fetchval("select count(*) from core_login_identity where tenant_id = $1", a.id) == 0
        assert await current_connection().fetchval("select count(*) from core_customer where id = $1", at_a["id"]) == 0

    off = await make_tenant(prefix="qoff")
    async with site(app, off) as browser:
        assert (await browser.get("/account/sign-in/login_qq")).status_code == 404
        assert (await browser.get("/account/sign-in/login_qq/callback?state=x&code=y")).status_code == 404
        assert "login_qq" not in (await browser.get("/account/sign-in")).text
