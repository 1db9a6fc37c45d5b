"""What an order's life does to the coupon it holds: held at placement (race-safe), used once
paid, released or returned when cancelled. Called by booking and by this domain's hooks."""

from __future__ import annotations

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.orders.services import get_order
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CouponEvent
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

HELD_ELSEWHERE = N_("This coupon was just used for another order.")


async def hold_coupon(coupon_id: int, customer_id: int, order_id: int) -> None:
    """The placement's coupon is held by its order, in the placement's transaction: one
    conditional UPDATE, so of two placements racing for one coupon exactly one holds it; the
    other is refused on `coupon_id` (and its transaction, with its order, is rolled back)."""
    held = await current_connection().fetchval(
        "update core_coupon set state = 'held', order_id = $3, held_at = now() where id = $1 and customer_id = $2 "
        "and state = 'available' and valid_from <= $4 and (valid_until is null or valid_until > $4) returning id",
        coupon_id, customer_id, order_id, clock.now())
    if held is None:
        raise ValidationFailed({"coupon_id": HELD_ELSEWHERE})


async def use_order_coupon(order_id: int) -> None:
    """The order was paid (or its service done, for one paid after it): its coupon is used,
    and plugins hear of it (on_coupon_redeemed)."""
    row = await current_connection().fetchrow(
        "update core_coupon set state = 'used', used_at = now() where order_id = $1 and state = 'held' "
        "returning id, template_id, customer_id", order_id)
    if row is None:
        return
    tenant = current_tenant()
    await tell(current_runtime().hooks(tenant).on_coupon_redeemed, event=CouponEvent(
        tenant=tenant, coupon_id=row["id"], template_id=row["template_id"], customer_id=row["customer_id"],
        order_id=order_id, occurred_at=clock.now()))


async def release_order_coupon(order_id: int) -> None:
    """The order was cancelled: a coupon it held goes back to available (expired when its days
    are over); a used one goes back only when its template says so. A paid order's coupon was
    spent even when the payment's reactions, which run after its commit (orders.reactions),
    have not marked it yet."""
    if (await get_order(order_id)).paid_at is not None:
        await use_order_coupon(order_id)
    await current_connection().execute(
        "update core_coupon c set state = case when c.valid_until is not null and c.valid_until <= $2 then 'expired' "
        "else 'available' end, order_id = null, held_at = null, used_at = null from core_coupon_template t "
        "where t.id = c.template_id and c.order_id = $1 and (c.state = 'held' or (c.state = 'used' and t.return_on_cancel))",
        order_id, clock.now())
