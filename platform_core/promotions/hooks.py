"""This domain's hook implementations (registered as a core plugin): its price lines and its
reactions to an order's life, which are part of the order's change (never swallowed)."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_rules, console_views, controllers, holds, pricing, views


@hookimpl
def register_routes():
    return [*controllers.API_HANDLERS, *views.PAGE_HANDLERS, *console_views.CONSOLE_HANDLERS, *console_rules.CONSOLE_HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Coupon templates", href="/console/marketing/coupon-templates", icon="star", section="marketing",
                  permission="marketing.manage", order=10),
        MenuEntry(label="Issued coupons", href="/console/marketing/coupons", icon="inbox", section="marketing",
                  permission="marketing.manage", order=20),
        MenuEntry(label="Discount rules", href="/console/marketing/discount-rules", icon="clock", section="marketing",
                  permission="marketing.manage", order=30),
    ]


@hookimpl
async def compute_price_adjustments(quote):
    return await pricing.price_adjustments(quote)


@hookimpl
async def on_order_paid(event):
    await holds.use_order_coupon(event.order_id)


@hookimpl
async def on_order_completed(event):
    # An order paid after the service: its coupon is spent once the service is done.
    await holds.use_order_coupon(event.order_id)


@hookimpl
async def on_order_cancelled(event):
    await holds.release_order_coupon(event.order_id)
