"""A web process of `hearth serve` leaves pydantic unloaded (Litestar would otherwise add its
pydantic plugins, ~8 MB a process, for nothing: Hearth's boundaries are msgspec Structs) and black
unimported (Piccolo's app registry names it, ~6 MB), and its API schema is still whole; the schema
is built when first asked for, not at start (~2.5 MB)."""

from __future__ import annotations

import json
import subprocess
import sys

from litestar._openapi.plugin import OpenAPIPlugin

from platform_core.app import create_app
from platform_core.testing.pytest_plugin import client_for, running_beside
from platform_core.web.openapi import PLUGIN_API

SERVE = """
import json, sys
from platform_core.app import serving_app
from platform_core.settings import load_settings
app = serving_app(load_settings({"HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "x" * 40,
                                 "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "HEARTH_DATA_DIR": sys.argv[1]}))
schema = app.openapi_schema.to_schema()
import platform_core.db.conf  # what the engine and the check for pending migrations read at start
print(json.dumps({"pydantic": [m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core") and sys.modules[m]],
                  "black": [m for m in sys.modules if m.split(".")[0] in ("black", "blib2to3")],
                  "registry": "piccolo.conf.apps" in sys.modules,
                  "plugins": [type(p).__name__ for p in app.plugins], "paths": len(schema["paths"]),
                  "orders": "/api/v1/orders" in schema["paths"]}))
"""


def test_a_web_process_serves_without_pydantic_and_its_api_schema_is_whole(tmp_path):
    out = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["pydantic"] == []
    assert seen["registry"] and seen["black"] == ["black"]  # its stand-in only
    assert not [name for name in seen["plugins"] if "Pydantic" in name]
    assert seen["orders"] and seen["paths"] > 50


async def test_the_api_document_is_built_when_first_asked_for_and_lists_the_api_only(hearth_settings, tenant_a):
    async with running_beside(create_app(hearth_settings), hearth_settings) as app:
        plugin = app.plugins.get(OpenAPIPlugin)
        assert plugin._openapi is None  # started, and nothing built yet
        async with client_for(app, f"{tenant_a.slug}.localhost") as client:
            document = (await client.get("/schema/openapi.json")).json()
        assert plugin._openapi is not None
        assert document["paths"] and all(path.startswith("/api/") or PLUGIN_API.match(path) for path in document["paths"])
        assert "Error" in document["components"]["schemas"]
