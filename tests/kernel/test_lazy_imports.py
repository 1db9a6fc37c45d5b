"""Memory per process (docs/scaling.md): a web process does not load the heavy libraries that only
some paths need; they load where first used (`platform_core.lazy.lazy_module`)."""

from __future__ import annotations

import json
import subprocess
import sys

from platform_core.lazy import defer_import, lazy_module

# Loaded by batch dispatch, the first Stripe or WeChat Pay payment, the AMap plugin's first call.
LOADED_WHEN_USED = ("numpy", "scipy", "stripe", "wechatpy", "wechatpayv3", "httpx", "requests", "alipay", "Cryptodome", "segno")

BUILD_APP = """
import json, sys
from platform_core.app import create_app
from platform_core.settings import load_settings
create_app(load_settings({"HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "HEARTH_DATA_DIR": sys.argv[1]}))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_app_loads_none_of_the_libraries_only_some_paths_need(tmp_path):
    out = subprocess.run([sys.executable, "-c", BUILD_APP, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "platform_core" in loaded and "plugins" in loaded  # the app and its plugins were built
    assert sorted(loaded & set(LOADED_WHEN_USED)) == []


def test_a_lazy_module_is_the_module_once_used():
    sys.modules.pop("colorsys", None)
    colorsys = lazy_module("colorsys")
    assert "colorsys" not in sys.modules
    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert "colorsys" in sys.modules


def test_a_deferred_import_is_the_module_once_used():
    sys.modules.pop("colorsys", None)
    defer_import("colorsys")
    import colorsys

    assert "rgb_to_hsv" not in vars(colorsys)  # the stand-in: nothing imported yet
    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert sys.modules["colorsys"].rgb_to_hsv is vars(sys.modules["colorsys"])["rgb_to_hsv"]  # the real one now
