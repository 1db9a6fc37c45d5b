"""The customer's coupons in the JSON API (the mini-program): list them, redeem a code. A quote
with a coupon and the list of those that apply is the quote API's (booking)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from platform_core.accounts.guards import BEARER_SECURITY, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal

from . import codes, services
from .schemas import Coupon, RedeemRequest

Tab = Literal["available", "used", "expired"]
# What each tab of "My coupons" shows: a held coupon is still the customer's (its order is
# unpaid); a revoked one is gone like an expired one.
TABS: dict[str, tuple[str, ...]] = {"available": ("available", "held"), "used": ("used",), "expired": ("expired", "revoked")}


class CouponController(Controller):
    path = "/api/v1/coupons"
    tags = ["Promotions"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("/", operation_id="listMyCoupons", summary="My coupons, by tab")
    async def mine(self, principal: NamedDependency[Principal], tab: FromQuery[Tab] = "available") -> list[Coupon]:
        """`available` (held by an unpaid order included), `used`, or `expired` (revoked
        included); soonest to expire first. Each carries its template's terms; times are ISO 8601
        with their offset."""
        customer = await active_customer(principal)
        return await services.customer_coupons(customer.id, TABS[tab])

    @post("/redeem", operation_id="redeemCouponCode", status_code=201, summary="Redeem a coupon code")
    async def redeem(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[RedeemRequest]) -> Coupon:
        """A public code (one per customer) or a one-time code. 400 on `code`: unknown, already
        redeemed, ended, limit reached; 429 when typed too often."""
        customer = await active_customer(principal)
        return await codes.redeem_typed_code(customer.id, data.code, request.client.host if request.client else "")


API_HANDLERS = [CouponController]
