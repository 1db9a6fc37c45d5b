"""Franchise console pages: sign-in with optional 2FA, the dashboard, users, roles, security.

The sign-in and security flows are the same for console users and platform operators; the
factories here build both sets of handlers from a `Portal` (platform_views.py uses them too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from litestar import Request, Response, get, post
from litestar.response import Redirect

from platform_core.errors import HearthError, NotFound
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    client_address,
    error_context,
    error_page,
    form_values,
    parse_form,
    safe_next,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import console_services as services
from . import sessions
from .console_schemas import (
    ConsoleUserCreate,
    ConsoleUserUpdate,
    PasswordChange,
    SecondFactor,
    SignIn,
)
from .guards import require_console
from .permissions import (
    PERMISSIONS,
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    ROLES,
)

# --------------------------------------------------------------------------- sign-in and security, for both portals


@dataclass(frozen=True)
class Portal:
    """A signed-in area: the franchise console or the platform console."""

    realm: services.Realm
    prefix: str  # "/console" or "/platform"
    templates: str  # template folder: "console" or "platform"
    home: str
    guard: Callable
    tenant_id: Callable[[], int | None]
    issuer: Callable[[], str]

    @property
    def kind(self) -> sessions.Kind:
        return self.realm.kind


def sign_in_handlers(portal: Portal) -> list:
    sign_in_template = f"{portal.templates}/sign_in.html"
    second_template = f"{portal.templates}/sign_in_2fa.html"
    sign_in_path, second_path = f"{portal.prefix}/sign-in", f"{portal.prefix}/sign-in/2fa"

    def check_portal(request: Request) -> None:
        # The console lives on tenant hosts only, the platform console on the platform host only.
        on_platform = bool(request.scope.get("state", {}).get("platform"))
        if on_platform != (portal.kind == "operator"):
            raise NotFound("page")

    @get(sign_in_path, include_in_schema=False, name=f"{portal.kind}-sign-in")
    async def sign_in_page(request: Request) -> Response:
        check_portal(request)
        principal = await sessions.principal_for(request)
        nxt = safe_next(request.query_params.get("next"), portal.home)
        if principal is not None and principal.kind == portal.kind:
            return Redirect(nxt if principal.mfa_verified else f"{second_path}?next={nxt}", status_code=303)
        return page(request, sign_in_template, values={"next": nxt}, errors={})

    @post(sign_in_path, include_in_schema=False, name=f"{portal.kind}-sign-in-submit")
    async def sign_in_submit(request: Request) -> Response:
        check_portal(request)
        values = form_values(await request.form(), "password")
        try:
            form: SignIn = await parse_form(request, SignIn)
            account = await services.authenticate(
                portal.realm, email=form.email, password=form.password, client=client_address(request)
            )
        except HearthError as exc:
            return error_page(request, sign_in_template, exc, values=values)
        old = await sessions.principal_for(request)
        if old is not None:
            await sessions.end_session(old)
        verified = not account.totp_enabled
        token = await sessions.create_session(
            kind=portal.kind, user_id=account.id, tenant_id=portal.tenant_id(), mfa_verified=verified
        )
        nxt = safe_next(form.next, portal.home)
        if verified:
            await services.record_sign_in(portal.realm, account.id)
        target = nxt if verified else f"{second_path}?next={nxt}"
        return sessions.set_session_cookie(Redirect(target, status_code=303), token)

    async def pending_principal(request: Request) -> sessions.Principal | None:
        principal = await sessions.principal_for(request)
        if principal is None or principal.kind != portal.kind or principal.mfa_verified:
            return None
        return principal

    @get(second_path, include_in_schema=False, name=f"{portal.kind}-sign-in-2fa")
    async def second_factor_page(request: Request) -> Response:
        check_portal(request)
        nxt = safe_next(request.query_params.get("next"), portal.home)
        if await pending_principal(request) is None:
            return Redirect(sign_in_path, status_code=303)
        return page(request, second_template, values={"next": nxt}, errors={})

    @post(second_path, include_in_schema=False, name=f"{portal.kind}-sign-in-2fa-submit")
    async def second_factor_submit(request: Request) -> Response:
        check_portal(request)
        principal = await pending_principal(request)
        if principal is None:
            return Redirect(sign_in_path, status_code=303)
        values = form_values(await request.form(), "code")
        try:
            form: SecondFactor = await parse_form(request, SecondFactor)
            account = await services.get_account(portal.realm, principal.user_id)
            if account is None or account.status != "active":
                await sessions.end_session(principal)
                return Redirect(sign_in_path, status_code=303)
            await services.verify_second_factor(portal.realm, account, form.code)
        except HearthError as exc:
            return error_page(request, second_template, exc, values=values)
        await sessions.mark_mfa_verified(principal)
        await services.record_sign_in(portal.realm, account.id)
        return Redirect(safe_next(form.next, portal.home), status_code=303)

    @post(f"{portal.prefix}/sign-out", include_in_schema=False, name=f"{portal.kind}-sign-out")
    async def sign_out(request: Request) -> Response:
        principal = await sessions.principal_for(request)
        if principal is not None and principal.kind == portal.kind:
            await sessions.end_session(principal)
        return sessions.clear_session_cookie(Redirect(sign_in_path, status_code=303))

    return [sign_in_page, sign_in_submit, second_factor_page, second_factor_submit, sign_out]


SECURITY_NOTICES = {
    "password": N_("Your password has been changed. Other devices have been signed out."),
    "disabled": N_("Two-step verification is off."),
}


def security_handlers(portal: Portal) -> list:
    base = f"{portal.prefix}/account/security"
    template = f"{portal.templates}/security.html"
    guards = [portal.guard]

    async def render(request: Request, *, status_code: int = 200, **context: Any) -> Response:
        principal = await sessions.principal_for(request)
        account = await services.get_account(portal.realm, principal.user_id)  # type: ignore[union-attr]
        assert account is not None
        notice = SECURITY_NOTICES.get(request.query_params.get("done", ""))
        context.setdefault("errors", {})
        return page(
            request, template, status_code=status_code, account=account,
            enrolment=services.pending_enrolment(account, issuer=portal.issuer()),
            codes_left=await services.recovery_codes_left(portal.realm, account.id) if account.totp_enabled else 0,
            flash=[("success", _(notice))] if notice else [], base=base, **context,
        )

    async def attempt(request: Request, action) -> Response:
        try:
            return await action()
        except HearthError as exc:
            return await render(request, status_code=exc.status_code, **error_context(exc))

    @get(base, guards=guards, include_in_schema=False, name=f"{portal.kind}-security")
    async def security_page(request: Request) -> Response:
        return await render(request)

    @post(f"{base}/totp/start", guards=guards, include_in_schema=False, name=f"{portal.kind}-totp-start")
    async def totp_start(request: Request) -> Response:
        principal = await sessions.principal_for(request)

        async def action() -> Response:
            await services.start_totp(portal.realm, principal.user_id)  # type: ignore[union-attr]
            return Redirect(base, status_code=303)

        return await attempt(request, action)

    @post(f"{base}/totp/confirm", guards=guards, include_in_schema=False, name=f"{portal.kind}-totp-confirm")
    async def totp_confirm(request: Request) -> Response:
        principal = await sessions.principal_for(request)

        async def action() -> Response:
            form: SecondFactor = await parse_form(request, SecondFactor)
            codes = await services.confirm_totp(portal.realm, principal.user_id, form.code)  # type: ignore[union-attr]
            return await render(request, recovery_codes=codes)

        return await attempt(request, action)

    @post(f"{base}/recovery-codes", guards=guards, include_in_schema=False, name=f"{portal.kind}-recovery-codes")
    async def recovery_codes(request: Request) -> Response:
        principal = await sessions.principal_for(request)
        account = await services.get_account(portal.realm, principal.user_id)  # type: ignore[union-attr]
        if account is None or not account.totp_enabled:
            return Redirect(base, status_code=303)
        codes = await services.regenerate_recovery_codes(portal.realm, account.id)
        return await render(request, recovery_codes=codes)

    @post(f"{base}/totp/disable", guards=guards, include_in_schema=False, name=f"{portal.kind}-totp-disable")
    async def totp_disable(request: Request) -> Response:
        principal = await sessions.principal_for(request)

        async def action() -> Response:
            password = str((await request.form()).get("password", ""))
            await services.disable_totp(portal.realm, principal.user_id, password)  # type: ignore[union-attr]
            return Redirect(f"{base}?done=disabled", status_code=303)

        return await attempt(request, action)

    @post(f"{base}/password", guards=guards, include_in_schema=False, name=f"{portal.kind}-password")
    async def password_change(request: Request) -> Response:
        principal = await sessions.principal_for(request)
        assert principal is not None

        async def action() -> Response:
            form: PasswordChange = await parse_form(request, PasswordChange)
            await services.change_password(portal.realm, principal.user_id, current=form.current_password, new=form.new_password)
            # A new password ends every other session (a stolen one included); this one continues anew.
            await sessions.end_all_sessions(kind=portal.kind, tenant_id=principal.tenant_id, user_id=principal.user_id)
            token = await sessions.create_session(kind=portal.kind, user_id=principal.user_id, tenant_id=principal.tenant_id)
            return sessions.set_session_cookie(Redirect(f"{base}?done=password", status_code=303), token)

        return await attempt(request, action)

    return [security_page, totp_start, totp_confirm, recovery_codes, totp_disable, password_change]


CONSOLE_PORTAL = Portal(
    realm=services.CONSOLE, prefix="/console", templates="console", home="/console/",
    guard=require_console(None),
    tenant_id=lambda: current_tenant().id,
    issuer=lambda: f"Hearth · {current_tenant().display_name}",
)


# --------------------------------------------------------------------------- console pages


USER_NOTICES = {
    "created": N_("The user has been added. Give them their email and the initial password."),
    "updated": N_("The user has been updated."),
}


async def _users_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    notice = USER_NOTICES.get(request.query_params.get("done", ""))
    context.setdefault("errors", {})
    context.setdefault("values", {"role": "manager"})
    return page(
        request, "console/users.html", status_code=status_code, users=await services.list_console_users(),
        roles=ROLES, role_labels=ROLE_LABELS, me=request.scope["state"]["console_user"],
        flash=[("success", _(notice))] if notice else [], **context,
    )


@get("/console/users", guards=[require_console("users.manage")], include_in_schema=False, name="console-users")
async def users_page(request: Request) -> Response:
    return await _users_page(request)


@post("/console/users", guards=[require_console("users.manage")], include_in_schema=False, name="console-users-create")
async def users_create(request: Request) -> Response:
    values = form_values(await request.form(), "password")
    try:
        data: ConsoleUserCreate = await parse_form(request, ConsoleUserCreate)
        await services.create_console_user(data)
    except HearthError as exc:
        return await _users_page(request, status_code=exc.status_code, values=values, create_failed=True, **error_context(exc))
    return Redirect("/console/users?done=created", status_code=303)


@post("/console/users/{user_id:int}", guards=[require_console("users.manage")], include_in_schema=False,
      name="console-users-update")
async def users_update(request: Request, user_id: PathId) -> Response:
    try:
        data: ConsoleUserUpdate = await parse_form(request, ConsoleUserUpdate)
        user = await services.update_console_user(user_id, data)
    except HearthError as exc:
        return await _users_page(request, status_code=exc.status_code, row_errors={user_id: error_context(exc)["form_error"]},
                                 **error_context(exc))
    if user.status != "active":
        await sessions.end_all_sessions(kind="console", tenant_id=current_tenant().id, user_id=user.id)
    return Redirect("/console/users?done=updated", status_code=303)


@get("/console/roles", guards=[require_console("users.manage")], include_in_schema=False, name="console-roles")
async def roles_page(request: Request) -> Response:
    return page(request, "console/roles.html", roles=ROLES, role_labels=ROLE_LABELS, role_descriptions=ROLE_DESCRIPTIONS,
                all_permissions=PERMISSIONS, role_permissions=ROLE_PERMISSIONS)


def console_handlers() -> list:
    return [
        *sign_in_handlers(CONSOLE_PORTAL), *security_handlers(CONSOLE_PORTAL),
        users_page, users_create, users_update, roles_page,
    ]
