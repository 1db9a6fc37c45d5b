"""Customer pages (/account/...): the profile, sessions (the address book is address_views.py);
the staff app's sign-out (its home, today's visits, is tracking's). Signing in is in sign_in_views.py."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import (
    done_notice,
    error_context,
    form_data,
)
from platform_core.web.i18n import lazy_gettext
from platform_core.web.pages import page

from . import legal, second_factor, services
from .guards import SIGN_IN_PATHS, require_customer
from .schemas import (
    LEGAL_TITLES,
    TIME_SLOTS,
    Customer,
    CustomerUpdate,
    ServicePreferences,
)
from .sessions import (
    Principal,
    clear_session_cookie,
    create_session,
    end_all_sessions,
    end_session,
    principal_for,
    set_session_cookie,
)

ACCOUNT_HOME = "/account"
STAFF_HOME = "/staff/"

NOTICES = {
    "profile": lazy_gettext("Your profile has been saved."),
    "everywhere": lazy_gettext("You have been signed out on all other devices."),
    "2fa-off": lazy_gettext("Two-step verification is off."),
    "devices": lazy_gettext("Every remembered device will ask for a code again."),
    "phone": lazy_gettext("Your phone number has been changed."),
}


def _error(request: Request, template: str, exc: HearthError, **context: Any) -> Response:
    response = page(request, template, status_code=exc.status_code, **error_context(exc), **context)
    if getattr(exc, "retry_after", None) is not None:
        response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
    return response


def _birthday(text: str) -> date | None:
    """The profile form's date (blank clears it); anything else is the field's error."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"birthday": lazy_gettext("Enter a date in the past.")}) from None


# --- the customer's account --------------------------------------------------------------------


class AccountController(Controller):
    path = ACCOUNT_HOME
    guards = [require_customer]
    include_in_schema = False

    @get("", name="account")
    async def profile(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        values = {"display_name": customer.display_name, "email": customer.email, **_preference_values(customer.preferences),
                  "marketing_messages": customer.marketing_messages, "marketing_sms": customer.marketing_sms,
                  "birthday": customer.birthday.isoformat() if customer.birthday else ""}
        return page(request, "accounts/profile.html", customer=customer, values=values, errors={}, time_slots=TIME_SLOTS,
                    flash=done_notice(request, NOTICES))

    @post("", name="account-save")
    async def save_profile(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        form = await request.form()
        values = await form_data(request)
        chosen = [slot for slot in form.getall("preferred_times", []) if slot in TIME_SLOTS]
        values["preferred_times"] = chosen  # type: ignore[assignment]
        try:
            prefs = ServicePreferences(
                preferred_times=chosen, pets=values.get("pets", ""), notes=values.get("notes", ""),  # type: ignore[arg-type]
                language=values.get("language", "") if values.get("language", "") in ("zh_CN", "en") else "",  # type: ignore[arg-type]
            )
            # Unticked boxes are not posted: absent means off.
            update = CustomerUpdate(display_name=values.get("display_name", ""), email=values.get("email", ""), preferences=prefs,
                                    marketing_messages=values.get("marketing_messages") == "1", marketing_sms=values.get("marketing_sms") == "1",
                                    birthday=_birthday(values.get("birthday", "")))
            await services.update_customer(customer.id, update)
        except HearthError as exc:
            return _error(request, "accounts/profile.html", exc, customer=customer, values=values, time_slots=TIME_SLOTS)
        return Redirect(f"{ACCOUNT_HOME}?done=profile", status_code=303)

    @get("/security", name="account-security")
    async def security_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        return await render_security(request, await services.active_customer(principal))

    @post("/sign-out-everywhere", name="account-sign-out-everywhere")
    async def sign_out_everywhere(self, principal: NamedDependency[Principal]) -> Response:
        """Ends every session and app token of this customer, then starts a new one for this
        browser, so only this device stays signed in."""
        await end_all_sessions(kind="customer", tenant_id=principal.tenant_id, user_id=principal.user_id)
        token = await create_session(kind="customer", user_id=principal.user_id, tenant_id=principal.tenant_id)
        return set_session_cookie(Redirect(f"{ACCOUNT_HOME}/security?done=everywhere", status_code=303), token)


async def render_security(request: Request, customer: Customer, *, status_code: int = 200, **context: Any) -> Response:
    """The security page (sessions, two-step verification, remembered devices, terms accepted),
    with `context` from a form that posted to it (errors, the recovery codes shown once)."""
    context.setdefault("errors", {})
    return page(request, "accounts/security.html", status_code=status_code, customer=customer,
                flash=done_notice(request, NOTICES), agreements=await legal.accepted_versions(customer.id),
                legal_titles=LEGAL_TITLES, tz=ZoneInfo(current_tenant().timezone),
                two_step=await second_factor.state(customer.id), realname_path=second_factor.REALNAME_PATH,
                enrolment=await second_factor.enrolment(customer.id, account=customer.phone or customer.display_name),
                **context)


def _preference_values(prefs: ServicePreferences) -> dict[str, Any]:
    return {"preferred_times": list(prefs.preferred_times), "pets": prefs.pets, "notes": prefs.notes, "language": prefs.language}


@post(f"{ACCOUNT_HOME}/sign-out", include_in_schema=False, name="account-sign-out")
async def sign_out(request: Request) -> Response:
    principal = await principal_for(request)
    if principal is not None and principal.kind == "customer":
        await end_session(principal)
    return clear_session_cookie(Redirect("/", status_code=303))


# --- the staff app -----------------------------------------------------------------------------




@post("/staff/sign-out", include_in_schema=False, name="staff-sign-out")
async def staff_sign_out(request: Request) -> Response:
    principal = await principal_for(request)
    if principal is not None and principal.kind == "staff":
        await end_session(principal)
    return clear_session_cookie(Redirect(SIGN_IN_PATHS["staff"], status_code=303))


CUSTOMER_HANDLERS = [AccountController, sign_out]
# The staff app's home (/staff/, today's visits) is tracking's: it lists orders.
STAFF_HANDLERS = [staff_sign_out]
