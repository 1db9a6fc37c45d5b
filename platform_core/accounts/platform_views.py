"""The platform (HQ) console on the platform host: sign-in, security, and the tenants."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import HearthError
from platform_core.runtime import current_runtime
from platform_core.tenancy import services as tenancy
from platform_core.tenancy.context import acting_for
from platform_core.tenancy.schemas import Branding, TenantCreate
from platform_core.web.forms import error_context, form_values, parse_form
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import console_services as services
from .console_schemas import ConsoleUserCreate, DisplayName, Email, Password
from .console_views import Portal, security_handlers, sign_in_handlers
from .guards import require_operator

PLATFORM_PORTAL = Portal(
    realm=services.OPERATOR, prefix="/platform", templates="platform", home="/platform/tenants",
    guard=require_operator, tenant_id=lambda: None, issuer=lambda: "Hearth Platform",
)

GUARDS = [require_operator]


@get("/platform/", guards=GUARDS, include_in_schema=False, name="platform-home")
async def platform_home() -> Redirect:
    return Redirect("/platform/tenants", status_code=303)


class TenantForm(msgspec.Struct, frozen=True, kw_only=True):
    """The create-tenant form: flat fields, turned into TenantCreate."""

    slug: str
    name: str
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    host: str = ""
    primary_color: str = "#0f766e"

    def to_create(self) -> TenantCreate:
        return msgspec.convert({
            "slug": self.slug.strip().lower(), "name": self.name.strip(), "locale": self.locale,
            "timezone": self.timezone.strip(), "currency": self.currency.strip().upper(),
            "hosts": [self.host.strip().lower()] if self.host.strip() else [],
            "branding": msgspec.to_builtins(Branding(display_name=self.name.strip(), primary_color=self.primary_color)),
        }, TenantCreate)


TENANT_NOTICES = {
    "created": N_("The franchise has been created. Now create its owner below."),
    "owner": N_("The owner has been created. Give them the email and the first password; they sign in at the franchise's console."),
    "suspended": N_("The franchise is suspended: its site and console show the suspended page."),
    "resumed": N_("The franchise is active again."),
}


def _hosting(request: Request) -> dict[str, str]:
    """What links to a franchise's site need: the base domain and this server's port."""
    port = request.url.port
    return {"base_domain": current_runtime().settings.base_domain, "port_suffix": f":{port}" if port else ""}


async def _tenants_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    notice = TENANT_NOTICES.get(request.query_params.get("done", ""))
    context.setdefault("errors", {})
    context.setdefault("values", {"locale": "zh_CN", "timezone": "Asia/Shanghai", "currency": "CNY", "primary_color": "#0f766e"})
    return page(request, "platform/tenants.html", status_code=status_code, tenants=await tenancy.list_tenants(),
                created=await tenancy.created_dates(), flash=[("success", _(notice))] if notice else [],
                **_hosting(request), **context)


@get("/platform/tenants", guards=GUARDS, include_in_schema=False, name="platform-tenants")
async def tenants_page(request: Request) -> Response:
    return await _tenants_page(request)


@post("/platform/tenants", guards=GUARDS, include_in_schema=False, name="platform-tenants-create")
async def tenants_create(request: Request) -> Response:
    values = form_values(await request.form())
    try:
        form: TenantForm = await parse_form(request, TenantForm)
        try:
            data = form.to_create()
        except msgspec.ValidationError as exc:
            # TenantCreate's constraints, said per field.
            field = str(exc).rsplit("`$.", 1)[-1].split("`")[0].split(".")[0].split("[")[0] if "`$." in str(exc) else "slug"
            field = {"hosts": "host", "branding": "primary_color"}.get(field, field)
            raise HearthError("Please correct the marked fields.", fields={field: _tenant_field_message(field)}) from None
        tenant = await tenancy.create_tenant(data)
    except HearthError as exc:
        context = error_context(exc)
        context["errors"] = {("host" if k == "hosts" else k): v for k, v in context["errors"].items()}
        return await _tenants_page(request, status_code=exc.status_code, values=values, show_form=True, **context)
    return Redirect(f"/platform/tenants/{tenant.slug}?done=created", status_code=303)


def _tenant_field_message(field: str) -> str:
    return {
        "slug": N_("Use 2–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit."),
        "name": N_("This field is required."),
        "currency": N_("Use a three-letter currency code, like CNY."),
        "locale": N_("This value is not valid."),
        "primary_color": N_("Use a colour like #0f766e."),
    }.get(field, N_("This value is not valid."))


async def _tenant_page(request: Request, tenant: Any, *, status_code: int = 200, **context: Any) -> Response:
    notice = TENANT_NOTICES.get(request.query_params.get("done", ""))
    async with acting_for(tenant.id):
        owners = [u for u in await services.list_console_users() if u.role == "owner"]
    context.setdefault("errors", {})
    return page(request, "platform/tenant.html", status_code=status_code, t=tenant, owners=owners,
                flash=[("success", _(notice))] if notice and status_code == 200 else [], **_hosting(request), **context)


@get("/platform/tenants/{slug:str}", guards=GUARDS, include_in_schema=False, name="platform-tenant")
async def tenant_detail(request: Request, slug: FromPath[str]) -> Response:
    return await _tenant_page(request, await tenancy.get_tenant(slug))


class OwnerForm(msgspec.Struct, frozen=True, kw_only=True):
    email: Email
    display_name: DisplayName
    password: Password


@post("/platform/tenants/{slug:str}/owners", guards=GUARDS, include_in_schema=False, name="platform-tenant-owner")
async def tenant_owner_create(request: Request, slug: FromPath[str]) -> Response:
    """The franchise's owner, made by the operator (who tells them the email and the first
    password; the owner changes it and invites the rest of the office)."""
    tenant = await tenancy.get_tenant(slug)
    values = form_values(await request.form(), "password")
    try:
        form: OwnerForm = await parse_form(request, OwnerForm)
        async with acting_for(tenant.id):
            await services.create_console_user(ConsoleUserCreate(role="owner", **msgspec.structs.asdict(form)))
    except HearthError as exc:
        return await _tenant_page(request, tenant, status_code=exc.status_code, owner_values=values, owner_failed=True,
                                  **error_context(exc))
    return Redirect(f"/platform/tenants/{slug}?done=owner#owners", status_code=303)


@post("/platform/tenants/{slug:str}/suspend", guards=GUARDS, include_in_schema=False, name="platform-tenant-suspend")
async def tenant_suspend(request: Request, slug: FromPath[str]) -> Response:
    reason = str((await request.form()).get("reason", "")).strip()[:500]
    if not reason:
        return await _tenant_page(request, await tenancy.get_tenant(slug), status_code=400,
                                  errors={"reason": _("Say why, so the franchise can be told.")})
    await tenancy.set_status(slug, "suspended", reason)
    return Redirect(f"/platform/tenants/{slug}?done=suspended", status_code=303)


@post("/platform/tenants/{slug:str}/resume", guards=GUARDS, include_in_schema=False, name="platform-tenant-resume")
async def tenant_resume(slug: FromPath[str]) -> Redirect:
    await tenancy.set_status(slug, "active")
    return Redirect(f"/platform/tenants/{slug}?done=resumed", status_code=303)


def platform_handlers() -> list:
    return [
        *sign_in_handlers(PLATFORM_PORTAL), *security_handlers(PLATFORM_PORTAL),
        platform_home, tenants_page, tenants_create, tenant_detail, tenant_owner_create, tenant_suspend, tenant_resume,
    ]
