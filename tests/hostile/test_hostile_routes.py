"""Every route of the app, pages and API, GET and POST, signed in as whoever it serves, fed the
input an attacker (or a broken client) sends: NUL characters, ids past 64 bits, 1e308, years 1
and 9999, JSON nested 1,000 deep, invalid UTF-8 and 100 KB strings. None may answer a 5xx."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import msgspec
import pytest
from litestar.routes import HTTPRoute

from platform_core.testing.factories import (
    CSRF,
    console_client,
    make_customer,
    make_worker,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for

pytestmark = pytest.mark.slow

BEYOND_64_BITS = 2**63
# Hostile values, each sent in every field a route reads.
HOSTILE: dict[str, Any] = {
    "nul": "a\x00b",
    "int": BEYOND_64_BITS,
    "int-text": str(BEYOND_64_BITS * 10),
    "huge-float": 1e308,
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31T23:59:59+00:00",
    "long": "x" * 100_000,
    "list": [BEYOND_64_BITS, "\x00"],
}
# Query and form fields the views read by name (harvested from request.query_params / form
# lookups), sent to every route whether it declares them or not.
KNOWN_FIELDS = (
    "account action active addon_ids address address_id amount answer body category code date day "
    "description display_name done email enabled end from kind lat lng month name next note notes "
    "order page parent_id password phone preferred_times provider q quantity reason reply "
    "requirements rating skill skills slot_start staff_id start state status summary title to item_id"
).split()
SKIPPED = ("sign-out", "/schema", "/static/")


@dataclass
class Endpoint:
    method: str
    path: str
    path_params: dict[str, type]
    query: list[str]
    body_fields: list[str]


def endpoints(app) -> list[Endpoint]:
    found: list[Endpoint] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or any(part in route.path for part in SKIPPED):
            continue
        path_params = {p.name: p.type for p in route.path_parameters.values()}
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                params = handler.parsed_fn_signature.parameters
                data = params.get("data")
                fields = _struct_fields(data.annotation) if data else []
                query = [n for n, p in params.items() if n not in path_params and n not in ("data", "request", "principal", "channels", "state", "scope", "headers", "cookies")]
                found.append(Endpoint(method, route.path, path_params, query, fields))
    return found


def _struct_fields(annotation: Any) -> list[str]:
    try:
        return [f.encode_name for f in msgspec.structs.fields(annotation)]
    except TypeError:
        return []


def _path(endpoint: Endpoint, text: str = "x", number: int = 1) -> str:
    path = endpoint.path
    for name, kind in endpoint.path_params.items():
        fill = str(number) if kind is int else text
        for converter in ("int", "str", "path"):
            path = path.replace(f"{{{name}:{converter}}}", quote(fill, safe=""))
    return path


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, list) else str(value)


JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def requests_for(endpoint: Endpoint) -> list[dict[str, Any]]:
    """Each hostile request for one endpoint: the path's own parameters hostile (ids past 64
    bits, NUL, invalid UTF-8), then an ordinary path with every field it reads hostile."""
    method = endpoint.method
    out: list[dict[str, Any]] = []
    if endpoint.path_params:
        out.append({"method": method, "url": _path(endpoint, number=BEYOND_64_BITS), "kind": "path-int"})
        out.append({"method": method, "url": _path(endpoint, "a\x00b"), "kind": "path-nul"})
        out.append({"method": method, "url": _path(endpoint, "x").replace("/x", "/%ff%fe", 1), "kind": "path-utf8"})
    path = _path(endpoint)
    names = sorted(set(endpoint.query) | set(KNOWN_FIELDS))
    fields = endpoint.body_fields or names
    for kind, value in HOSTILE.items():
        if method == "GET":
            # httpx refuses URLs past 64 KB; a server sees longer text in bodies.
            query = {name: _text(value)[:20_000] for name in (names[:3] if kind == "long" else names)}
            out.append({"method": method, "url": f"{path}?{urlencode(query)}", "kind": kind})
            continue
        body = {name: value for name in fields}
        out.append({"method": method, "url": path, "kind": f"json-{kind}", "content": json.dumps(body).encode(), "headers": JSON})
        form = {name: _text(value) for name in (fields[:5] if kind == "long" else fields)}
        out.append({"method": method, "url": path, "kind": f"form-{kind}", "content": urlencode({"csrf_token": CSRF, **form}).encode(), "headers": FORM})
    if method == "GET":
        out.append({"method": method, "url": path + "?q=%ff%fe&page=%ff&skills=%00", "kind": "query-utf8"})
    else:
        out.append({"method": method, "url": path, "kind": "deep-array", "content": b"[" * 1000 + b"]" * 1000, "headers": JSON})
        out.append({"method": method, "url": path, "kind": "deep-object", "content": b'{"a":' * 1000 + b"1" + b"}" * 1000, "headers": JSON})
        out.append({"method": method, "url": path, "kind": "json-utf8", "content": b'{"name": "\xff\xfe"}', "headers": JSON})
        out.append({"method": method, "url": path, "kind": "form-utf8", "content": b"csrf_token=" + CSRF.encode() + b"&name=%ff%fe&email=%ff", "headers": FORM})
    return out


async def _walk(client: httpx.AsyncClient, endpoint: Endpoint, failures: list[str]) -> None:
    for request in requests_for(endpoint):
        headers = {"x-csrf-token": CSRF, **request.get("headers", {})}
        response = await client.request(request["method"], request["url"], content=request.get("content"), headers=headers)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {request['method']} {endpoint.path} [{request['kind']}]")


def _who(path: str) -> str:
    if path.startswith("/platform"):
        return "platform"
    if path.startswith("/console") or "/console/" in path:
        return "console"
    if path.startswith(("/staff", "/api/v1/staff")):
        return "staff"
    return "customer"


@pytest.fixture
async def clients(app, hearth_settings, make_tenant):
    """Two franchises; the first one's customer, worker and owner signed in, and the platform."""
    tenant = await make_tenant(prefix="hostile")
    await make_tenant(prefix="other")
    customer = await make_customer(tenant)
    worker = await make_worker(tenant)
    host = f"{tenant.slug}.localhost"
    made = {
        "customer": await signed_in(app, tenant, "customer", customer),
        "staff": await signed_in(app, tenant, "staff", worker),
        "console": await console_client(client_for(app, host), tenant, "owner"),
        "platform": client_for(app, hearth_settings.platform_host),
        "anonymous": client_for(app, host),
    }
    for client in made.values():
        client.cookies.set("hearth_csrf", CSRF)
    yield made
    for client in made.values():
        await client.aclose()


async def test_no_route_answers_hostile_input_with_a_server_error(app, clients):
    failures: list[str] = []
    for endpoint in endpoints(app):
        await _walk(clients[_who(endpoint.path)], endpoint, failures)
        if "sign-in" in endpoint.path or "/auth/" in endpoint.path:
            await _walk(clients["anonymous"], endpoint, failures)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:1000])
