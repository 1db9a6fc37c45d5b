"""The member centre: the page /account/member and GET /api/v1/account/member, both made of the
panels of the franchise's enabled plugins (member.py). No panel, no page: 404."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from platform_core.errors import NotFound
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import get_locale
from platform_core.web.pages import page

from . import services
from .guards import BEARER_SECURITY, require_customer
from .member import MEMBER_HREF, MemberCentre, as_data, member_panels
from .sessions import Principal


async def _panels(principal: Principal):
    customer = await services.active_customer(principal)
    panels = await member_panels(current_tenant(), customer.id, get_locale())
    if not panels:
        raise NotFound("page")
    return panels


@get(MEMBER_HREF, guards=[require_customer], include_in_schema=False, name="account-member")
async def member_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    panels = await _panels(principal)
    stylesheets = list(dict.fromkeys(href for p in panels for href in p.stylesheets))
    return page(request, "accounts/member.html", panels=panels, stylesheets=stylesheets)


class MemberController(Controller):
    path = "/api/v1/account/member"
    tags = ["Account"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("", operation_id="getMemberCentre", summary="The member centre: the panels of the franchise's programmes")
    async def member_centre(self, principal: NamedDependency[Principal]) -> MemberCentre:
        """Each panel as its plugin gives it (loyalty: points, tier, check-in...): `key`, a
        translated `title`, `order`, `href` (its page, if any) and `data`. 404 when the franchise
        runs no programme that contributes to the member centre."""
        return as_data(await _panels(principal))


MEMBER_HANDLERS = [member_page, MemberController]
