"""The OpenAPI document describes the JSON API as it answers: only /api/ routes, a plugin's under /p/{plugin}/api/ (pages are HTML
for browsers, the payment notify URLs are the providers'), and the house error body for 400,
with 401 where a token is required and 404 where the path names a thing."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

API_PREFIX = "/api/"
# A plugin's JSON API is mounted under its own segment: /p/{plugin}/api/...
PLUGIN_API = re.compile(r"^/p/[a-z0-9_]+/api/")

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message", "fields"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, description="validation_failed, unauthorized, not_found, conflict, ..."),
                "message": Schema(type=OpenAPIType.STRING, description="For people, in the request's language"),
                "fields": Schema(
                    type=OpenAPIType.OBJECT, additional_properties=Schema(type=OpenAPIType.STRING),
                    description="The fields at fault, each with its message",
                ),
            },
        ),
    },
)


def _error(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={"application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))},
    )


def describe_api(openapi: OpenAPI) -> None:
    """Prune and complete the generated document in place."""
    openapi.paths = {path: item for path, item in (openapi.paths or {}).items() if path.startswith(API_PREFIX) or PLUGIN_API.match(path)}
    openapi.components.schemas = {**(openapi.components.schemas or {}), "Error": ERROR_SCHEMA}
    for path, item in openapi.paths.items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method)
            if operation is None:
                continue
            responses = operation.responses = dict(operation.responses or {})
            responses["400"] = _error("Bad input: the fields at fault, each with its message")
            if operation.security:
                responses["401"] = _error("No valid token: sign in first")
            if "{" in path:
                responses["404"] = _error("Nothing of that id or number for this customer and franchise")


class _DescribedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, pruning and completing the document where it builds it."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        describe_api(openapi)
        return openapi


def document_api(app: Litestar) -> None:
    """Every document the app builds is the described one. Litestar builds it on first use (the
    /schema pages), not at start: about 2.5 MB that a process which never serves it never holds.
    Litestar makes its plugin itself, so it is recast here (a subclass with no state of its own)."""
    app.plugins.get(OpenAPIPlugin).__class__ = _DescribedOpenAPIPlugin
