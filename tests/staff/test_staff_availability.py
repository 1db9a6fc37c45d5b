"""The slot engine: weekly hours in the tenant's zone (across DST), days off, held assignments,
lead time and horizon, skills and service radius; the availability API; isolation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from platform_core.booking.availability import available_slots, earliest_slot
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.scheduling.slots import free_among, is_free
from platform_core.staff import services
from platform_core.staff.schemas import TimeOffCreate, WorkerUpdate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_item, make_order, make_worker

UTC = timezone.utc
NEW_YORK, SHANGHAI = ZoneInfo("America/New_York"), ZoneInfo("Asia/Shanghai")


async def slots(tenant, *, start_date: date, days: int = 1, duration: int = 60, skills=("cleaning",),
                now: datetime, **kwargs):
    async with tenant_scope(tenant.id):
        return await available_slots(duration_minutes=duration, start_date=start_date, days=days, skills=list(skills),
                                     now=now, **kwargs)


async def set_rules(tenant, **rules):
    async with tenant_scope(tenant.id):
        columns = ", ".join(rules)
        values = ", ".join(f"${i + 2}" for i in range(len(rules)))
        await current_connection().execute(
            f"insert into core_booking_settings (tenant_id, {columns}) values ($1, {values})", tenant.id, *rules.values()
        )


def starts(found, tz) -> list[str]:
    return [s.start.astimezone(tz).strftime("%m-%d %H:%M") for s in found]


# --- time zones -------------------------------------------------------------------------------------


async def test_new_york_hours_keep_their_wall_clock_across_the_autumn_dst_change(runtime, make_tenant):
    tenant = await make_tenant(timezone="America/New_York", currency="USD", locale="en")
    await make_worker(tenant, "Maria", hours="mon 09:00-11:00")
    # Monday 26 October is on daylight time (UTC-4); Monday 2 November, after 1 November, on standard time (UTC-5).
    found = await slots(tenant, start_date=date(2026, 10, 26), days=8, now=datetime(2026, 10, 20, 12, tzinfo=UTC))
    assert starts(found, NEW_YORK) == ["10-26 09:00", "10-26 09:30", "10-26 10:00", "11-02 09:00", "11-02 09:30", "11-02 10:00"]
    assert found[0].start.astimezone(UTC).hour == 13
    assert found[3].start.astimezone(UTC).hour == 14
    assert all(s.end - s.start == timedelta(minutes=60) for s in found)


async def test_shanghai_has_no_dst_so_the_same_week_is_the_same_utc_hour(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, "张阿姨", hours="mon 09:00-11:00")
    found = await slots(tenant, start_date=date(2026, 10, 26), days=8, now=datetime(2026, 10, 20, 12, tzinfo=UTC))
    assert starts(found, SHANGHAI) == ["10-26 09:00", "10-26 09:30", "10-26 10:00", "11-02 09:00", "11-02 09:30", "11-02 10:00"]
    assert {s.start.astimezone(UTC).hour for s in found} == {1, 2}
    assert found[0].start.astimezone(UTC).hour == found[3].start.astimezone(UTC).hour == 1


async def test_the_spring_forward_gap_has_no_slots_and_visits_last_their_real_length(runtime, make_tenant):
    tenant = await make_tenant(timezone="America/New_York", currency="USD", locale="en")
    await make_worker(tenant, "Maria", hours="sun 00:00-05:00")
    # Sunday 14 March 2027: at 02:00 the clocks jump to 03:00.
    found = await slots(tenant, start_date=date(2027, 3, 14), now=datetime(2027, 3, 10, tzinfo=UTC))
    assert starts(found, NEW_YORK) == ["03-14 00:00", "03-14 00:30", "03-14 01:00", "03-14 01:30", "03-14 03:00", "03-14 03:30", "03-14 04:00"]
    assert found[3].end.astimezone(NEW_YORK).strftime("%H:%M") == "03:30"  # one real hour after 01:30


# --- what blocks a slot ---------------------------------------------------------------------------


async def test_days_off_remove_the_whole_local_day(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    worker = await make_worker(tenant, hours="mon-sun 09:00-11:00")
    async with tenant_scope(tenant.id):
        await services.add_time_off(worker, TimeOffCreate(first_day=date(2026, 12, 2), last_day=date(2026, 12, 3), reason="回老家"))
    found = await slots(tenant, start_date=date(2026, 12, 1), days=4, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert sorted({s.start.astimezone(SHANGHAI).day for s in found}) == [1, 4]


async def test_held_assignments_block_overlapping_slots_but_not_other_workers(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    busy = await make_worker(tenant, "李阿姨", hours="tue 09:00-13:00")
    other = await make_worker(tenant, "王阿姨", hours="tue 09:00-13:00")
    held = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    await make_order(tenant, starts=held, ends=held + timedelta(hours=1), state="assigned", staff_id=busy)
    # A declined offer holds nothing.
    await make_order(tenant, starts=held + timedelta(hours=2), ends=held + timedelta(hours=3), state="assigned", staff_id=busy, assignment="declined")
    found = await slots(tenant, start_date=date(2026, 12, 1), now=datetime(2026, 11, 30, tzinfo=UTC))
    by_time = {s.start.astimezone(SHANGHAI).strftime("%H:%M"): s.staff_ids for s in found}
    assert by_time["09:00"] == sorted([busy, other])
    for blocked in ("09:30", "10:00", "10:30"):
        assert by_time[blocked] == [other]
    assert by_time["11:00"] == sorted([busy, other]) and by_time["12:00"] == sorted([busy, other])
    async with tenant_scope(tenant.id):
        assert not await is_free(busy, held, held + timedelta(hours=1))
        assert await is_free(other, held, held + timedelta(hours=1))
        assert await is_free(busy, held + timedelta(hours=2), held + timedelta(hours=3))
        assert not await is_free(other, held + timedelta(hours=3), held + timedelta(hours=4, minutes=30))  # past 13:00
        assert await free_among([other, busy], held, held + timedelta(hours=1)) == [other]
        assert await free_among([busy, other], held - timedelta(hours=1), held) == [busy, other]
        assert await free_among([], held, held + timedelta(hours=1)) == []


async def test_lead_time_and_horizon_come_from_the_booking_settings(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, hours="mon-sun 09:00-18:00")
    await set_rules(tenant, slot_minutes=60, lead_minutes=180, horizon_days=2)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)  # a Monday, 08:00
    found = await slots(tenant, start_date=date(2026, 12, 7), days=5, duration=120, now=now)
    days = {}
    for s in found:
        days.setdefault(s.start.astimezone(SHANGHAI).day, []).append(s.start.astimezone(SHANGHAI).hour)
    assert days == {7: [11, 12, 13, 14, 15, 16], 8: [9, 10, 11, 12, 13, 14, 15, 16]}


async def test_defaults_apply_without_booking_settings(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, hours="mon-sun 09:00-18:00")
    now = datetime(2026, 12, 7, 9, 10, tzinfo=SHANGHAI)
    found = await slots(tenant, start_date=date(2026, 12, 7), days=30, now=now)
    assert found[0].start == datetime(2026, 12, 7, 11, 30, tzinfo=SHANGHAI)  # 2 hours' lead, on the 30-minute grid
    assert found[-1].start.astimezone(SHANGHAI).date() == date(2026, 12, 20)  # 14 days, today included


# --- who qualifies ----------------------------------------------------------------------------------


async def test_only_workers_with_every_required_skill_and_in_reach_are_offered(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    people_square = (31.2304, 121.4737)
    near = await make_worker(tenant, "近", skills=["cleaning"], home=(31.2200, 121.4600), radius_km=5, hours="mon-sun 09:00-18:00")
    anywhere = await make_worker(tenant, "无住址", skills=["cleaning", "deep_cleaning"], hours="mon-sun 09:00-18:00")
    far = await make_worker(tenant, "远", skills=["cleaning"], home=(31.6, 121.9), radius_km=10, hours="mon-sun 09:00-18:00")  # ~57 km away
    now, day = datetime(2026, 11, 30, tzinfo=UTC), date(2026, 12, 1)

    def who(found):
        return set().union(*(s.staff_ids for s in found))

    assert who(await slots(tenant, start_date=day, now=now)) == {near, anywhere, far}
    assert who(await slots(tenant, start_date=day, now=now, skills=["deep_cleaning"])) == {anywhere}
    assert who(await slots(tenant, start_date=day, now=now, lat=people_square[0], lng=people_square[1])) == {near, anywhere}
    assert who(await slots(tenant, start_date=day, now=now, staff_id=far)) == {far}
    assert await slots(tenant, start_date=day, now=now, skills=["nanny"]) == []


async def test_an_inactive_worker_has_no_slots(runtime, make_tenant):
    tenant = await make_tenant()
    worker = await make_worker(tenant, hours="mon-sun 09:00-18:00")
    async with tenant_scope(tenant.id):
        await services.set_worker_status(worker, "inactive")
    assert await slots(tenant, start_date=date(2026, 12, 1), now=datetime(2026, 11, 30, tzinfo=UTC)) == []


async def test_earliest_slot_skips_to_the_first_working_day(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, hours="sat 14:00-18:00")
    now = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)  # Monday
    async with tenant_scope(tenant.id):
        first = await earliest_slot(duration_minutes=120, skills=["cleaning"], now=now)
        nobody = await earliest_slot(duration_minutes=120, skills=["nanny"], now=now)
    assert first.start == datetime(2026, 12, 12, 14, 0, tzinfo=SHANGHAI)
    assert nobody is None


# --- the API -----------------------------------------------------------------------------------------


async def test_availability_api_lists_an_items_slots_for_a_day(runtime, tenant_a, client_a):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    await make_item(tenant_a, slug="deep-clean", duration=180, skills=["cleaning"])
    day = (datetime.now(SHANGHAI) + timedelta(days=2)).date()
    response = await client_a.get(f"/api/v1/availability?item=deep-clean&date={day.isoformat()}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Asia/Shanghai" and body["duration_minutes"] == 180
    assert body["slots"][0]["start"].startswith(f"{day.isoformat()}T09:00:00+08:00")
    assert body["slots"][-1]["start"].startswith(f"{day.isoformat()}T15:00:00+08:00")
    assert all(s["staff_ids"] == [worker] for s in body["slots"])


async def test_availability_api_sizes_an_hourly_visit_by_its_hours(runtime, tenant_a, client_a):
    await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    await make_item(tenant_a, slug="nanny-hours", duration=60, pricing_model="hourly", min_quantity=3)
    day = (datetime.now(SHANGHAI) + timedelta(days=2)).date().isoformat()
    assert (await client_a.get(f"/api/v1/availability?item=nanny-hours&date={day}")).json()["duration_minutes"] == 180
    assert (await client_a.get(f"/api/v1/availability?item=nanny-hours&date={day}&quantity=5")).json()["duration_minutes"] == 300


async def test_availability_api_refuses_bad_input_and_other_tenants_items(runtime, tenant_a, client_a, client_b):
    await make_item(tenant_a, slug="deep-clean")
    bad_date = await client_a.get("/api/v1/availability?item=deep-clean&date=tomorrow")
    assert bad_date.status_code == 400 and "date" in bad_date.json()["error"]["fields"]
    half_place = await client_a.get("/api/v1/availability?item=deep-clean&date=2026-12-01&lat=31.2")
    assert half_place.status_code == 400 and "lat" in half_place.json()["error"]["fields"]
    assert (await client_a.get("/api/v1/availability?item=nope&date=2026-12-01")).status_code == 404
    assert (await client_b.get("/api/v1/availability?item=deep-clean&date=2026-12-01")).status_code == 404


# --- isolation -----------------------------------------------------------------------------------------


async def test_tenant_b_sees_none_of_tenant_as_profiles_hours_or_days_off(runtime, tenant_a, tenant_b):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    async with tenant_scope(tenant_a.id):
        await services.add_time_off(worker, TimeOffCreate(first_day=date(2026, 12, 24), last_day=date(2026, 12, 26)))
    tables = ("core_staff_profile", "core_staff_hours", "core_staff_time_off")
    async with tenant_scope(tenant_a.id):
        assert all([await current_connection().fetchval(f"select count(*) from {t}") for t in tables])
    async with tenant_scope(tenant_b.id):
        for table in tables:
            assert await current_connection().fetchval(f"select count(*) from {table}") == 0
        from platform_core.staff.tables import StaffHours, StaffProfile, StaffTimeOff

        for table in (StaffProfile, StaffHours, StaffTimeOff):
            assert await table.count() == 0
        assert await services.list_workers() == []
        assert await services.get_hours(worker) == []
        with pytest.raises(Exception):
            await services.update_worker(worker, WorkerUpdate(bio="x"))


async def test_profile_validation_names_every_wrong_field(runtime, tenant_a):
    worker = await make_worker(tenant_a, hours="mon-sun 09:00-18:00")
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as caught:
            await services.update_worker(worker, WorkerUpdate(
                years_experience=99, service_radius_km=0, skills=["Deep Cleaning", "bad!"], home_lat=95.0, home_lng=121.0,
                photo_url="javascript:alert(1)",
            ))
    assert set(caught.value.fields) == {"years_experience", "service_radius_km", "skills", "home_lat", "photo_url"}
