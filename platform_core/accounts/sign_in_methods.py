"""The customer's sign-in methods (/account/sign-in-methods): the phone number and each linked
login provider, with Unlink (never the last way in) and Link for the franchise's providers that
are not linked yet (the provider flow in "link" mode, sign_in_views.py)."""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from platform_core.errors import HearthError, Unauthorized
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import LoginProvider
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.forms import done_notice, error_context, redirect_after_post
from platform_core.web.i18n import lazy_gettext
from platform_core.web.pages import page

from . import identities, services
from .guards import SIGN_IN_PATHS, require_customer
from .sessions import Principal, principal_for

METHODS_HOME = "/account/sign-in-methods"
NOTICES = {
    "linked": lazy_gettext("Linked. You can now sign in with it too."),
    "unlinked": lazy_gettext("Unlinked. It can no longer be used to sign in to your account."),
}


def login_providers(tenant: TenantContext) -> dict[str, LoginProvider]:
    """The login providers of the tenant's enabled plugins, by name."""
    return {p.name: p for _, p in collect_now(current_runtime().hooks(tenant).provide_login_providers)}


def link_path(provider: str, *, silent: bool = False, app_id: str = "", next_path: str = "") -> str | None:
    """Where a signed-in customer links `provider` to their account (and, with `next_path`, comes
    back), or None when the franchise does not offer it. `silent`: without a page to approve
    where the provider can (WeChat's snsapi_base, for a payment that needs the payer's openid);
    `app_id`: the identity is wanted in that app of the provider."""
    if provider not in login_providers(current_tenant()):
        return None
    query = "mode=link" + ("&silent=1" if silent else "") + (f"&app_id={quote(app_id, safe='')}" if app_id else "")
    query += f"&next={quote(next_path, safe='/')}" if next_path else ""
    return f"{SIGN_IN_PATHS['customer']}/{provider}?{query}"


async def _context(principal: Principal) -> dict:
    customer = await services.active_customer(principal)
    offered = login_providers(current_tenant())
    linked = await identities.sign_in_methods(customer.id)
    linked_names = {m.provider for m in linked}
    return {
        "customer": customer,
        "methods": [(m, offered.get(m.provider)) for m in linked],
        "can_link": [p for p in offered.values() if p.name not in linked_names],
        # Never the last way in: without a phone, one provider stays.
        "can_unlink": bool(customer.phone) or len(linked) > 1,
        "tz": ZoneInfo(current_tenant().timezone),
        "errors": {},
    }


@get(METHODS_HOME, guards=[require_customer], include_in_schema=False, name="account-sign-in-methods")
async def methods_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    return page(request, "accounts/sign_in_methods.html", flash=done_notice(request, NOTICES), **await _context(principal))


async def methods_error(request: Request, exc: HearthError) -> Response:
    """The page again with a refusal of linking or unlinking at its top."""
    principal = await principal_for(request)
    if principal is None or principal.kind != "customer":
        raise Unauthorized(sign_in_path=SIGN_IN_PATHS["customer"])
    return page(request, "accounts/sign_in_methods.html", status_code=exc.status_code, flash=[],
                **{**await _context(principal), **error_context(exc)})


@post(f"{METHODS_HOME}/{{provider:str}}/unlink", guards=[require_customer], include_in_schema=False, name="account-sign-in-methods-unlink")
async def unlink(request: Request, principal: NamedDependency[Principal], provider: FromPath[str]) -> Response:
    customer = await services.active_customer(principal)
    try:
        await identities.unlink_provider(customer.id, provider[:40])
    except HearthError as exc:
        return await methods_error(request, exc)
    return redirect_after_post(request, f"{METHODS_HOME}?done=unlinked")


HANDLERS = [methods_page, unlink]
