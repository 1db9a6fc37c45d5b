"""A web process of `hearth serve` leaves pydantic unloaded (Litestar would otherwise add its
pydantic plugins, ~8 MB a process, for nothing: Hearth's boundaries are msgspec Structs), and its
API schema is still whole."""

from __future__ import annotations

import json
import subprocess
import sys

SERVE = """
import json, sys
from platform_core.app import serving_app
from platform_core.settings import load_settings
app = serving_app(load_settings({"HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "x" * 40,
                                 "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "HEARTH_DATA_DIR": sys.argv[1]}))
schema = app.openapi_schema.to_schema()
print(json.dumps({"pydantic": [m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core") and sys.modules[m]],
                  "plugins": [type(p).__name__ for p in app.plugins], "paths": len(schema["paths"]),
                  "orders": "/api/v1/orders" in schema["paths"]}))
"""


def test_a_web_process_serves_without_pydantic_and_its_api_schema_is_whole(tmp_path):
    out = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["pydantic"] == []
    assert not [name for name in seen["plugins"] if "Pydantic" in name]
    assert seen["orders"] and seen["paths"] > 50
