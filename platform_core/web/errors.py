"""HearthError → HTTP: JSON with field messages under /api, the same message on a page elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect

from platform_core.errors import HearthError, Unauthorized
from platform_core.tenancy.middleware import honours_tenant_header

from .decode_errors import field_of, message_for
from .i18n import gettext
from .i18n import lazy_gettext as N_
from .pages import page

log = logging.getLogger("hearth.web")


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/schema")) or "/api/" in path:
        return True
    return "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", "")


def _translated(error: HearthError) -> tuple[str, dict[str, str]]:
    message = gettext(error.message, **error.params) if error.params else gettext(error.message)
    return message, {name: gettext(text) for name, text in error.fields.items()}


def error_response(request: Request, status: int, code: str, message: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
    if honours_tenant_header(request.url.path):
        # Also when the tenant itself was not found (raised before the middleware's own `send`).
        headers = {**(headers or {}), "Vary": "X-Tenant"}
    if wants_json(request):
        body = {"error": {"code": code, "message": message, "fields": fields}}
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    template = {404: "errors/404.html", 403: "errors/403.html"}.get(status, "errors/error.html")
    if code == "tenant_suspended":
        template = "errors/suspended.html"
    response = page(request, template, status_code=status, status=status, code=code, message=message, fields=fields)
    if headers:
        response.headers.update(headers)
    return response  # type: ignore[return-value]


def hearth_error_handler(request: Request, exc: HearthError) -> Response:
    if isinstance(exc, Unauthorized) and exc.sign_in_path and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        joint = "&" if "?" in exc.sign_in_path else "?"  # a path may carry its own query (a provider's link mode)
        return Redirect(f"{exc.sign_in_path}{joint}next={quote(target)}", status_code=303)  # type: ignore[return-value]
    confirm_path = getattr(exc, "confirm_path", None)
    if confirm_path and not wants_json(request):
        # A page that needs one more proof first (a step-up): where it is given, then back here,
        # or (after a form post) back to the page the form was on.
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            referer = urlsplit(request.headers.get("referer", ""))
            back = referer.path if referer.netloc == request.url.netloc and referer.path else "/"
        return Redirect(f"{confirm_path}&next={quote(back)}", status_code=303)  # type: ignore[return-value]
    message, fields = _translated(exc)
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    return error_response(request, exc.status_code, exc.code, message, fields, headers)


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    """msgspec/Litestar body validation → the same field-level shape as our own errors."""
    fields: dict[str, str] = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            said = str(item.get("message", ""))
            # A missing field is reported on the body as a whole ("data"): name the field instead.
            key = field_of(said) or str(item.get("key") or "body")
            fields[key] = gettext(message_for(said))
    return error_response(request, 400, "validation_failed", gettext("Please correct the marked fields."), fields)


def not_found_handler(request: Request, exc: NotFoundException) -> Response:
    return error_response(request, 404, "not_found", gettext("We could not find that."), {})


# Litestar's own answers carry English details; these say them in the visitor's language.
_HTTP_MESSAGES = {
    405: N_("This page does not take that kind of request."),
    413: N_("That is too much to send at once."),
}


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    return error_response(request, exc.status_code, "http_error", gettext(message), {})


def bad_data_handler(request: Request, exc: Exception) -> Response:
    """The net under the typed bounds: a value the database or Python's arithmetic can't hold
    (a number out of range, text with NUL or broken UTF-8, a date past the calendar, JSON nested
    past the decoder's depth) is the client's error, never ours."""
    log.info("bad data on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(request, 400, "validation_failed", gettext("Please correct the marked fields."), {"body": gettext("This value is not valid.")})


def conversion_error_handler(request: Request, exc: msgspec.ValidationError) -> Response:
    """Client values a view converted to a Struct by hand (query filters): the bound that failed
    names its field."""
    fields = {field_of(str(exc)) or "body": gettext(message_for(str(exc)))}
    return error_response(request, 400, "validation_failed", gettext("Please correct the marked fields."), fields)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal_error", gettext("Something went wrong on our side. Please try again."), {})


EXCEPTION_HANDLERS = {
    HearthError: hearth_error_handler,
    ValidationException: validation_error_handler,
    NotFoundException: not_found_handler,
    HTTPException: http_error_handler,
    msgspec.ValidationError: conversion_error_handler,
    asyncpg.DataError: bad_data_handler,
    OverflowError: bad_data_handler,
    RecursionError: bad_data_handler,
    UnicodeDecodeError: bad_data_handler,
    Exception: internal_error_handler,
}
