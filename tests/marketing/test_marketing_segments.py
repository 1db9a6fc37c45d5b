"""Segments: each filter, their AND, frozen and closed accounts never in, plugin filters only
where the plugin is on, the batches a campaign reads, and two franchises never sharing members."""

from __future__ import annotations

import msgspec
import pytest

from platform_core.accounts.schemas import CustomerUpdate
from platform_core.accounts.services import update_customer
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.marketing import channels, segments
from platform_core.marketing.schemas import ChannelCreate, SegmentCreate, SegmentFilter
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import SegmentFilterSpec, SegmentSql
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_item,
    make_order,
)


async def customer_registered(tenant, days_ago: int, name: str = "Chen") -> int:
    customer_id = await make_customer(tenant, name=name)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_customer set created_at = now() - make_interval(days => $2) where id = $1", customer_id, days_ago)
    return customer_id


async def order(tenant, customer_id: int, *, days_ago: int = 0, paid: int | None = None, state: str = "completed",
                item_id: int | None = None) -> int:
    order_id = await make_order(tenant, customer_id=customer_id, state=state, total=paid or 10000, item_id=item_id)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_order set created_at = now() - make_interval(days => $2), "
            "paid_at = case when $3 then now() - make_interval(days => $2) end where id = $1",
            order_id, days_ago, paid is not None)
    return order_id


def f(name: str, **params) -> SegmentFilter:
    return SegmentFilter(name=name, params=params)


async def members(tenant, *filters: SegmentFilter) -> set[int]:
    async with tenant_scope(tenant.id):
        page = await segments.segment_page(list(filters), per_page=200)
        assert page.size == len(page.members)
        return {m.customer_id for m in page.members}


async def test_new_customers_registered_lately_without_an_order(tenant_a):
    fresh = await customer_registered(tenant_a, 3)
    fresh_with_order = await customer_registered(tenant_a, 3)
    await order(tenant_a, fresh_with_order)
    fresh_cancelled = await customer_registered(tenant_a, 3)
    await order(tenant_a, fresh_cancelled, state="cancelled")  # a cancelled order is no order
    old = await customer_registered(tenant_a, 60)
    assert await members(tenant_a, f("new", days=30)) == {fresh, fresh_cancelled}
    assert old not in await members(tenant_a, f("new"))  # the default is 30 days


async def test_dormant_customers_ordered_before_but_not_lately(tenant_a):
    dormant = await customer_registered(tenant_a, 400)
    await order(tenant_a, dormant, days_ago=45)
    active = await customer_registered(tenant_a, 400)
    await order(tenant_a, active, days_ago=45)
    await order(tenant_a, active, days_ago=2)
    never = await customer_registered(tenant_a, 400)
    assert await members(tenant_a, f("dormant", days=30)) == {dormant}
    assert await members(tenant_a, f("dormant", days=60)) == set()
    assert never not in await members(tenant_a, f("dormant", days=1))


async def test_spent_more_than_an_amount_in_twelve_months_counts_paid_orders_only(tenant_a):
    big = await customer_registered(tenant_a, 500)
    await order(tenant_a, big, paid=30000, days_ago=10)
    await order(tenant_a, big, paid=30000, days_ago=100)
    long_ago = await customer_registered(tenant_a, 500)
    await order(tenant_a, long_ago, paid=90000, days_ago=400)
    unpaid = await customer_registered(tenant_a, 500)
    await order(tenant_a, unpaid, state="pending_payment", days_ago=1)
    assert await members(tenant_a, f("spent", amount="500")) == {big}
    assert await members(tenant_a, f("spent", amount="600.00")) == set()


async def test_ordered_a_category_and_lives_in_a_district(tenant_a):
    aircon = await make_item(tenant_a, category="aircon")
    cleaning = await make_item(tenant_a, category="cleaning")
    fixed = await customer_registered(tenant_a, 10)
    await order(tenant_a, fixed, item_id=aircon)
    cleaned = await customer_registered(tenant_a, 10)
    await order(tenant_a, cleaned, item_id=cleaning)
    await make_address(tenant_a, fixed, district="徐汇区")
    await make_address(tenant_a, cleaned, district="浦东新区")
    assert await members(tenant_a, f("category", category="aircon")) == {fixed}
    assert await members(tenant_a, f("district", district="浦东新区")) == {cleaned}
    # AND: a category and a district that no one shares.
    assert await members(tenant_a, f("category", category="aircon"), f("district", district="浦东新区")) == set()
    assert await members(tenant_a, f("category", category="cleaning"), f("district", district="浦东新区")) == {cleaned}


async def test_came_through_a_channel(tenant_a):
    async with tenant_scope(tenant_a.id):
        channel = await channels.create_channel(ChannelCreate(name="Flyers at Riverside", kind="flyer"))
    through, other = await customer_registered(tenant_a, 1), await customer_registered(tenant_a, 1)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute(
            "insert into core_marketing_attribution (tenant_id, customer_id, channel_id, registered_at) values ($1, $2, $3, now())",
            tenant_a.id, through, channel.id)
    assert await members(tenant_a, f("channel", channel=channel.id)) == {through}
    assert other in await members(tenant_a, f("new", days=5))
    assert await members(tenant_a, f("channel", channel=channel.id), f("new", days=5)) == {through}


async def test_frozen_and_closed_customers_are_never_members(tenant_a):
    kept = await customer_registered(tenant_a, 1)
    frozen = await customer_registered(tenant_a, 1)
    closed = await customer_registered(tenant_a, 1)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set status = 'frozen' where id = $1", frozen)
        await current_connection().execute("update core_customer set status = 'closed' where id = $1", closed)
    assert await members(tenant_a, f("new", days=5)) == {kept}
    assert await members(tenant_a) == {kept}  # no filter: every active customer


async def test_segments_of_two_franchises_never_share_members(tenant_a, tenant_b):
    a = await customer_registered(tenant_a, 1)
    b = await customer_registered(tenant_b, 1)
    await make_address(tenant_a, a, district="徐汇区")
    await make_address(tenant_b, b, district="徐汇区")
    assert await members(tenant_a, f("district", district="徐汇区")) == {a}
    assert await members(tenant_b, f("district", district="徐汇区")) == {b}
    async with tenant_scope(tenant_a.id):
        channel = await channels.create_channel(ChannelCreate(name="A's agency", kind="agency"))
        await current_connection().execute(
            "insert into core_marketing_attribution (tenant_id, customer_id, channel_id, registered_at) values ($1, $2, $3, now())",
            tenant_a.id, a, channel.id)
    # A's channel id means nothing on B.
    assert await members(tenant_b, f("channel", channel=channel.id)) == set()


async def test_bad_parameters_are_field_errors_and_nothing_is_saved(tenant_a):
    async with tenant_scope(tenant_a.id):
        for bad, field in (
            (f("new", days=0), "f.new.days"), (f("new", days=10**20), "f.new.days"), (f("dormant", days="soon"), "f.dormant.days"),
            (f("spent", amount="-5"), "f.spent.amount"), (f("spent", amount="1e9"), "f.spent.amount"), (f("spent"), "f.spent.amount"),
            (f("district", district="x" * 101), "f.district.district"), (f("district", district=""), "f.district.district"),
            (f("channel", channel=2**63), "f.channel.channel"), (f("nosuch"), "filters"), (f("new", days=5, extra=1), "f.new.extra"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                await segments.create_segment(SegmentCreate(name="Bad", filters=[bad]))
            assert field in caught.value.fields, (bad, caught.value.fields)
        with pytest.raises(ValidationFailed) as caught:
            await segments.create_segment(SegmentCreate(name="Twice", filters=[f("new"), f("new")]))
        assert "f.new" in caught.value.fields
        assert await segments.list_segments() == []


async def test_a_saved_segment_keeps_its_filters_and_its_name_is_unique(tenant_a):
    async with tenant_scope(tenant_a.id):
        saved = await segments.create_segment(SegmentCreate(name="Dormant 30", filters=[f("dormant", days="30")]))
        assert saved.filters == [f("dormant", days=30)]  # decoded by the filter's own Struct
        with pytest.raises(ValidationFailed) as caught:
            await segments.create_segment(SegmentCreate(name="Dormant 30", filters=[]))
        assert "name" in caught.value.fields


class TierPlugin:
    """A loyalty-like plugin with a filter over its own (here: made-up) membership."""

    def __init__(self, customer_ids: list[int]) -> None:
        self.ids = customer_ids

    @hookimpl
    def provide_segment_filters(self):
        class TierParams(msgspec.Struct, frozen=True, kw_only=True):
            tier: str = "gold"

        ids = ",".join(str(i) for i in self.ids) or "0"
        return [SegmentFilterSpec(name="tier", label="Member tier", params=TierParams,
                                  members=lambda p: SegmentSql(sql=f"select unnest(array[{ids}]::bigint[]) where $1 = 'gold'", args=(p.tier,)))]


async def test_a_plugins_filter_is_offered_only_where_it_is_on_and_its_segment_empties_when_off(runtime, tenant_a, tenant_b):
    gold = await customer_registered(tenant_a, 1)
    await customer_registered(tenant_a, 1)
    runtime.pm.register(TierPlugin([gold]), name="tiers")
    try:
        async with tenant_scope(tenant_a.id):
            await current_connection().execute(
                "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'tiers', true)", tenant_a.id)
        async with tenant_scope(tenant_a.id):
            assert "tier" in segments.segment_filters()
            saved = await segments.create_segment(SegmentCreate(name="Gold", filters=[f("tier", tier="gold")]))
            assert await segments.segment_size(saved.filters) == 1
        async with tenant_scope(tenant_b.id):
            assert "tier" not in segments.segment_filters()
        async with tenant_scope(tenant_a.id):
            await current_connection().execute("update core_tenant_plugin set enabled = false where plugin_name = 'tiers'")
        async with tenant_scope(tenant_a.id):
            assert "tier" not in segments.segment_filters()
            # Never wider than what was shown: a segment whose filter is gone has no members.
            page = await segments.segment_page(saved.filters)
            assert page.size == 0 and page.unavailable == ["tier"]
            assert [b async for b in segments.segment_members(saved.id)] == []
    finally:
        runtime.pm.unregister(name="tiers")


async def test_members_come_in_batches_and_only_those_who_may_get_the_channel(tenant_a):
    ids = [await customer_registered(tenant_a, 1, name=f"C{i}") for i in range(7)]
    async with tenant_scope(tenant_a.id):
        await update_customer(ids[0], CustomerUpdate(marketing_messages=False))
        await update_customer(ids[1], CustomerUpdate(marketing_sms=True))
        saved = await segments.create_segment(SegmentCreate(name="Fresh", filters=[f("new", days=5)]))
        batches = [b async for b in segments.segment_members(saved.id, batch_size=3)]
        inbox = [i async for b in segments.segment_members(saved.id, channel="inbox", batch_size=3) for i in b]
        sms = [i async for b in segments.segment_members(saved.id, channel="sms") for i in b]
    assert [len(b) for b in batches] == [3, 3, 1] and sorted(i for b in batches for i in b) == sorted(ids)
    assert sorted(inbox) == sorted(ids[1:])
    assert sms == [ids[1]]


async def test_the_preview_shows_name_masked_phone_last_order_and_spend(tenant_a):
    customer_id = await customer_registered(tenant_a, 100, name="Wang Fang")
    await order(tenant_a, customer_id, days_ago=40, paid=25000)
    async with tenant_scope(tenant_a.id):
        page = await segments.segment_page([f("dormant", days=30)])
    (member,) = page.members
    assert member.display_name == "Wang Fang" and "****" in member.phone
    assert member.last_order_at is not None and member.spend_12_months == 25000
