"""The customer's side: the invite page (/p/referral/invite; a plugin's pages live under
/p/referral, so the account menu's "Invite friends" points here), the landing page of an invite
link (/p/referral/i/{code}), the QR poster (/p/referral/poster.svg) and the JSON API for the
mini-program (/p/referral/api/...)."""

from __future__ import annotations

from datetime import datetime
from html import escape

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.plugin_api import (
    NotFound,
    RateLimit,
    client_address,
    clock,
    coupon_terms,
    current_tenant,
    get_coupon_template,
    gettext,
    is_bot,
    lazy_module,
    limit_attempts,
    page,
    plugin_config,
    referrer_cookie,
    require_customer,
    signed_in_customer,
)

from . import codes, programme
from .config import ReferralConfig
from .rewards import RewardRow

segno = lazy_module("segno")  # only the poster draws a QR code
CUSTOMER = [require_customer]
UNKNOWN_CODES = (RateLimit(name="1h", count=20, window=3600),)


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    """The programme in plain words: what the friend gets, what the inviter gets and when."""

    welcome: str  # the friend's welcome coupon's name ("" for none)
    welcome_terms: list[str]
    threshold: int
    window_days: int
    inviter_reward: str  # cash or coupon
    inviter_amount: int
    inviter_voucher: str
    bind_days: int


async def offer() -> Offer:
    config = await plugin_config(ReferralConfig)
    currency = current_tenant().currency
    welcome, terms, voucher = "", [], ""
    if config.invitee_coupon_template_id:
        try:
            template = await get_coupon_template(config.invitee_coupon_template_id)
            welcome, terms = template.name, coupon_terms(template, currency)
        except NotFound:
            pass  # a template deleted since: the page shows no welcome coupon rather than fail
    if config.inviter_reward == "coupon":
        try:
            voucher = (await get_coupon_template(config.inviter_coupon_template_id)).name
        except NotFound:
            pass
    return Offer(welcome=welcome, welcome_terms=terms, threshold=config.threshold, window_days=config.window_days,
                 inviter_reward=config.inviter_reward, inviter_amount=config.inviter_amount, inviter_voucher=voucher,
                 bind_days=config.bind_days)


class MyInvite(msgspec.Struct, frozen=True, kw_only=True):
    """GET /p/referral/api/me: the customer's code, link and standing."""

    code: str
    url: str  # absolute, on the franchise's host
    poster_url: str
    standing: programme.Standing
    offer: Offer


async def _customer(request: Request) -> int:
    customer_id = await signed_in_customer(request)
    assert customer_id is not None  # behind require_customer
    return customer_id


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def my_invite(request: Request, customer_id: int) -> MyInvite:
    link = await codes.code_of(customer_id)
    return MyInvite(code=link.code, url=_base(request) + link.path, poster_url=_base(request) + "/p/referral/poster.svg",
                    standing=await programme.standing(customer_id, current_tenant().currency), offer=await offer())


@get("/invite", guards=CUSTOMER, include_in_schema=False, name="referral-invite")
async def invite_page(request: Request) -> Response:
    customer_id = await _customer(request)
    mine = await my_invite(request, customer_id)
    return page(request, "referral/invite.html", mine=mine, invitees=await programme.invitees(customer_id),
                rewards=await programme.my_rewards(customer_id))


@get("/i/{code:str}", include_in_schema=False, name="referral-landing")
async def landing(request: Request, code: FromPath[str]) -> Response:
    """An invite link: the franchise, the welcome offer and a sign-up button. A person who is
    not signed in has the invite remembered (first touch: an earlier invite still in its window
    is kept); a link preview only reads the page. An unknown code (another franchise's, too) is
    404."""
    code = codes.normalise(code)
    inviter_id = await codes.owner_of(code)
    if inviter_id is None:
        # Guessing codes from one address is slowed down: a code is all a sign-up bonus asks for.
        await limit_attempts("referral.unknown_code", client_address(request), UNKNOWN_CODES)
        raise NotFound("invite")
    config = await plugin_config(ReferralConfig)
    now = clock.now()
    signed_in = await signed_in_customer(request) is not None
    response = page(request, "referral/landing.html", code=code, offer=await offer(), base_url=_base(request), signed_in=signed_in)
    existing = request.cookies.get("hearth_ref", "")
    if not signed_in and not is_bot(request.headers.get("user-agent", "")) and not codes.keeps_first_touch(existing, now, config.bind_days):
        response.cookies.append(referrer_cookie(codes.referrer_value(code, now), days=config.bind_days))
    return response


@get("/poster.svg", guards=CUSTOMER, include_in_schema=False, name="referral-poster")
async def poster(request: Request) -> Response:
    """The customer's poster: the franchise's name and colour, the offer, the QR code of their
    link and their code; an SVG the phone saves as an image."""
    customer_id = await _customer(request)
    link = await codes.code_of(customer_id)
    tenant = current_tenant()
    the_offer = await offer()
    url = _base(request) + link.path
    qr = segno.make(url, error="m")
    size = qr.symbol_size(scale=1, border=2)[0]
    cells = "".join(f'<rect x="{x}" y="{y}" width="1" height="1"/>' for y, row in enumerate(qr.matrix_iter(scale=1, border=2))
                    for x, dark in enumerate(row) if dark)
    brand = tenant.branding.primary_color
    name = escape(tenant.display_name)
    headline = escape(gettext("Your friend invites you"))
    gift = escape(the_offer.welcome or gettext("A welcome gift for new customers"))
    scan = escape(gettext("Scan to sign up · code %(code)s", code=link.code))
    tagline = escape(tenant.branding.tagline)
    body = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="750" height="1200" viewBox="0 0 750 1200" role="img" aria-label="{headline}">'
        f'<rect width="750" height="1200" fill="{brand}"/>'
        f'<rect x="40" y="300" width="670" height="860" rx="32" fill="#ffffff"/>'
        f'<text x="375" y="130" text-anchor="middle" font-size="56" font-weight="700" fill="#ffffff" font-family="sans-serif">{name}</text>'
        f'<text x="375" y="200" text-anchor="middle" font-size="30" fill="#ffffff" font-family="sans-serif">{tagline}</text>'
        f'<text x="375" y="390" text-anchor="middle" font-size="40" font-weight="700" fill="#111827" font-family="sans-serif">{headline}</text>'
        f'<text x="375" y="460" text-anchor="middle" font-size="34" fill="{brand}" font-weight="700" font-family="sans-serif">{gift}</text>'
        f'<g transform="translate(175 520) scale({400 / size})" fill="#111827">{cells}</g>'
        f'<text x="375" y="1000" text-anchor="middle" font-size="30" fill="#374151" font-family="sans-serif">{scan}</text>'
        f'<text x="375" y="1060" text-anchor="middle" font-size="24" fill="#6b7280" font-family="sans-serif">{escape(url)}</text>'
        "</svg>")
    return Response(content=body, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})


# ---- the JSON API


@get("/api/me", guards=CUSTOMER, operation_id="referralMe", tags=["Referral"], summary="Your invite code, link, level and progress")
async def api_me(request: Request) -> MyInvite:
    return await my_invite(request, await _customer(request))


@get("/api/invitees", guards=CUSTOMER, operation_id="referralInvitees", tags=["Referral"],
     summary="The friends you invited (names masked) and how far each got")
async def api_invitees(request: Request) -> list[programme.Invitee]:
    return await programme.invitees(await _customer(request))


class MyReward(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    role: str  # inviter (for a friend), invitee (your welcome coupon), level (a level's voucher)
    kind: str  # cash, coupon
    amount: int  # the red packet with its level bonus, minor units
    currency: str
    state: str  # pending, held, paid, voided, reversed
    created_at: datetime
    paid_at: datetime | None


def _mine(r: RewardRow) -> MyReward:
    return MyReward(id=r.id, role=r.role, kind=r.kind, amount=r.total, currency=r.currency, state=r.state, created_at=r.created_at,
                    paid_at=r.paid_at)


@get("/api/rewards", guards=CUSTOMER, operation_id="referralRewards", tags=["Referral"], summary="Your invite rewards")
async def api_rewards(request: Request) -> list[MyReward]:
    return [_mine(r) for r in await programme.my_rewards(await _customer(request))]


@get("/", include_in_schema=False, name="referral-home")
async def home() -> Redirect:
    return Redirect("/p/referral/invite", status_code=302)


HANDLERS = [invite_page, landing, poster, api_me, api_invitees, api_rewards, home]
