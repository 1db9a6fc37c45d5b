"""This domain's hook implementations (registered as a core plugin)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from platform_core.accounts.services import registered_since_sql
from platform_core.bounds import text
from platform_core.catalog.services import flatten, list_categories
from platform_core.money import to_minor
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry, SegmentFilterSpec, SegmentSql
from platform_core.tenancy.context import current_tenant

from . import audience, console_views, messages, services


@hookimpl
def register_routes():
    return console_views.CONSOLE_HANDLERS


@hookimpl
def register_job_handlers():
    return [*messages.JOB_HANDLERS, *services.JOB_HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Orders", href="/console/orders", icon="inbox", section="operations", permission="orders.view", order=20),
        MenuEntry(label="Exceptions", href="/console/orders/exceptions", icon="alert", section="operations", permission="orders.view", order=25),
        MenuEntry(label="Booking rules", href="/console/orders/settings", icon="settings", section="settings", permission="settings.manage", order=30),
    ]


# --- marketing segments: the filters over orders' own table ------------------------------------

Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
# An amount as people type it ("500", "99.50"), at most ten digits before the point.
Amount = Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")]


class NewParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    days: Days = 30


class DormantParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    days: Days = 90


class SpentParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: Amount


class CategoryParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    category: text(63, min_length=1)  # type: ignore[valid-type]


def _new(params: NewParams) -> list[SegmentSql]:
    # Registration is accounts' to say; "no order yet" is ours: taken out of that set.
    no_order = msgspec.structs.replace(audience.ordering_customers_sql(), exclude=True)
    return [registered_since_sql(params.days), no_order]


async def _category_options() -> dict[str, list[tuple[str, str]]]:
    tree = await list_categories(current_tenant(), for_customer=False)
    return {"category": [(c.code, "— " * depth + c.title) for depth, c in flatten(tree)]}


@hookimpl
def provide_segment_filters():
    return [
        SegmentFilterSpec(name="new", label="New: registered in the last days, no order yet", params=NewParams, members=_new,
                          param_labels={"days": "Days"}, order=10),
        SegmentFilterSpec(name="dormant", label="Dormant: no order in the last days, ordered before", params=DormantParams,
                          members=lambda p: audience.dormant_customers_sql(p.days), param_labels={"days": "Days"}, order=20),
        SegmentFilterSpec(name="spent", label="Paid more than an amount in the last 12 months", params=SpentParams,
                          members=lambda p: audience.spenders_sql(to_minor(p.amount)), param_labels={"amount": "Amount"}, order=30),
        SegmentFilterSpec(name="category", label="Ordered a service of a category", params=CategoryParams,
                          members=lambda p: audience.category_customers_sql(p.category), options=_category_options,
                          param_labels={"category": "Category"}, order=40),
    ]
