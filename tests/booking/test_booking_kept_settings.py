"""The booking rules and dispatch settings a process keeps by the franchise's stamp: a change,
through the console or straight to the table, is read by the next transaction, and by the one
that made it; another franchise's stay as they were."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.dispatch.schemas import DispatchSettingsUpdate
from platform_core.dispatch.services import get_settings, update_settings
from platform_core.orders.console_views import SETTING_LIMITS
from platform_core.orders.services import booking_settings, save_booking_settings
from platform_core.tenancy.context import current_tenant, tenant_scope


async def test_changed_booking_rules_are_read_at_once(runtime, make_tenant):
    tenant = await make_tenant()
    other = await make_tenant()
    async with tenant_scope(tenant.id):
        assert (await booking_settings()).horizon_days == 14
    async with tenant_scope(other.id):
        assert (await booking_settings()).horizon_days == 14
    async with tenant_scope(tenant.id):
        await current_connection().execute("insert into core_booking_settings (tenant_id, horizon_days) values ($1, 30)", tenant.id)
    async with tenant_scope(tenant.id):
        assert (await booking_settings()).horizon_days == 30
        values = {name: str(getattr(await booking_settings(), name)) for name in SETTING_LIMITS}
        saved = await save_booking_settings(current_tenant(), {**values, "horizon_days": "45"}, SETTING_LIMITS)
        # The writer's own transaction reads what it wrote, not what it kept before.
        assert saved.horizon_days == (await booking_settings()).horizon_days == 45
    async with tenant_scope(tenant.id):
        assert (await booking_settings()).horizon_days == 45
    async with tenant_scope(other.id):
        assert (await booking_settings()).horizon_days == 14


async def test_changed_dispatch_settings_are_read_at_once(runtime, make_tenant):
    tenant = await make_tenant()
    other = await make_tenant()
    for franchise in (tenant, other):
        async with tenant_scope(franchise.id):
            assert (await get_settings()).arrange_deadline_hours == 12
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_dispatch_settings (tenant_id, arrange_deadline_hours) values ($1, 6)", tenant.id)
    async with tenant_scope(tenant.id):
        assert (await get_settings()).arrange_deadline_hours == 6
        saved = await update_settings(DispatchSettingsUpdate(arrange_deadline_hours=3))
        assert saved.arrange_deadline_hours == (await get_settings()).arrange_deadline_hours == 3
    async with tenant_scope(tenant.id):
        assert (await get_settings()).arrange_deadline_hours == 3
    async with tenant_scope(other.id):
        assert (await get_settings()).arrange_deadline_hours == 12
