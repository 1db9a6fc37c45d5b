"""Malformed input is refused before a request reaches a handler or the database: NUL characters
in the path and the query string, invalid UTF-8 there and in form or JSON bodies, text too long
for any field, ids past 64 bits in the path, and dates far outside the years a franchise plans in.

The typed bounds (platform_core.bounds) name the field in a Struct; this is the net under them
for what no Struct sees (query strings read by hand, form fields, path segments), and for what
msgspec can't bound: dates. NUL in a form or JSON body is left to the Structs, which name the
field where the person typed it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl, unquote_to_bytes

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.params import PathParameter, QueryParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from platform_core.bounds import INT64_MAX, year_in_range
from platform_core.errors import NotFound, ValidationFailed

from .i18n import lazy_gettext as N_

# A row's id in a path: Litestar checks a path parameter's bounds only when it declares them.
PathId = Annotated[int, PathParameter(ge=1, le=INT64_MAX, description="A row's id (a positive 64-bit integer)")]
# How many rows a list answers with.
Limit = Annotated[int, QueryParameter(ge=1, le=200, description="How many, at most 200")]

# The longest value a query string or form field may carry (a page's longest text is 10,000).
MAX_FIELD = 50_000
# Litestar's own request body limit: a body is never buffered past it.
MAX_BODY = 10 * 1024 * 1024
# A date at the start of a value or JSON string: "2026-05-01", "0001-01-01T00:00:00Z".
_DATE = re.compile(r"^(\d{4,})-\d{2}-\d{2}")
_JSON_DATE = re.compile(rb'"(\d{4,})-\d{2}-\d{2}')
_FORM = b"application/x-www-form-urlencoded"
_JSON = b"json"

BAD_TEXT = N_("This value contains characters that are not allowed.")
TOO_LONG = N_("This value is too long.")
BAD_DATE = N_("Enter a date between the years 1900 and 2200.")  # bounds.YEAR_RANGE


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field or "form": message})


def _check_text(raw: bytes, field: str, *, nul: bool = False) -> None:
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(field, BAD_TEXT) from None
    if "\x00" in value and not nul:
        raise _refuse(field, BAD_TEXT)
    if len(value) > MAX_FIELD:
        raise _refuse(field, TOO_LONG)
    match = _DATE.match(value)
    if match and not year_in_range(int(match.group(1))):
        raise _refuse(field, BAD_DATE)


def check_pairs(raw: bytes, *, nul: bool = False) -> None:
    """A query string or urlencoded body: each name and value valid UTF-8, bounded, without NUL
    unless `nul` (a form leaves NUL to its Struct, so the page shows the message at the field;
    what a view reads by hand the database refuses, web/errors.py)."""
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        name_bytes, value_bytes = name.encode("latin-1"), value.encode("latin-1")
        _check_text(name_bytes, "form", nul=nul)
        _check_text(value_bytes, name_bytes.decode("utf-8"), nul=nul)


def check_json(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("body", BAD_TEXT) from None
    for match in _JSON_DATE.finditer(body):
        if not year_in_range(int(match.group(1))):
            raise _refuse("body", BAD_DATE)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value for key, value in scope.get("headers", []) if key == name), b"")


class PathBoundsMiddleware(ASGIMiddleware):
    """Before the tenant is resolved (a notify URL names its franchise in the path): a path with
    NUL or broken UTF-8 names no page."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        path = unquote_to_bytes(raw_path)
        try:
            path.decode("utf-8")
        except UnicodeDecodeError:
            raise NotFound("page") from None
        if b"\x00" in path:
            raise NotFound("page")
        await next_app(scope, receive, send)


# A payment provider's notification is answered in the provider's protocol (Alipay's "failure",
# WeChat Pay's FAIL), and its signature check refuses a broken body in those words: its body is
# the provider's to judge, not ours.
PROVIDER_NOTIFICATIONS = ("/payments/notify/", "/payments/transfer-notify/")


class InputBoundsMiddleware(ASGIMiddleware):
    """Innermost: a refusal is rendered in the request's language and franchise, and no handler
    has run, so nothing was written."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for value in (scope.get("path_params") or {}).values():
            # An id past 64 bits names nothing that can exist.
            if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise NotFound("page")
        check_pairs(scope.get("query_string", b""))
        content_type = _header(scope, b"content-type").lower()
        if (scope.get("method") in ("GET", "HEAD", "OPTIONS") or not (content_type.startswith(_FORM) or _JSON in content_type)
                or scope.get("path", "").startswith(PROVIDER_NOTIFICATIONS)):
            await next_app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        if content_type.startswith(_FORM):
            check_pairs(body, nul=True)
        else:
            check_json(body)
        await next_app(scope, _replay(messages, receive), send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            raise HTTPException(status_code=413, detail="The request is too large.")
        if not message.get("more_body"):
            break
    return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed  # type: ignore[return-value]
