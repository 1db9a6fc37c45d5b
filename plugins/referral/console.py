"""The franchise console's referral pages (Marketing): rewards by state with the review queue
(approve or void with a reason), the leaderboard by period, and a customer's invitees and
rewards (also a panel of the console's customer page). The rules are the plugin's settings
(/console/plugins, the generic settings form of ReferralConfig)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect

from platform_core.plugin_api import (
    CustomerConsoleContext,
    HearthError,
    MemberPanel,
    MenuEntry,
    NotFound,
    PathId,
    Principal,
    clock,
    current_tenant,
    customer_cards,
    gettext,
    lazy_gettext,
    page,
    require_console,
)

from . import programme, rewards

BASE = "/p/referral/console"
VIEW = require_console("customers.view")
MANAGE = require_console("marketing.manage")
STATES = ("held", "paid", "pending", "voided", "reversed")
STATE_LABELS = {"pending": lazy_gettext("To be paid"), "held": lazy_gettext("Held for review"), "paid": lazy_gettext("Paid"),
                "voided": lazy_gettext("Voided"), "reversed": lazy_gettext("Reversed")}
STATE_TONES = {"pending": "info", "held": "warning", "paid": "success", "voided": "danger", "reversed": "danger"}
ROLE_LABELS = {"inviter": lazy_gettext("For inviting"), "invitee": lazy_gettext("Welcome coupon"), "level": lazy_gettext("Level voucher")}
StateQuery = Literal["held", "paid", "pending", "voided", "reversed", "all"]
Period = Literal["7", "30", "90", "all"]
NOTICES = {"approved": lazy_gettext("The reward has been paid."), "voided": lazy_gettext("The reward has been voided.")}


async def _rewards_page(request: Request, state: str | None, *, status_code: int = 200, errors: dict[str, str] | None = None,
                        failed_id: int | None = None) -> Response:
    shown = None if state == "all" else (state or "held")
    rows = await rewards.list_rewards(shown)
    cards = await customer_cards(r.customer_id for r in rows)
    done = request.query_params.get("done")
    return page(request, "referral/console_rewards.html", console=True, status_code=status_code, rows=rows, cards=cards,
                state=state or "held", states=STATES, labels=STATE_LABELS, tones=STATE_TONES, roles=ROLE_LABELS,
                reason_text=rewards.reason_text, errors=errors or {}, failed_id=failed_id,
                flash=[("success", gettext(NOTICES[done]))] if done in NOTICES else [])


@get("/console/rewards", guards=[VIEW], include_in_schema=False, name="referral-console-rewards")
async def rewards_page(request: Request, shown: Annotated[StateQuery | None, QueryParameter(name="state")] = None) -> Response:
    return await _rewards_page(request, shown)


@post("/console/rewards/{reward_id:int}/approve", guards=[MANAGE], include_in_schema=False, name="referral-console-approve")
async def approve(request: Request, reward_id: PathId, principal: NamedDependency[Principal]) -> Response:
    try:
        await rewards.approve(reward_id, principal.user_id)
    except HearthError as exc:
        return await _rewards_page(request, "held", status_code=exc.status_code,
                                   errors={"form": gettext(exc.message)}, failed_id=reward_id)
    return Redirect(f"{BASE}/rewards?state=held&done=approved", status_code=303)


@post("/console/rewards/{reward_id:int}/void", guards=[MANAGE], include_in_schema=False, name="referral-console-void")
async def void(request: Request, reward_id: PathId, principal: NamedDependency[Principal]) -> Response:
    form = await request.form()
    try:
        await rewards.void(reward_id, principal.user_id, str(form.get("reason", ""))[:1000])
    except HearthError as exc:
        errors = {name: gettext(text) for name, text in exc.fields.items()} or {"form": gettext(exc.message)}
        return await _rewards_page(request, "held", status_code=exc.status_code, errors=errors, failed_id=reward_id)
    return Redirect(f"{BASE}/rewards?state=held&done=voided", status_code=303)


@get("/console/leaderboard", guards=[VIEW], include_in_schema=False, name="referral-console-leaderboard")
async def leaderboard(request: Request, period: FromQuery[Period | None] = None) -> Response:
    period = period or "30"
    since = None if period == "all" else clock.now() - timedelta(days=int(period))
    return page(request, "referral/console_leaderboard.html", console=True, leaders=await programme.leaderboard(since), period=period)


@get("/console/customers/{customer_id:int}", guards=[VIEW], include_in_schema=False, name="referral-console-customer")
async def customer_page(request: Request, customer_id: PathId) -> Response:
    cards = await customer_cards([customer_id])
    if customer_id not in cards:
        raise NotFound("customer")
    return page(request, "referral/console_customer.html", console=True, card=cards[customer_id],
                panel=await customer_panel_data(customer_id), labels=STATE_LABELS, tones=STATE_TONES, roles=ROLE_LABELS,
                reason_text=rewards.reason_text)


async def customer_panel_data(customer_id: int) -> dict:
    return {"customer_id": customer_id, "standing": await programme.standing(customer_id, current_tenant().currency),
            "invitees": await programme.invitees(customer_id, limit=20), "rewards": await rewards.rewards_of(customer_id, limit=20)}


async def console_panels(customer: CustomerConsoleContext) -> list[MemberPanel]:
    data = await customer_panel_data(customer.customer_id)
    if not data["standing"].invites and not data["rewards"]:
        return []  # a customer who never invited anyone: no empty panel
    return [MemberPanel(key="referral.console", title="Invites", template="referral/_console_panel.html", context=data, order=30,
                        href=f"{BASE}/customers/{customer.customer_id}")]


HANDLERS = [rewards_page, approve, void, leaderboard, customer_page]


def menu_entries() -> list[MenuEntry]:
    return [
        MenuEntry(label="Invite rewards", href=f"{BASE}/rewards", icon="star", permission="customers.view", section="marketing", order=64),
        MenuEntry(label="Invite leaderboard", href=f"{BASE}/leaderboard", icon="chart", permission="customers.view", section="marketing",
                  order=65),
        MenuEntry(label="Invite settings", href="/console/plugins#plugin-referral", icon="settings", permission="marketing.manage",
                  section="marketing", order=66),
    ]
