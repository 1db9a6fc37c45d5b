"""Worker pages: the console's workers (refusals, create, profile, hours, days off, status), the
staff app's own availability, the public profile with its rating breakdown; seeding."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from platform_core import clock
from platform_core.accounts.sessions import create_session
from platform_core.booking import storefront
from platform_core.db import current_connection
from platform_core.demo.seeding import apply_tenant_file
from platform_core.staff import services
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant
from platform_core.testing.factories import (
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
    post_form,
    sign_in,
    signed_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

JSON = {"accept": "application/json"}


@pytest.fixture
async def console_a(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        yield with_csrf(client)


async def signed_in_console(console, tenant, role: str = "manager"):
    user = await make_console_user(tenant, role)
    await sign_in(console, user.email)
    return console


PAST = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)


async def add_review(tenant, staff_id: int, scores: tuple[int, int, int], *, text: str = "", hidden_reason: str = "",
                     reply: str = "") -> int:
    """A review of `staff_id` for an order long done, written straight into the table."""
    order = await make_order(tenant, customer_id=await make_customer(tenant, name="王小姐"), starts=PAST, state="assigned")
    async with tenant_scope(tenant.id):
        conn = current_connection()
        row = await conn.fetchrow("select customer_id, item_id from core_order where id = $1", order)
        return await conn.fetchval(
            "insert into core_review (tenant_id, order_id, customer_id, staff_id, item_id, quality, attitude, skill, text, reply, "
            "hidden_at, hidden_reason) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "case when $11 = '' then null else now() end, $11) returning id",
            tenant.id, order, row["customer_id"], staff_id, row["item_id"], *scores, text, reply, hidden_reason,
        )


# --- console -------------------------------------------------------------------------------------


async def test_console_workers_are_refused_without_staff_manage(console_a, tenant_a, runtime):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    anonymous = await console_a.get("/console/workers")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/sign-in")
    await signed_in_console(console_a, tenant_a, "dispatcher")
    assert (await console_a.get("/console/workers", headers=JSON)).status_code == 403
    assert (await console_a.get(f"/console/workers/{worker}", headers=JSON)).status_code == 403
    created = await post_form(console_a, "/console/workers", {"name": "X", "phone": "13512345678"}, headers=JSON)
    assert created.status_code == 403
    status = await post_form(console_a, f"/console/workers/{worker}/status", {"status": "inactive"}, headers=JSON)
    assert status.status_code == 403
    hours = await post_form(console_a, f"/console/workers/{worker}/hours", {"hours_0_0_from": "09:00", "hours_0_0_to": "10:00"}, headers=JSON)
    assert hours.status_code == 403
    async with tenant_scope(tenant_a.id):
        assert (await services.get_worker(worker)).status == "active"
        assert len(await services.get_hours(worker)) == 7


async def test_manager_adds_a_worker_and_edits_profile_hours_and_days_off(console_a, tenant_a, runtime):
    await signed_in_console(console_a, tenant_a)
    refused = await post_form(console_a, "/console/workers", {"name": "", "phone": "123"})
    assert refused.status_code == 400 and 'id="field-name-error"' in refused.text and 'id="field-phone-error"' in refused.text
    created = await post_form(console_a, "/console/workers", {"name": "赵阿姨", "phone": "13512345678"})
    assert created.status_code == 303
    base = created.headers["location"].split("?")[0]
    staff_id = int(base.rsplit("/", 1)[1])
    again = await post_form(console_a, "/console/workers", {"name": "赵阿姨", "phone": "135 1234 5678"})
    assert again.status_code == 400 and "already exists" in again.text

    profile = {"name": "赵阿姨", "photo_url": "", "bio": "十年保洁经验", "years_experience": "10", "skills": ["cleaning", "deep_cleaning"],
               "languages": "普通话", "service_radius_km": "8", "home_lat": "95", "home_lng": "121.47"}
    bad = await post_form(console_a, base, profile)
    assert bad.status_code == 400 and 'id="field-home_search-error"' in bad.text and "十年保洁经验" in bad.text
    assert (await post_form(console_a, base, {**profile, "home_lat": "31.23"})).status_code == 303

    bad_hours = await post_form(console_a, f"{base}/hours", {"hours_0_0_from": "09:00", "hours_1_0_from": "13:00", "hours_1_0_to": "12:00"})
    assert bad_hours.status_code == 400 and 'id="field-hours_0-error"' in bad_hours.text and 'id="field-hours_1-error"' in bad_hours.text
    saved = await post_form(console_a, f"{base}/hours", {
        "hours_0_0_from": "08:00", "hours_0_0_to": "12:00", "hours_0_1_from": "13:00", "hours_0_1_to": "18:00",
        "hours_4_0_from": "09:00", "hours_4_0_to": "17:00", "hours_5_0_from": "09:00", "hours_5_0_to": "23:59"})
    assert saved.status_code == 303

    bad_off = await post_form(console_a, f"{base}/time-off", {"first_day": "2026-12-24", "last_day": "2026-12-20"})
    assert bad_off.status_code == 400 and 'id="field-last_day-error"' in bad_off.text
    # Days off ahead (the page lists only those not over yet), with a job held on the second.
    first = clock.today(tenant_a.timezone) + timedelta(days=20)
    last = first + timedelta(days=2)
    held = datetime.combine(first + timedelta(days=1), time(10), tzinfo=ZoneInfo(tenant_a.timezone))
    await make_order(tenant_a, starts=held, ends=held + timedelta(hours=2), state="assigned", staff_id=staff_id)
    off = await post_form(console_a, f"{base}/time-off", {"first_day": str(first), "last_day": str(last), "reason": "圣诞"})
    assert off.status_code == 303
    warned = await console_a.get(off.headers["location"])
    assert "already has 1 job in these days" in warned.text

    page = await console_a.get(base)
    assert page.status_code == 200
    for picked in ('name="hours_0_0_from" value="08:00"', 'name="hours_0_1_to" value="18:00"', 'name="hours_5_0_to" value="23:59"',
                   'name="hours_4_0_to" value="17:00"'):
        assert picked in page.text
    assert f"{first} – {last}" in page.text and "圣诞" in page.text
    async with tenant_scope(tenant_a.id):
        worker = await services.get_worker(staff_id)
        off = await services.list_time_off(staff_id)
    assert worker.skills == ["cleaning", "deep_cleaning"] and worker.years_experience == 10 and worker.home_lat == 31.23
    deleted = await post_form(console_a, f"{base}/time-off/{off[0].id}/delete")
    assert deleted.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert await services.list_time_off(staff_id) == []


async def test_deactivating_a_worker_signs_them_out_and_filters_find_them(console_a, tenant_a, app, runtime):
    await signed_in_console(console_a, tenant_a)
    nanny = await make_worker(tenant_a, "孙阿姨", skills=["nanny"], hours="mon-sun 09:00-18:00")
    cleaner = await make_worker(tenant_a, "周阿姨", skills=["cleaning"], hours="mon-sun 09:00-18:00")
    async with await signed_in(app, tenant_a, "staff", nanny) as worker_app:
        assert (await worker_app.get("/staff/availability")).status_code == 200
        assert (await post_form(console_a, f"/console/workers/{nanny}/status", {"status": "inactive"})).status_code == 303
        assert (await worker_app.get("/staff/availability")).status_code == 303
    listed = await console_a.get("/console/workers?status=inactive")
    assert "孙阿姨" in listed.text and "周阿姨" not in listed.text
    by_skill = await console_a.get("/console/workers?skill=cleaning")
    assert "周阿姨" in by_skill.text and "孙阿姨" not in by_skill.text
    assert (await post_form(console_a, f"/console/workers/{nanny}/status", {"status": "active"})).status_code == 303
    assert "孙阿姨" in (await console_a.get("/console/workers?status=active")).text
    by_name = await console_a.get("/console/workers?q=周")
    assert "周阿姨" in by_name.text and "孙阿姨" not in by_name.text
    async with tenant_scope(tenant_a.id):
        phone = await current_connection().fetchval("select phone_cipher from core_staff where id = $1", cleaner)
    from platform_core.accounts.phones import decrypt_phone

    by_phone = await console_a.get("/console/workers", params={"q": decrypt_phone(runtime.keyring, phone)})
    assert "周阿姨" in by_phone.text and "孙阿姨" not in by_phone.text
    nobody = await console_a.get("/console/workers?q=13000000000")
    assert "周阿姨" not in nobody.text and "孙阿姨" not in nobody.text


async def test_console_of_tenant_b_can_not_open_tenant_as_worker(app, tenant_a, tenant_b, runtime):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    async with client_for(app, f"{tenant_b.slug}.localhost") as console_b:
        await signed_in_console(with_csrf(console_b), tenant_b, "owner")
        assert (await console_b.get(f"/console/workers/{worker}")).status_code == 404
        assert (await post_form(console_b, f"/console/workers/{worker}/hours", {"hours_0_0_from": "09:00", "hours_0_0_to": "10:00"})).status_code == 404
        assert "张阿姨" not in (await console_b.get("/console/workers")).text


# --- staff app -----------------------------------------------------------------------------------


async def test_worker_edits_their_own_hours_and_days_off(app, tenant_a, runtime):
    me = await make_worker(tenant_a, "我", hours="mon 09:00-10:00")
    other = await make_worker(tenant_a, "别人", hours="mon-sun 09:00-18:00")
    ahead = clock.today(tenant_a.timezone) + timedelta(days=20)  # days off still to come: the ones listed
    async with tenant_scope(tenant_a.id):
        from platform_core.staff.schemas import TimeOffCreate

        theirs = await services.add_time_off(other, TimeOffCreate(first_day=ahead, last_day=ahead))
    async with await signed_in(app, tenant_a, "staff", me) as client:
        page = await client.get("/staff/availability")
        assert page.status_code == 200 and 'name="hours_0_0_from" value="09:00"' in page.text
        bad = await post_form(client, "/staff/availability/hours", {"hours_2_0_from": "25:00", "hours_2_0_to": "26:00"})
        assert bad.status_code == 400 and 'id="field-hours_2-error"' in bad.text
        assert (await post_form(client, "/staff/availability/hours", {"hours_2_0_from": "10:00", "hours_2_0_to": "16:00"})).status_code == 303
        own = {"first_day": str(ahead + timedelta(days=7)), "last_day": str(ahead + timedelta(days=8))}
        assert (await post_form(client, "/staff/availability/time-off", own)).status_code == 303
        # Another worker's day off is not theirs to remove.
        assert (await post_form(client, f"/staff/availability/time-off/{theirs.id}/delete", headers=JSON)).status_code == 404
    async with tenant_scope(tenant_a.id):
        assert [(h.weekday, h.starts.hour, h.ends.hour) for h in await services.get_hours(me)] == [(2, 10, 16)]
        assert len(await services.list_time_off(me)) == 1
        assert len(await services.list_time_off(other)) == 1


async def test_staff_availability_is_refused_to_strangers_and_customers(client_a, app, tenant_a, runtime):
    assert (await client_a.get("/staff/availability")).headers["location"].startswith("/staff/sign-in")
    with_csrf(client_a)
    assert (await post_form(client_a, "/staff/availability/hours", {"hours_0_0_from": "09:00", "hours_0_0_to": "10:00"}, headers=JSON)).status_code == 401
    async with tenant_scope(tenant_a.id):
        customer = await current_connection().fetchval("insert into core_customer (tenant_id) values ($1) returning id", tenant_a.id)
    client_a.cookies.set("hearth_sid", await create_session(kind="customer", user_id=customer, tenant_id=tenant_a.id))
    assert (await client_a.get("/staff/availability", headers=JSON)).status_code == 401


# --- public profile --------------------------------------------------------------------------------


async def test_public_profile_shows_the_rating_breakdown_and_visible_reviews(client_a, tenant_a, runtime):
    worker = await make_worker(tenant_a, "刘阿姨", skills=["cleaning", "deep_cleaning"], bio="认真负责", years_experience=7,
                               languages=["普通话"], hours="mon-sun 09:00-18:00")
    await add_review(tenant_a, worker, (5, 5, 5), text="非常干净", reply="谢谢您的认可")
    await add_review(tenant_a, worker, (4, 5, 3), text="还不错")
    await add_review(tenant_a, worker, (1, 1, 1), text="骂人的话", hidden_reason="辱骂")
    async with tenant_scope(tenant_a.id):
        ratings = (await storefront.worker_page(worker)).ratings
        cards = await services.workers_for_skills(["deep_cleaning"])
    assert ratings.count == 2 and ratings.quality == 4.5 and ratings.attitude == 5.0 and ratings.skill == 4.0
    assert ratings.stars == {5: 1, 4: 1, 3: 0, 2: 0, 1: 0} and ratings.average == 4.5
    assert [c.id for c in cards] == [worker]
    await make_item(tenant_a, slug="deep-clean", skills=["deep_cleaning"])
    await make_item(tenant_a, slug="newborn-care", skills=["maternity"])
    page = await client_a.get(f"/workers/{worker}")
    assert page.status_code == 200
    assert f'href="/book/deep-clean?staff_id={worker}"' in page.text and "newborn-care" not in page.text
    assert all(text in page.text for text in ("刘阿姨", "认真负责", "非常干净", "谢谢您的认可", "还不错", "4.5"))
    assert "骂人的话" not in page.text and "王**" in page.text


async def test_public_profile_of_an_inactive_or_foreign_worker_is_not_found(client_a, client_b, tenant_a, runtime):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    assert (await client_b.get(f"/workers/{worker}")).status_code == 404
    async with tenant_scope(tenant_a.id):
        await services.set_worker_status(worker, "inactive")
        assert await services.workers_for_skills(["cleaning"]) == []
    assert (await client_a.get(f"/workers/{worker}")).status_code == 404


# --- seeding ----------------------------------------------------------------------------------------

TOML = """
[tenant]
slug = "{slug}"
name = "Seeded Franchise"

[[staff]]
name = "张秀英"
phone = "+8613800000001"
skills = "cleaning, deep_cleaning"
languages = "普通话, 上海话"
years = "8"
home = "31.2304, 121.4737"
radius_km = "12"
hours = "mon-fri 08:00-18:00; sat 09:00-15:00"

[[staff]]
name = "李建国"
phone = "+8613900000002"
"""


async def test_staff_profiles_are_seeded_once_and_console_edits_survive(app, hearth_settings, tmp_path, runtime):
    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(TOML.format(slug=slug), encoding="utf-8")
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: worker profile of 张秀英 created" in first
    assert not any("李建国" in change and "profile" in change for change in first)
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        worker = (await services.list_workers(skill="deep_cleaning"))[0]
        assert worker.languages == ["普通话", "上海话"] and worker.service_radius_km == 12 and worker.home_lat == 31.2304
        hours = await services.get_hours(worker.id)
        assert len(hours) == 6 and hours[-1].weekday == 5 and hours[-1].ends.hour == 15
        await current_connection().execute("update core_staff_profile set bio = 'edited' where staff_id = $1", worker.id)
    assert await apply_tenant_file(path, hearth_settings) == []
    async with tenant_scope(tenant.id):
        assert (await services.get_worker(worker.id)).bio == "edited"


def test_demo_tenant_files_seed_every_demo_skill():
    from platform_core.demo.seeding import REPO_TENANTS, read_tenant_file
    from platform_core.staff.schemas import KNOWN_SKILLS

    skills = set()
    for path in REPO_TENANTS.glob("*.toml"):
        for entry in read_tenant_file(path).staff:
            skills |= {s.strip() for s in entry.get("skills", "").split(",") if s.strip()}
            services.parse_week_text(entry.get("hours", ""))
    assert set(KNOWN_SKILLS) - {"elder_care"} <= skills


# --- JSON API -----------------------------------------------------------------------------------------


async def test_workers_api_lists_by_skill_and_shows_a_profile(client_a, client_b, tenant_a, runtime):
    cleaner = await make_worker(tenant_a, "刘阿姨", skills=["cleaning", "deep_cleaning"], hours="mon-sun 09:00-18:00")
    nanny = await make_worker(tenant_a, "孙阿姨", skills=["nanny"], hours="mon-sun 09:00-18:00")
    await add_review(tenant_a, cleaner, (5, 4, 5), text="很好")
    listed = await client_a.get("/api/v1/workers?skills=cleaning,deep_cleaning")
    assert listed.status_code == 200 and [w["id"] for w in listed.json()] == [cleaner]
    assert {w["id"] for w in (await client_a.get("/api/v1/workers")).json()} == {cleaner, nanny}
    profile = (await client_a.get(f"/api/v1/workers/{cleaner}")).json()
    assert profile["worker"]["name"] == "刘阿姨" and profile["ratings"]["count"] == 1 and profile["reviews"][0]["text"] == "很好"
    assert "phone" not in profile["worker"]
    assert (await client_b.get(f"/api/v1/workers/{cleaner}")).status_code == 404
    assert (await client_b.get("/api/v1/workers")).json() == []


async def test_a_workers_photo_is_uploaded_and_skills_are_ticked_by_name(console_a, tenant_a, runtime):
    from tests.catalog.test_catalog_console import png

    worker_id = await make_worker(tenant_a, "钱阿姨", skills=["cleaning"])
    await signed_in_console(console_a, tenant_a)
    base = f"/console/workers/{worker_id}"
    page = (await console_a.get(base)).text
    assert 'type="file" name="photo_url:file"' in page and 'type="hidden" name="photo_url"' in page
    assert 'name="skills" value="cleaning" checked' in page and "Deep cleaning" in page and ">deep_cleaning<" not in page
    profile = {"name": "钱阿姨", "photo_url": "", "bio": "", "years_experience": "3", "skills": ["cleaning", "nanny"],
               "languages": "", "service_radius_km": "10", "home_lat": "", "home_lng": ""}
    refused = await post_form(console_a, base, profile, files={"photo_url:file": ("me.gif", b"GIF89a", "image/gif")})
    assert refused.status_code == 400 and "Upload a JPEG, PNG or WebP photo." in refused.text
    saved = await post_form(console_a, base, profile, files={"photo_url:file": ("me.png", png(), "image/png")})
    assert saved.status_code == 303
    async with tenant_scope(tenant_a.id):
        profile_now = await services.get_worker(worker_id)
    assert profile_now.photo_url.startswith("/media/") and profile_now.skills == ["cleaning", "nanny"]
    assert (await console_a.get(profile_now.photo_url)).status_code == 200

