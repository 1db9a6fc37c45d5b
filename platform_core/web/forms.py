"""What every page that takes a form needs: the posted fields, a Struct from them or the field
that is wrong, the errors for the template, where to go next, and a notice after a redirect."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import msgspec
from babel.numbers import get_currency_precision
from litestar import Request, Response
from litestar.response import Redirect

from platform_core.bounds import is_digits
from platform_core.errors import HearthError, ValidationFailed

from .csrf import CSRF_FIELD
from .decode_errors import field_of, message_for
from .i18n import gettext as _
from .i18n import lazy_gettext as N_
from .pages import page


async def form_data(request: Request) -> dict[str, str]:
    """The posted fields as trimmed text, without the CSRF token."""
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != CSRF_FIELD}


def form_values(request_form: Any, *omit: str) -> dict[str, str]:
    """The posted fields as given (to fill a form again), without the CSRF token and `omit`."""
    return {k: v for k, v in request_form.items() if k not in (CSRF_FIELD, *omit)}


def _field_message(field: str, value: object, error: str = "") -> str:
    if value in (None, ""):
        return N_("This field is required.")
    if isinstance(value, str) and "\x00" in value:
        return N_("This value contains characters that are not allowed.")
    if field == "email" and "length <=" not in error:
        return N_("Enter a valid email address.")
    # The bounded types (platform_core.bounds) say why: too long, too large, not one of the choices.
    return message_for(error)


async def parse_form(request: Request, struct_type: type[msgspec.Struct]) -> Any:
    """The posted form as `struct_type`, or ValidationFailed naming the field that is wrong."""
    form = await request.form()
    return as_struct({key: value for key, value in form.items() if key != CSRF_FIELD}, struct_type)


def as_struct(data: dict[str, Any], struct_type: type[msgspec.Struct]) -> Any:
    """Fields a view gathered from a form as `struct_type`, or ValidationFailed naming the field
    that is wrong."""
    try:
        return msgspec.convert(data, struct_type, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = field_of(text) or "form"
        raise ValidationFailed({field: _field_message(field, data.get(field), text)}) from None


def optional_int(value: Any) -> int | None:
    """A query or form value as an int, None when blank or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def error_context(exc: HearthError) -> dict[str, Any]:
    """The template's `form_error` and per-field `errors`, translated."""
    message = _(exc.message, **exc.params) if exc.params else _(exc.message)
    return {"form_error": message, "errors": {name: _(text) for name, text in exc.fields.items()}}


def error_page(request: Request, template: str, exc: HearthError, **context: Any) -> Response:
    """The form's page again with the errors in place, under the error's status."""
    response = page(request, template, status_code=exc.status_code, **error_context(exc), **context)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def safe_next(value: str | None, default: str) -> str:
    """Only a path on this site: never an open redirect to another host (`//evil.example`,
    `/\\evil.example`)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def redirect_after_post(request: Request, target: str) -> Response:
    """After a successful form: a 303 for browsers, a client redirect for htmx (which would
    otherwise swap the next page into the form)."""
    if request.headers.get("hx-request"):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def done_notice(request: Request, notices: Mapping[str, str]) -> list[tuple[str, str]]:
    """The success notice named by `?done=` after a redirect, translated, as the layouts' flash."""
    notice = notices.get(request.query_params.get("done", ""))
    return [("success", _(notice))] if notice else []


def client_address(connection: Any) -> str:
    """The address limits count per (see accounts.ratelimit about proxies)."""
    return connection.client.host if connection.client else "unknown"


def move_row(rows: list[Any], op: str, index: str) -> bool:
    """An editor's row button (a list of blocks, add-ons or fields kept in the form until saved):
    "up", "down" or "remove" the row at `index`. False when `index` names no row."""
    if not is_digits(index) or int(index) >= len(rows):
        return False
    at = int(index)
    if op == "remove":
        rows.pop(at)
    else:
        to = at - 1 if op == "up" else at + 1
        if 0 <= to < len(rows):
            rows[at], rows[to] = rows[to], rows[at]
    return True


def parse_money(text: str, currency: str) -> int:
    """"49.90" in the currency's major unit -> minor units (4990); ValueError when it is not one."""
    digits = get_currency_precision(currency)
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(text) from None
    # NaN, sNaN and infinities are no amount; nor is an exponent past any sum of money ("1e999999"
    # would overflow the context, or cost a million-digit integer).
    if not amount.is_finite() or amount.adjusted() > 18:
        raise ValueError(text)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(text)
    return int(minor)


def format_money_input(amount: int, currency: str) -> str:
    digits = get_currency_precision(currency)
    return f"{Decimal(amount) / (10 ** digits):.{digits}f}"
