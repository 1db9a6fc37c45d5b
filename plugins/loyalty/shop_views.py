"""The rewards shop for customers: the page /p/loyalty/shop (the rewards, the balance, "my
redemptions" with tracking), a reward's page with the redeem form (the address for goods), and
the JSON API under /p/loyalty/api/shop. The rule is in shop.py."""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from platform_core.plugin_api import (
    HearthError,
    PathId,
    Principal,
    active_customer,
    coupon_terms,
    current_tenant,
    customer_addresses,
    error_context,
    get_coupon_template,
    lazy_gettext,
    page,
    parse_form,
    redirect_after_post,
    require_customer,
)

from . import points, shop

SHOP = "/p/loyalty/shop"
DONE = {
    "goods": lazy_gettext("Redeemed. We will send it to you and show its tracking number here once it is shipped."),
    "coupon": lazy_gettext("Redeemed. The coupon is in My coupons, and offered when you book."),
}


class RedeemForm(msgspec.Struct, frozen=True, kw_only=True):
    address_id: shop.RewardId | None = None
    request_key: shop.RequestKey | None = None  # one per rendering of the form: a double tap redeems once


class ShopAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The shop as the API sends it: the customer's balance and the rewards on offer."""

    balance: int
    rewards: list[shop.Reward]


def _context() -> dict[str, Any]:
    tenant = current_tenant()
    return {"tz": ZoneInfo(tenant.timezone), "states": shop.STATE_LABELS, "tones": shop.STATE_TONES, "currency": tenant.currency}


async def _customer_id(principal: Principal) -> int:
    return (await active_customer(principal)).id


class ShopPages(Controller):
    path = "/shop"
    guards = [require_customer]
    include_in_schema = False

    @get("", name="loyalty-shop")
    async def shop_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer_id = await _customer_id(principal)
        done = request.query_params.get("done", "")
        return page(request, "loyalty/shop.html", balance=int(await points.balance(customer_id)),
                    rewards=await shop.list_rewards(active_only=True), redemptions=await shop.customer_redemptions(customer_id),
                    flash=[("success", DONE[done])] if done in DONE else [], **_context())

    async def _reward_page(self, request: Request, customer_id: int, reward_id: int, *, status_code: int = 200,
                           **extra: Any) -> Response:
        reward = await shop.get_reward(reward_id, active_only=True)
        terms = []
        if reward.coupon_template_id is not None:
            terms = coupon_terms(await get_coupon_template(reward.coupon_template_id), current_tenant().currency)
        addresses = await customer_addresses(customer_id) if reward.kind == "goods" else []
        extra.setdefault("errors", {})
        return page(request, "loyalty/shop_reward.html", status_code=status_code, reward=reward, terms=terms, addresses=addresses,
                    request_key=secrets.token_hex(16),
                    balance=int(await points.balance(customer_id)), **_context(), **extra)

    @get("/{reward_id:int}", name="loyalty-shop-reward")
    async def reward_page(self, request: Request, principal: NamedDependency[Principal], reward_id: PathId) -> Response:
        return await self._reward_page(request, await _customer_id(principal), reward_id)

    @post("/{reward_id:int}/redeem", name="loyalty-shop-redeem")
    async def redeem(self, request: Request, principal: NamedDependency[Principal], reward_id: PathId) -> Response:
        customer_id = await _customer_id(principal)
        try:
            form = await parse_form(request, RedeemForm)
            done = await shop.redeem(customer_id, shop.RedeemRequest(reward_id=reward_id, address_id=form.address_id,
                                                                     request_key=form.request_key))
        except HearthError as exc:
            if exc.status_code == 404:
                raise
            return await self._reward_page(request, customer_id, reward_id, status_code=exc.status_code, **error_context(exc))
        return redirect_after_post(request, f"{SHOP}?done={done.kind}#redemptions")


class ShopApi(Controller):
    path = "/api/shop"
    guards = [require_customer]
    tags = ["Loyalty"]

    @get("", operation_id="loyaltyShop", summary="The rewards on offer and the customer's points balance")
    async def rewards(self, principal: NamedDependency[Principal]) -> ShopAnswer:
        customer_id = await _customer_id(principal)
        return ShopAnswer(balance=int(await points.balance(customer_id)), rewards=await shop.list_rewards(active_only=True))

    @post("/redemptions", operation_id="loyaltyRedeem", status_code=201, summary="Buy a reward with points")
    async def redeem(self, principal: NamedDependency[Principal], data: JSONBody[shop.RedeemRequest]) -> shop.RedemptionView:
        """Goods need `address_id`, one of the customer's addresses (copied into the redemption).
        409 on `reward_id` when none is left, on `points` when the balance is short."""
        return await shop.redeem(await _customer_id(principal), data)

    @get("/redemptions", operation_id="loyaltyRedemptions", summary="The customer's redemptions, newest first")
    async def redemptions(self, principal: NamedDependency[Principal]) -> list[shop.RedemptionView]:
        return await shop.customer_redemptions(await _customer_id(principal))

    @get("/redemptions/{redemption_id:int}", operation_id="loyaltyRedemption", summary="One of the customer's redemptions")
    async def redemption(self, principal: NamedDependency[Principal], redemption_id: PathId) -> shop.RedemptionView:
        return await shop.get_redemption(redemption_id, customer_id=await _customer_id(principal))


HANDLERS = [ShopPages, ShopApi]
