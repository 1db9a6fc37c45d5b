"""Binding a friend to their inviter: by link (first touch within the window), by a typed code;
never oneself, never an existing customer, never rebound; a link preview binds nothing; another
franchise's code binds nothing and its link is 404; off, nothing shows."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import api_sign_in, make_customer, signed_in
from platform_core.testing.pytest_plugin import client_for
from plugins.referral import codes
from plugins.referral.config import ReferralConfig

from .helpers import RULES, code_of, invite_state, register

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47"


async def inviter_of(tenant, invitee_id: int) -> int | None:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select inviter_id from referral_invite where invitee_id = $1", invitee_id)


def test_codes_have_no_confusable_letters():
    for _ in range(200):
        code = codes._new_code()
        assert codes.CODE_RE.match(code) and not set(code) & set("01OIL")
    assert codes.normalise(" ab 3x7k ") == "AB3X7K"


async def test_a_friend_who_opens_the_link_and_signs_up_is_bound_first_touch_wins(app, runtime, tenant_a, enable_plugin, sms):
    await enable_plugin(tenant_a, "referral", **RULES)
    first, second = await make_customer(tenant_a), await make_customer(tenant_a)
    first_code, second_code = await code_of(tenant_a, first), await code_of(tenant_a, second)
    async with client_for(app, f"{tenant_a.slug}.localhost", **{"user-agent": PHONE}) as friend:
        landing = await friend.get(f"/p/referral/i/{first_code}")
        assert landing.status_code == 200 and 'property="og:title"' in landing.text and 'itemprop="image"' in landing.text
        assert f"/account/sign-in?invite={first_code}" in landing.text
        assert friend.cookies["hearth_ref"].startswith(f"referral:{first_code}:")
        await friend.get(f"/p/referral/i/{second_code}")  # a second invite link within the window
        assert friend.cookies["hearth_ref"].startswith(f"referral:{first_code}:")  # the first one stays
        friend.headers["x-csrf-token"] = friend.cookies["hearth_csrf"]  # the page's form token, as the browser sends it
        token = await api_sign_in(friend, sms, "13800138222", "+8613800138222")
    assert await inviter_of(tenant_a, token["customer"]["id"]) == first


async def test_a_typed_code_binds_and_a_link_older_than_the_window_does_not(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES, bind_days=7)
    inviter = await make_customer(tenant_a)
    code = await code_of(tenant_a, inviter)
    typed = await register(tenant_a, invite=code.lower())
    assert await inviter_of(tenant_a, typed) == inviter
    stale = codes.referrer_value(code, clock.now() - timedelta(days=8))
    late = await register(tenant_a, referrer=stale)
    assert await inviter_of(tenant_a, late) is None
    fresh = await register(tenant_a, referrer=codes.referrer_value(code, clock.now() - timedelta(days=6)))
    assert await inviter_of(tenant_a, fresh) == inviter


async def test_never_oneself_never_an_existing_customer_never_rebound(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter, other = await make_customer(tenant_a), await make_customer(tenant_a)
    code, other_code = await code_of(tenant_a, inviter), await code_of(tenant_a, other)
    friend = await register(tenant_a, invite=code)
    async with tenant_scope(tenant_a.id) as context:
        from platform_core.pluginsys.contexts import CustomerEvent
        from plugins.referral import binding

        # Told again (a replayed hook) with another inviter's code: the friend stays bound to the first.
        assert await binding.registered(CustomerEvent(tenant=context, customer_id=friend, occurred_at=clock.now(),
                                                      attribution={"invite": other_code})) is None
        # The inviter's own code on their own registration: nothing.
        assert await binding.registered(CustomerEvent(tenant=context, customer_id=inviter, occurred_at=clock.now(),
                                                      attribution={"invite": code})) is None
    assert await inviter_of(tenant_a, friend) == inviter
    assert await inviter_of(tenant_a, inviter) is None
    async with await signed_in(app, tenant_a, "customer", other) as known:  # a customer already: no cookie
        page = await known.get(f"/p/referral/i/{code}")
        assert page.status_code == 200 and "hearth_ref" not in known.cookies and "invites are for new customers" in page.text


async def test_a_link_preview_binds_nothing(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    code = await code_of(tenant_a, await make_customer(tenant_a))
    async with client_for(app, f"{tenant_a.slug}.localhost", **{"user-agent": "Mozilla/5.0 (compatible; WeChat link preview)"}) as bot:
        assert (await bot.get(f"/p/referral/i/{code}")).status_code == 200
        assert "hearth_ref" not in bot.cookies


async def test_another_franchises_code_binds_nothing_and_its_link_is_404(app, runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    await enable_plugin(tenant_b, "referral", **RULES)
    code = await code_of(tenant_a, await make_customer(tenant_a))
    async with client_for(app, f"{tenant_b.slug}.localhost", **{"user-agent": PHONE}) as stranger:
        assert (await stranger.get(f"/p/referral/i/{code}")).status_code == 404
        assert "hearth_ref" not in stranger.cookies
    friend = await register(tenant_b, invite=code, referrer=codes.referrer_value(code, clock.now()))
    assert await invite_state(tenant_b, friend) is None


async def test_off_nothing_shows_and_links_404(app, runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    code = await code_of(tenant_a, await make_customer(tenant_a))
    customer = await make_customer(tenant_b)
    async with await signed_in(app, tenant_b, "customer", customer) as client:
        for path in ("/p/referral/invite", f"/p/referral/i/{code}", "/p/referral/api/me", "/p/referral/poster.svg",
                     "/p/referral/console/rewards"):
            assert (await client.get(path)).status_code == 404, path
        member = await client.get("/account/member")
        assert "Invite friends" not in member.text and "邀请好友" not in member.text
    friend = await register(tenant_b, invite=code)
    assert await invite_state(tenant_b, friend) is None


def test_the_settings_refuse_levels_out_of_order_and_a_coupon_reward_without_its_voucher():
    with pytest.raises(msgspec.ValidationError, match="levels: Give each level a larger number"):
        msgspec.convert({"levels": [{"threshold": 10, "name": "Gold"}, {"threshold": 3, "name": "Silver"}]}, ReferralConfig)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"levels": [{"threshold": 0, "name": "Zero"}]}, ReferralConfig)
    with pytest.raises(ValueError, match="^inviter_coupon_template_id:"):
        ReferralConfig(inviter_reward="coupon")
    config = msgspec.convert({"levels": [{"threshold": 3, "name": "Silver"}, {"threshold": 10, "name": "Gold"}]}, ReferralConfig)
    assert (config.level_for(2), config.level_for(3).name, config.next_level(3).name, config.next_level(10)) == (None, "Silver", "Gold", None)


async def test_guessing_codes_from_one_address_is_slowed_down(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    code = await code_of(tenant_a, await make_customer(tenant_a))
    async with client_for(app, f"{tenant_a.slug}.localhost", **{"user-agent": PHONE}) as guesser:
        answers = [(await guesser.get(f"/p/referral/i/{guess}")).status_code for guess in ("ZZZZZZ",) * 21]
        assert answers[:20] == [404] * 20 and answers[20] == 429
        assert (await guesser.get(f"/p/referral/i/{code}")).status_code == 200  # a real code still opens
