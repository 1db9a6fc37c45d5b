"""Tasks: each kind completes once (its reward once), from the core's facts (a profile filled in,
an order completed, a review posted) and the plugin's own (share links' new visitors and their
sign-ups; invites through the public function); the console's tasks; and nothing where loyalty is
off."""

from __future__ import annotations

import asyncio

import pytest

from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import OrderEvent
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    CSRF,
    api_sign_in,
    bearer_for,
    console_client,
    make_address,
    make_booking,
    make_customer,
    make_item,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for
from plugins.loyalty import points, tasks
from plugins.loyalty.sharing import VISITOR_COOKIE
from plugins.loyalty.task_views import tasks_panel

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
KIND_POINTS = {"profile": 11, "first_order": 12, "review": 13, "share_visit": 14, "share_signup": 15, "invite": 16}


async def with_tasks(tenant, **only: int) -> dict[str, int]:
    """One task of each kind (or of the kinds given) worth its points; returns code -> task id."""
    made = {}
    async with tenant_scope(tenant.id):
        for kind, worth in (only or KIND_POINTS).items():
            task = await tasks.save_task(tasks.TaskInput(code=kind.replace("_", "-"), kind=kind, title=f"Do {kind}", reward_points=worth))
            made[kind] = task.id
    return made


async def completed(tenant, customer_id: int) -> dict[str, int]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select t.kind, c.points from loyalty_task_completion c join loyalty_task t on t.id = c.task_id where c.customer_id = $1",
            customer_id)
    return {r["kind"]: r["points"] for r in rows}


async def balance(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await points.balance(customer_id)


async def test_profile_first_order_review_and_invite_each_complete_once(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await with_tasks(tenant_a)
    booking = await make_booking(tenant_a)
    customer = booking.customer_id
    headers = await bearer_for(tenant_a, "customer", customer)
    async with client_for(app, booking.host) as client:
        # A name alone is not a complete profile; with an address it is (twice: counted once).
        assert (await client.patch("/api/v1/me", json={"display_name": "李华"}, headers=headers)).status_code == 200
        assert "profile" not in await completed(tenant_a, customer)
        await make_address(tenant_a, customer)
        assert (await client.patch("/api/v1/me", json={"email": "li@example.com"}, headers=headers)).status_code == 200
        review = {"quality": 5, "attitude": 5, "skill": 5, "text": "好"}
        assert (await client.post(f"/api/v1/orders/{booking.number}/review", json=review, headers=headers)).status_code == 201
    async with tenant_scope(tenant_a.id) as tenant:
        for _ in range(2):
            await tell(runtime.hooks(tenant).on_order_completed, event=OrderEvent(
                tenant=tenant, order_id=booking.order_id, customer_id=customer, category="cleaning", amount=0, currency="CNY",
                occurred_at=booking_time()))
        assert await tasks.complete_tasks(customer, "invite", "invite:friend-1") == ["invite"]
        assert await tasks.complete_tasks(customer, "invite", "invite:friend-2") == []
    found = await completed(tenant_a, customer)
    assert found == {"profile": 11, "first_order": 12, "review": 13, "invite": 16}
    # Points for completing orders are part A's business; the tasks' own are these.
    async with tenant_scope(tenant_a.id):
        task_points = await current_connection().fetchval(
            "select coalesce(sum(points), 0) from loyalty_movement where customer_id = $1 and reason = 'task'", customer)
    assert task_points == 11 + 12 + 13 + 16


def booking_time():
    from platform_core import clock

    return clock.now()


async def test_a_share_link_counts_a_new_visitor_and_their_sign_up_but_not_the_sharer(app, tenant_a, enable_plugin, sms):
    await enable_plugin(tenant_a, "loyalty")
    await with_tasks(tenant_a, share_visit=14, share_signup=15)
    item = await make_item(tenant_a, slug="deep-clean", title="Deep clean")
    sharer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", sharer) as mine:
        made = await mine.post("/p/loyalty/tasks/share", data={"csrf_token": CSRF, "item_id": str(item)})
        assert made.status_code == 303
        link = (await mine.get("/p/loyalty/api/tasks")).json()["links"][0]
        assert link["item_title"] == "Deep clean" and link["url"] == f"/p/loyalty/s/{link['code']}"
        again = await mine.post("/p/loyalty/api/shares", json={"item_id": item}, headers={"x-csrf-token": CSRF})
        assert again.json()["code"] == link["code"]
        own = await mine.get(link["url"])  # the sharer opening their own link
        assert own.status_code == 302 and own.headers["location"] == "/services/deep-clean"
        assert "hearth_ref" not in own.headers.get("set-cookie", "")
    async with client_for(app, f"{tenant_a.slug}.localhost", **{"user-agent": "facebookexternalhit/1.1"}) as preview:
        assert (await preview.get(link["url"])).headers["location"] == "/services/deep-clean"  # followed, not counted
        assert VISITOR_COOKIE not in preview.cookies
    async with client_for(app, f"{tenant_a.slug}.localhost", **{"user-agent": PHONE}) as visitor:
        first = await visitor.get(link["url"])
        assert first.status_code == 302 and first.headers["location"] == "/services/deep-clean"
        assert VISITOR_COOKIE in visitor.cookies and visitor.cookies["hearth_ref"].startswith(f"loyalty:{link['code']}:")
        await visitor.get(link["url"])  # the same browser again: not new
        await api_sign_in(visitor, sms, "13800138111", "+8613800138111")
        newcomer = await make_customer(tenant_a)  # someone signed in already: not a new visitor
    async with await signed_in(app, tenant_a, "customer", newcomer) as known:
        await known.get(link["url"])
    async with client_for(app, f"{tenant_a.slug}.localhost") as stranger:
        assert (await stranger.get("/p/loyalty/s/nosuchcode")).headers["location"] == "/"
    async with tenant_scope(tenant_a.id):
        panel = await tasks_panel(sharer)
    assert (panel.links[0].visits, panel.links[0].signups) == (1, 1)
    assert await completed(tenant_a, sharer) == {"share_visit": 14, "share_signup": 15}
    assert await balance(tenant_a, sharer) == 29


async def test_the_console_creates_edits_and_turns_off_tasks(app, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await console_client(client_a, tenant_a, "owner")
    assert (await client_a.get("/p/loyalty/console/tasks")).status_code == 200
    assert (await client_a.get("/p/loyalty/console/tasks/new")).status_code == 200
    bad = await post_form(client_a, "/p/loyalty/console/tasks/new", {"code": "Bad Code", "kind": "profile", "title": "x"})
    assert bad.status_code == 400 and "Use lowercase letters" in bad.text
    empty = await post_form(client_a, "/p/loyalty/console/tasks/new", {"code": "p", "kind": "profile", "title": "Profile"})
    assert empty.status_code == 400 and "Give the task a reward" in empty.text
    nul = await post_form(client_a, "/p/loyalty/console/tasks/new", {"code": "p", "kind": "profile", "title": "a\x00b", "reward_points": "5"})
    assert nul.status_code == 400
    made = await post_form(client_a, "/p/loyalty/console/tasks/new",
                           {"code": "profile", "kind": "profile", "title": "Fill in your profile", "reward_points": "50", "active": "1"})
    assert made.status_code == 303, made.text
    async with tenant_scope(tenant_a.id):
        task = (await tasks.list_tasks())[0]
    assert (task.code, task.reward_points, task.active) == ("profile", 50, True)
    twin = await post_form(client_a, "/p/loyalty/console/tasks/new", {"code": "profile", "kind": "review", "title": "Twin", "reward_points": "5"})
    assert twin.status_code == 400 and "Another task has this code" in twin.text
    edited = await post_form(client_a, f"/p/loyalty/console/tasks/{task.id}",
                             {"code": "profile", "kind": "profile", "title": "Profile", "reward_points": "60", "active": "1"})
    assert edited.status_code == 303
    assert (await post_form(client_a, f"/p/loyalty/console/tasks/{task.id}/active")).status_code == 303
    async with tenant_scope(tenant_a.id):
        task = await tasks.get_task(task.id)
    assert (task.title, task.reward_points, task.active) == ("Profile", 60, False)
    assert (await client_a.get("/p/loyalty/console/tasks/999999")).status_code == 404


async def test_a_dispatcher_can_not_edit_tasks(app, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await console_client(client_a, tenant_a, "dispatcher")
    assert (await client_a.get("/p/loyalty/console/tasks")).status_code == 403


async def test_tasks_show_nowhere_and_react_to_nothing_where_loyalty_is_off(app, runtime, tenant_a, tenant_b, enable_plugin, sms):
    await enable_plugin(tenant_a, "loyalty")
    customer = await make_customer(tenant_b)
    async with await signed_in(app, tenant_b, "customer", customer) as client:
        for path in ("/p/loyalty/tasks", "/p/loyalty/api/tasks", "/p/loyalty/s/abc", "/p/loyalty/console/tasks"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/p/loyalty/api/shares", json={"item_id": 1}, headers={"x-csrf-token": CSRF})).status_code == 404
    async with tenant_scope(tenant_b.id) as tenant:
        relay = runtime.hooks(tenant)
        for hook in ("on_customer_profile_updated", "on_review_submitted", "compute_booking_window", "on_order_completed",
                     "on_customer_registered"):
            assert not [i for i in getattr(relay, hook).get_hookimpls() if i.plugin_name == "loyalty"], hook
    booking = await make_booking(tenant_b, customer_id=customer)
    headers = await bearer_for(tenant_b, "customer", customer)
    async with client_for(app, booking.host) as client:
        await make_address(tenant_b, customer)
        assert (await client.post(f"/api/v1/orders/{booking.number}/review", json={"quality": 5, "attitude": 5, "skill": 5},
                                  headers=headers)).status_code == 201
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from loyalty_task_completion") == 0
        assert await current_connection().fetchval("select count(*) from loyalty_member") == 0


async def test_the_member_centre_panels_render(app, tenant_a, enable_plugin):
    """The partials the member centre includes with `panel` bound to checkin_panel and tasks_panel."""
    from platform_core.testing.factories import make_item as item_for
    from plugins.loyalty.checkin import check_in, checkin_panel

    await enable_plugin(tenant_a, "loyalty")
    await with_tasks(tenant_a, profile=11, review=13)
    await item_for(tenant_a, slug="panel-clean")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        before = await checkin_panel(customer)
        await check_in(customer)
        after = await checkin_panel(customer)
        panel = await tasks_panel(customer)
    engine = app.template_engine.engine
    shown = {
        "before": engine.get_template("loyalty/_panel_checkin.html").render(panel=before, csrf_token="t", locale="en"),
        "after": engine.get_template("loyalty/_panel_checkin.html").render(panel=after, csrf_token="t", locale="en"),
        "tasks": engine.get_template("loyalty/_panel_tasks.html").render(panel=panel, csrf_token="t", locale="en"),
    }
    assert 'data-checked-in="0"' in shown["before"] and 'action="/p/loyalty/checkin"' in shown["before"]
    assert 'data-checked-in="1"' in shown["after"] and 'href="/p/loyalty/checkin"' in shown["after"]
    assert 'data-testid="tasks-panel"' in shown["tasks"] and "Do profile" in shown["tasks"] and "+11" in shown["tasks"]


async def test_two_tasks_renamed_to_one_code_at_once_the_second_is_told_the_code_is_taken(app, tenant_a, enable_plugin):
    """Both saves pass the "is the code free" read before either commits; the loser must get the
    field's message, not a 500 from the unique key."""
    await enable_plugin(tenant_a, "loyalty")
    made = await with_tasks(tenant_a, profile=1, review=2)
    first_saved, commit_first = asyncio.Event(), asyncio.Event()

    async def rename(kind: str, hold: bool):
        async with tenant_scope(tenant_a.id):
            await tasks.save_task(tasks.TaskInput(code="welcome", kind=kind, title="Welcome", reward_points=5), made[kind])
            if hold:
                first_saved.set()
                await commit_first.wait()

    first = asyncio.create_task(rename("profile", hold=True))
    await first_saved.wait()
    second = asyncio.create_task(rename("review", hold=False))
    await asyncio.sleep(0.3)  # the second waits on the first's uncommitted code
    commit_first.set()
    await first
    with pytest.raises(ValidationFailed) as refused:
        await second
    assert "code" in refused.value.fields
    async with tenant_scope(tenant_a.id):
        codes = {t.id: t.code for t in await tasks.list_tasks()}
    assert codes == {made["profile"]: "welcome", made["review"]: "review"}
