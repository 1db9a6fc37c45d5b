"""`hearth tenants apply`: the demo franchises' [[promotions.*]] sections give a new customer a
public first-order code and weekday mornings off, idempotently."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from platform_core.booking import services as booking
from platform_core.catalog.services import get_item
from platform_core.demo.seeding import apply_tenant_file
from platform_core.errors import ValidationFailed
from platform_core.marketing.services import list_channels
from platform_core.promotions import codes, services
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import tenant_id_for_slug
from platform_core.testing.factories import (
    local_time,
    make_customer,
    make_item,
    make_worker,
)

REPO = Path(__file__).resolve().parents[2]


def promotions_of(name: str) -> str:
    """The [[promotions.*]] block of a demo tenant file, as written there."""
    text = (REPO / "tenants" / name).read_text(encoding="utf-8")
    return text[text.index("[[promotions.coupons]]"):text.index("# The catalog")]


def tenant_file(tmp_path, block: str) -> tuple[str, Path]:
    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(f'[tenant]\nslug = "{slug}"\nname = "种子加盟店"\nlocale = "zh_CN"\ntimezone = "Asia/Shanghai"\n\n{block}', encoding="utf-8")
    return slug, path


def weekday_morning(tenant, hour: int = 9):
    start = local_time(tenant, days_ahead=2, hour=hour)
    while start.isoweekday() > 5:
        start += timedelta(days=1)
    return start


async def test_demo_promotions_are_seeded_once_and_a_new_customer_gets_the_code_and_the_morning_discount(runtime, hearth_settings, tmp_path):
    slug, path = tenant_file(tmp_path, promotions_of("sunshine.toml"))
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: coupon template 新人首单立减20元 created" in first
    assert f"{slug}: discount rule 工作日上午九折 created" in first
    assert f"{slug}: channel 绿地物业合作 created" in first
    assert await apply_tenant_file(path, hearth_settings) == []

    tenant_id = await tenant_id_for_slug(slug)
    async with tenant_scope(tenant_id) as tenant:
        item_id = await make_item(tenant, price=15000)
        await make_worker(tenant)
        customer = await make_customer(tenant)
        assert [c.channel.name for c in await list_channels()] == ["绿地物业合作"]
        coupon = await codes.redeem_code(customer, " new20 ")
        assert coupon.template.first_order_only and coupon.template.amount_off == 2000
        item = await get_item(item_id)
        priced, offered = await booking.checkout(
            customer, item, None, [], booking.Booked(slot_start=weekday_morning(tenant)), preselect=True)
        afternoon, _ = await booking.checkout(customer, item, None, [], booking.Booked(slot_start=weekday_morning(tenant, hour=14)))
    lines = [(line.label, line.amount) for line in priced.lines if line.kind == "adjustment"]
    assert lines == [("工作日上午九折", -1500), ("优惠券：新人首单立减20元", -2000)]
    assert offered.best == coupon.id and priced.total == 15000 - 1500 - 2000
    assert [line for line in afternoon.lines if line.kind == "adjustment"] == []


async def test_a_changed_entry_is_updated_and_a_wrong_one_names_its_section(runtime, hearth_settings, tmp_path):
    block = promotions_of("harbour.toml")
    slug, path = tenant_file(tmp_path, block)
    await apply_tenant_file(path, hearth_settings)
    path.write_text(path.read_text(encoding="utf-8").replace("amount_off = 5000", "amount_off = 6000"), encoding="utf-8")
    assert await apply_tenant_file(path, hearth_settings) == [f"{slug}: coupon template New customer HK$50 off updated"]
    async with tenant_scope(await tenant_id_for_slug(slug)):
        [template] = await services.list_templates()
    assert (template.amount_off, template.public_code) == (6000, "NEW50")

    path.write_text(path.read_text(encoding="utf-8").replace('kind = "off_peak"', 'kind = "happy_hour"'), encoding="utf-8")
    with pytest.raises(ValidationFailed) as wrong:
        await apply_tenant_file(path, hearth_settings)
    assert "promotions.rules" in wrong.value.fields
