"""The invite journey in Debian's chromium on phones: a customer opens their invite page and
copies the link; a friend opens it on their phone, signs up (the welcome coupon appears), books,
pays and the service is completed; the inviter's red packet appears on the invite page and in
their earnings. Screenshots in $HEARTH_SCREENSHOTS (referral-*.png)."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user, make_customer

from .helpers import RULES, code_of, completed_paid_order, earnings, register, until
from .test_rewards import template

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")
FRIEND_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 "
                "MicroMessenger/8.0.47")


async def last_code(browser, live_server, host: str) -> str:
    """The code just texted: in dev mode the franchise's outbox page is the phone."""
    outbox = await browser.new_page()
    await outbox.goto(live_server.url(host, "/dev/outbox"))
    body = await outbox.inner_text(".outbox")
    await outbox.close()
    return CODE.search(body).group(1)


async def test_a_friend_invited_by_link_signs_up_books_and_the_inviter_gets_a_red_packet(live_server, page, desktop_page, browser,
                                                                                        make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="invite", name="阳光家政")
    welcome = await template(tenant, "新人立减20元")
    await enable_plugin(tenant, "referral", **RULES, invitee_coupon_template_id=welcome,
                        levels=[{"threshold": 3, "name": "银牌邀请官", "bonus": 500}, {"threshold": 10, "name": "金牌邀请官", "bonus": 1000}])
    inviter = await make_customer(tenant, name="王芳")
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([{"name": "hearth_sid", "value": await create_session(kind="customer", user_id=inviter, tenant_id=tenant.id),
                                     "url": live_server.url(host)}])

    # 1. The inviter's page: the link, copied.
    await page.goto(live_server.url(host, "/p/referral/invite"))
    link = await page.input_value("#invite-url")
    assert re.search(r"/p/referral/i/[2-9A-HJKMNP-Z]{6}$", link)
    await page.click("[data-copy=invite-url]")
    # The label changes once the clipboard has the link (a promise): wait for it, not a moment.
    await page.locator("[data-copy=invite-url]", has_text="已复制").wait_for(timeout=10000)
    assert "还没有邀请好友" in await page.inner_text("main")
    await screenshot(page, "referral-invite-empty")
    await page.click("summary:has-text('查看我的海报')")
    await page.locator(".invite-poster").wait_for()
    await screenshot(page, "referral-invite-poster")

    # 2. The friend, on their own phone, opens the link and signs up.
    friend_context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=FRIEND_PHONE)
    friend = await friend_context.new_page()
    await friend.goto(link)
    assert await friend.inner_text("[data-testid=welcome-offer]") == "新人立减20元"
    await screenshot(friend, "referral-landing")
    await friend.click("[data-testid=sign-up]")
    await friend.fill("input[name=phone]", "13912345678")
    await friend.click("#sign-in-card button[type=submit]:not([name])")
    await friend.wait_for_selector("input[name=code]")
    await friend.fill("input[name=code]", await last_code(browser, live_server, host))
    await friend.click("#sign-in-card form[action$='/verify'] button[type=submit]")
    await friend.wait_for_url(lambda url: "sign-in" not in url)
    await friend.goto(live_server.url(host, "/account/coupons"))
    assert "新人立减20元" in await friend.inner_text("main")
    await screenshot(friend, "referral-friend-coupon")

    # 3. The friend's ¥120 service is paid and completed.
    async with tenant_scope(tenant.id):
        friend_id = await current_connection().fetchval("select invitee_id from referral_invite where inviter_id = $1", inviter)
    assert friend_id is not None
    await completed_paid_order(tenant, friend_id, 12_000)

    async def paid():
        return await earnings(tenant, inviter) == 2000

    assert await until(paid)
    await friend_context.close()

    # 4. The inviter's red packet, on the invite page.
    await page.goto(live_server.url(host, "/p/referral/invite"))
    rewards = await page.inner_text("[data-testid=rewards]")
    assert "红包" in rewards and "20.00" in rewards and "已到账" in rewards
    assert "已奖励" in await page.inner_text("[data-testid=invitees]")
    assert await page.inner_text("[data-testid=successes]") == "1"
    await screenshot(page, "referral-invite-rewarded")
    await page.goto(live_server.url(host, "/account/member"))  # the member centre's panel
    assert await page.inner_text("[data-panel='referral.invite'] [data-testid=earned]") == "¥20.00"
    await screenshot(page, "referral-member-centre")

    # 5. The office sees the paid reward and the inviter on top of the leaderboard.
    owner = await make_console_user(tenant, "owner")
    await sign_in_page(desktop_page, tenant, "console", owner.id)
    await desktop_page.goto(live_server.url(host, "/p/referral/console/rewards?state=paid"))
    row = await desktop_page.inner_text("[data-reward-row]")
    assert "20.00" in row and "邀请奖励" in row and "已支付" in row  # in the franchise's language
    await screenshot(desktop_page, "referral-console-rewards")
    await desktop_page.goto(live_server.url(host, "/p/referral/console/leaderboard"))
    assert "王芳" in await desktop_page.inner_text(f"[data-leader='{inviter}']")
    await screenshot(desktop_page, "referral-console-leaderboard")


async def test_the_office_approves_one_held_reward_and_voids_another_with_a_reason(live_server, desktop_page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="review", name="阳光家政")
    await enable_plugin(tenant, "referral", **{**RULES, "daily_limit": 1})
    inviter = await make_customer(tenant, name="王芳")
    code = await code_of(tenant, inviter)
    friends = [await register(tenant, invite=code) for _ in range(3)]  # the 2nd and 3rd: over the daily limit
    for friend in friends:
        await completed_paid_order(tenant, friend, 10_000)

    async def two_held():
        async with tenant_scope(tenant.id):
            ids = [r["id"] for r in await current_connection().fetch("select id from referral_reward where state = 'held' order by id")]
        return ids if len(ids) == 2 else None

    held = await until(two_held)
    owner = await make_console_user(tenant, "owner")
    await sign_in_page(desktop_page, tenant, "console", owner.id)
    host = f"{tenant.slug}.localhost"
    await desktop_page.goto(live_server.url(host, "/p/referral/console/rewards"))
    assert "超出邀请人每日上限" in await desktop_page.inner_text(f"[data-reward-row='{held[0]}']")
    await screenshot(desktop_page, "referral-console-review")
    await desktop_page.click(f"[data-reward-row='{held[0]}'] form[action$='/approve'] button")
    await desktop_page.wait_for_url(re.compile(r"done=approved"))
    await desktop_page.fill(f"[data-reward-row='{held[1]}'] input[name=reason]", "同一家庭的两个账号")
    await desktop_page.click(f"[data-reward-row='{held[1]}'] form[action$='/void'] button")
    await desktop_page.wait_for_url(re.compile(r"done=voided"))
    assert "奖励已作废" in await desktop_page.inner_text("main")
    assert await desktop_page.locator("[data-reward-row]").count() == 0  # the queue is empty
    assert await earnings(tenant, inviter) == 4000
    await desktop_page.goto(live_server.url(host, "/p/referral/console/rewards?state=voided"))
    assert "同一家庭的两个账号" in await desktop_page.inner_text(f"[data-reward-row='{held[1]}']")
    await screenshot(desktop_page, "referral-console-voided")
