"""The pages and the API: the invite page (link, code, poster, invitees masked, rewards, level
progress), the poster, the member centre's panel, the JSON API; the console's rewards by state,
the review queue's decisions with a field error, the leaderboard and the customer's invites;
who may open what."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    console_client,
    make_customer,
    post_form,
    signed_in,
)
from plugins.referral import rewards

from .helpers import RULES, code_of, completed_paid_order, earnings, register, until

LEVELS = [{"threshold": 1, "name": "Silver inviter", "bonus": 0}, {"threshold": 3, "name": "Gold inviter", "bonus": 500}]


async def test_the_invite_page_and_api_show_the_link_friends_rewards_and_level(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES, levels=LEVELS)
    inviter = await make_customer(tenant_a, name="Wang")
    code = await code_of(tenant_a, inviter)
    friend = await register(tenant_a, invite=code, name="Zhang Wei")
    await register(tenant_a, invite=code, name="")
    await completed_paid_order(tenant_a, friend, 10_000)

    async def paid():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(paid)
    async with await signed_in(app, tenant_a, "customer", inviter) as client:
        page = await client.get("/p/referral/invite")
        assert page.status_code == 200
        assert f"/p/referral/i/{code}" in page.text and code in page.text and 'data-copy="invite-url"' in page.text
        assert "Z*" in page.text and "Zhang Wei" not in page.text  # friends' names masked
        assert "Silver inviter" in page.text and "Gold inviter" in page.text  # the level and the way to the next
        poster = await client.get("/p/referral/poster.svg")
        assert poster.status_code == 200 and poster.headers["content-type"].startswith("image/svg+xml")
        assert code in poster.text and "<rect" in poster.text
        me = (await client.get("/p/referral/api/me")).json()
        assert me["code"] == code and me["url"].endswith(f"/p/referral/i/{code}")
        assert me["standing"]["successes"] == 1 and me["standing"]["level"]["name"] == "Silver inviter"
        assert me["standing"]["earnings_balance"] == 2000
        friends = (await client.get("/p/referral/api/invitees")).json()
        assert sorted(f["state"] for f in friends) == ["registered", "rewarded"]
        assert [(r["kind"], r["amount"], r["state"]) for r in (await client.get("/p/referral/api/rewards")).json()] == [("cash", 2000, "paid")]
        member = await client.get("/account/member")
        assert 'data-testid="referral-standing"' in member.text
    async with await signed_in(app, tenant_a, "customer", friend) as client:
        mine = (await client.get("/p/referral/api/me")).json()
        assert mine["code"] != code and mine["standing"]["invites"] == 0  # the friend's own code, nothing of the inviter's
        empty = await client.get("/p/referral/invite")
        assert "No friends yet" in empty.text or "还没有邀请好友" in empty.text


async def test_the_mini_program_reads_the_api_with_a_bearer_token(app, runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    customer = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer)
    me = await client_a.get("/p/referral/api/me", headers=headers)
    assert me.status_code == 200 and me.json()["standing"]["invites"] == 0
    assert (await client_a.get("/p/referral/api/invitees", headers=headers)).json() == []
    assert (await client_a.get("/p/referral/api/rewards", headers=headers)).json() == []


async def test_signed_out_the_invite_page_asks_to_sign_in(app, runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    for path in ("/p/referral/invite", "/p/referral/poster.svg"):
        response = await client_a.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 401), path
    assert (await client_a.get("/p/referral/api/me")).status_code == 401


async def test_the_console_reviews_held_rewards_and_shows_the_leaderboard_and_a_customers_invites(app, runtime, tenant_a, client_a,
                                                                                                  enable_plugin):
    await enable_plugin(tenant_a, "referral", **{**RULES, "daily_limit": 1})
    inviter = await make_customer(tenant_a, name="Wang")
    code = await code_of(tenant_a, inviter)
    first = await register(tenant_a, invite=code)
    second = await register(tenant_a, invite=code)  # over the daily limit: held when it qualifies
    await completed_paid_order(tenant_a, first, 10_000)
    await completed_paid_order(tenant_a, second, 10_000)

    async def one_held():
        async with tenant_scope(tenant_a.id):
            return await current_connection().fetchval("select id from referral_reward where state = 'held'")

    held_id = await until(one_held)
    await console_client(client_a, tenant_a, "owner")
    queue = await client_a.get("/p/referral/console/rewards")
    assert queue.status_code == 200 and f'data-reward-row="{held_id}"' in queue.text and "Over the inviter" in queue.text
    no_reason = await post_form(client_a, f"/p/referral/console/rewards/{held_id}/void", {"reason": "  "})
    assert no_reason.status_code == 400 and "Say in at most 200 characters why" in no_reason.text
    approved = await post_form(client_a, f"/p/referral/console/rewards/{held_id}/approve")
    assert approved.status_code == 303 and "done=approved" in approved.headers["location"]
    again = await post_form(client_a, f"/p/referral/console/rewards/{held_id}/approve")
    assert again.status_code == 409 and "decided already" in again.text
    assert await earnings(tenant_a, inviter) == 4000
    paid = await client_a.get("/p/referral/console/rewards?state=paid")
    assert paid.text.count("data-reward-row=") == 2
    board = await client_a.get("/p/referral/console/leaderboard?period=7")
    assert board.status_code == 200 and f'data-leader="{inviter}"' in board.text
    customer = await client_a.get(f"/p/referral/console/customers/{inviter}")
    assert customer.status_code == 200 and 'data-testid="referral-console-panel"' in customer.text
    panel = await client_a.get(f"/console/customers/{inviter}")
    assert 'data-testid="referral-console-panel"' in panel.text
    assert (await client_a.get("/p/referral/console/customers/99999999")).status_code == 404


async def test_a_dispatcher_may_look_but_not_decide(app, runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    async with tenant_scope(tenant_a.id):
        reward_id = await current_connection().fetchval(
            "insert into referral_reward (tenant_id, invite_id, customer_id, role, kind, amount, currency, state, reason) "
            "select $1, id, inviter_id, 'inviter', 'cash', 2000, 'CNY', 'held', 'ip' from referral_invite where invitee_id = $2 returning id",
            tenant_a.id, friend)
    await console_client(client_a, tenant_a, "dispatcher")
    assert (await post_form(client_a, f"/p/referral/console/rewards/{reward_id}/approve")).status_code == 403
    async with tenant_scope(tenant_a.id):
        assert (await rewards.get_reward(reward_id)).state == "held"


async def test_approving_a_coupon_the_template_still_refuses_is_a_409_and_the_reward_stays_held(app, runtime, tenant_a, client_a,
                                                                                                 enable_plugin):
    """The welcome coupon was held because its template reached its limit; approving it while the
    limit still stands issues nothing: the console says why (409), not "The reward has been paid"."""
    from platform_core.promotions import services as promotions
    from platform_core.promotions.schemas import CouponTemplateFields

    async with tenant_scope(tenant_a.id):
        welcome = (await promotions.create_template(CouponTemplateFields(
            name="Welcome ¥20", kind="amount_off", amount_off=2000, valid_days=30, total_limit=1))).id
    await enable_plugin(tenant_a, "referral", **RULES, invitee_coupon_template_id=welcome)
    code = await code_of(tenant_a, await make_customer(tenant_a))
    await register(tenant_a, invite=code)
    second = await register(tenant_a, invite=code)  # the template's one coupon is gone: held
    async with tenant_scope(tenant_a.id):
        held_id = await current_connection().fetchval(
            "select id from referral_reward where customer_id = $1 and state = 'held'", second)
    assert held_id is not None
    await console_client(client_a, tenant_a, "owner")
    refused = await post_form(client_a, f"/p/referral/console/rewards/{held_id}/approve")
    assert refused.status_code == 409
    assert "This offer has reached its limit." in refused.text
    async with tenant_scope(tenant_a.id):
        assert (await rewards.get_reward(held_id)).state == "held"
