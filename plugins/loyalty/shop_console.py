"""The console's side of the rewards shop: the catalogue of rewards (goods with a picture and a
stock, coupons for points) at /p/loyalty/console/shop, guarded by "marketing.manage", and the
fulfilment queue at /p/loyalty/console/fulfilment (to ship → shipped with carrier and tracking
number → delivered; cancel with a reason, which returns the points and the stock), guarded by
"orders.manage". The rule is in shop.py."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from platform_core.plugin_api import (
    CSRF_FIELD,
    MAX_IMAGE_BYTES,
    HearthError,
    PathId,
    ValidationFailed,
    as_struct,
    current_tenant,
    error_context,
    form_data,
    gettext,
    is_digits,
    lazy_gettext,
    page,
    parse_form,
    redirect_after_post,
    require_console,
    save_image,
)

from . import shop

CONSOLE = "/p/loyalty/console"
KIND_LABELS = {"goods": lazy_gettext("Goods, sent by post"), "coupon": lazy_gettext("A coupon")}
NOTICES = {
    "saved": lazy_gettext("The reward has been saved."),
    "shipped": lazy_gettext("Marked as shipped. The customer sees the tracking number."),
    "delivered": lazy_gettext("Marked as delivered."),
    "cancelled": lazy_gettext("Cancelled. The points and the item are back."),
}


def _flash(request: Request) -> list[tuple[str, str]]:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return [("success", notice)] if notice else []


def _values(reward: shop.Reward | None) -> dict[str, Any]:
    if reward is None:
        return {"kind": "goods", "name": "", "description": "", "points": "", "stock": "", "coupon_template_id": "",
                "active": True, "picture": ""}
    return {"kind": reward.kind, "name": reward.name, "description": reward.description, "points": reward.points,
            "stock": "" if reward.stock is None else reward.stock, "coupon_template_id": reward.coupon_template_id or "",
            "active": reward.active, "picture": reward.picture, "stock_seen": "" if reward.stock is None else reward.stock}


async def _reward_form(request: Request) -> tuple[shop.RewardInput | None, dict[str, Any], str | None, dict[str, str]]:
    """The posted reward form: the input (None when a field is wrong), the values to show again,
    the picture (a new upload's address, "" when taken off, None when kept) and the errors."""
    form = await request.form()
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if not isinstance(v, UploadFile) and ":" not in k
                              and k != CSRF_FIELD}
    values["active"] = values.get("active") == "1"
    errors: dict[str, str] = {}
    picture: str | None = None
    upload = form.get("picture:file")
    if form.get("picture:remove") == "1":
        picture = ""
    elif isinstance(upload, UploadFile) and upload.filename:
        try:
            picture = save_image(current_tenant(), await upload.read(MAX_IMAGE_BYTES + 1))
        except ValidationFailed as exc:
            errors["picture"] = exc.fields["file"]
    fields = {k: values.get(k) for k in ("kind", "name", "description", "points", "stock", "coupon_template_id")}
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    fields["active"] = values["active"]
    try:
        data = as_struct(fields, shop.RewardInput)
    except ValidationFailed as exc:
        return None, values, picture, {**exc.fields, **errors}
    return data, values, picture, errors


class ShopConsole(Controller):
    path = "/console/shop"
    guards = [require_console("marketing.manage")]
    include_in_schema = False

    async def _form_page(self, request: Request, reward: shop.Reward | None, *, values: dict[str, Any] | None = None,
                         status_code: int = 200, **extra: Any) -> Response:
        extra.setdefault("errors", {})
        return page(request, "loyalty/console_reward_form.html", console=True, status_code=status_code, reward=reward,
                    values=values if values is not None else _values(reward), kind_pairs=[(k, gettext(v)) for k, v in KIND_LABELS.items()],
                    coupon_options=await shop.coupon_choices(), **extra)

    @get("", name="loyalty-console-shop")
    async def catalogue(self, request: Request) -> Response:
        return page(request, "loyalty/console_shop.html", console=True, rewards=await shop.list_rewards(),
                    coupon_names=dict(await shop.coupon_choices()), flash=_flash(request))

    @get("/new", name="loyalty-console-reward-new")
    async def new(self, request: Request) -> Response:
        return await self._form_page(request, None)

    @get("/{reward_id:int}", name="loyalty-console-reward")
    async def edit(self, request: Request, reward_id: PathId) -> Response:
        return await self._form_page(request, await shop.get_reward(reward_id))

    @post("/new", name="loyalty-console-reward-create")
    async def create(self, request: Request) -> Response:
        return await self._save(request, None)

    @post("/{reward_id:int}", name="loyalty-console-reward-update")
    async def update(self, request: Request, reward_id: PathId) -> Response:
        return await self._save(request, await shop.get_reward(reward_id))

    async def _save(self, request: Request, reward: shop.Reward | None) -> Response:
        data, values, picture, errors = await _reward_form(request)
        if picture is not None:
            values["picture"] = picture
        try:
            if data is None or errors:
                raise ValidationFailed(errors)
            if reward is None:
                await shop.create_reward(data, picture or "")
            else:
                seen = str(values.get("stock_seen", ""))
                await shop.update_reward(reward.id, data, picture,
                                         stock_seen=int(seen) if is_digits(seen) and len(seen) <= 7 else None)
        except HearthError as exc:
            context = error_context(exc)
            context["errors"] = {**context["errors"], **{k: v for k, v in errors.items() if k not in context["errors"]}}
            return await self._form_page(request, reward, values=values, status_code=exc.status_code, **context)
        return redirect_after_post(request, f"{CONSOLE}/shop?done=saved")


class FulfilmentConsole(Controller):
    path = "/console/fulfilment"
    guards = [require_console("orders.manage")]
    include_in_schema = False

    async def _queue_page(self, request: Request, state: str, *, status_code: int = 200, **extra: Any) -> Response:
        extra.setdefault("errors", {})
        return page(request, "loyalty/console_fulfilment.html", console=True, status_code=status_code, state=state,
                    rows=await shop.fulfilment_queue(state), counts=await shop.queue_counts(), states=shop.STATE_LABELS,
                    tones=shop.STATE_TONES, tz=ZoneInfo(current_tenant().timezone), **extra)

    @get("", name="loyalty-console-fulfilment")
    async def queue(self, request: Request) -> Response:
        state = request.query_params.get("state", "to_ship")
        return await self._queue_page(request, state if state in shop.QUEUE_STATES else "to_ship", flash=_flash(request), failed=None)

    async def _step(self, request: Request, redemption_id: int, step: str) -> Response:
        try:
            if step == "ship":
                await shop.ship(redemption_id, await parse_form(request, shop.ShipRequest))
            elif step == "deliver":
                await form_data(request)
                await shop.deliver(redemption_id)
            else:
                await shop.cancel(redemption_id, await parse_form(request, shop.CancelRequest))
        except HearthError as exc:
            if exc.status_code == 404:
                raise
            current = await shop.get_redemption(redemption_id)
            return await self._queue_page(request, current.state, status_code=exc.status_code, failed=redemption_id,
                                          **error_context(exc))
        done = {"ship": "shipped", "deliver": "delivered", "cancel": "cancelled"}[step]
        back = {"ship": "to_ship", "deliver": "shipped", "cancel": "to_ship"}[step]
        return redirect_after_post(request, f"{CONSOLE}/fulfilment?state={back}&done={done}")

    @post("/{redemption_id:int}/ship", name="loyalty-console-ship")
    async def ship(self, request: Request, redemption_id: PathId) -> Response:
        return await self._step(request, redemption_id, "ship")

    @post("/{redemption_id:int}/deliver", name="loyalty-console-deliver")
    async def deliver(self, request: Request, redemption_id: PathId) -> Response:
        return await self._step(request, redemption_id, "deliver")

    @post("/{redemption_id:int}/cancel", name="loyalty-console-cancel")
    async def cancel(self, request: Request, redemption_id: PathId) -> Response:
        return await self._step(request, redemption_id, "cancel")


HANDLERS = [ShopConsole, FulfilmentConsole]
