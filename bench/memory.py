"""Memory of one app process: RSS and USS of `hearth serve` after it has served the page mix
(home, services list, item page, catalog API) for a while, against issue 9's goal of 120 MB, and
what the imports cost.

In one run, on one freshly migrated database with the demo franchises:
- `hearth serve` (one process, the job worker in it, as an operator starts it by default) and one
  web process of `hearth serve --workers 2` (no job worker in it), each read idle and after wrk
  drove the mix for `--seconds`;
- the anchor: a bare interpreter that imported what any such server needs (litestar, uvicorn,
  asyncpg, jinja2, piccolo), the floor nothing in Hearth can go under;
- where the memory goes: what each package `create_app` loads adds to RSS, and
  `python -X importtime`'s slowest top-level imports.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/memory.py [--quick] [--seconds 60] [--write]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402
from served import demo_database, served, wrk  # noqa: E402

GOAL_MB = 120
MB = 2**20

FLOOR = """
import json, psutil
import asyncpg, jinja2, litestar, piccolo.engine.postgres, uvicorn
m = psutil.Process().memory_full_info()
print(json.dumps({"rss": m.rss, "uss": m.uss}))
"""

# What each top-level package that `create_app` loads adds to RSS: its modules imported one
# package after another on top of the anchor's imports, libraries with the most modules first and
# Hearth's own last (each is charged what it adds beyond those before it). create_app runs on settings naming a database it never connects to (the
# pool starts in the lifespan), only to list what it imports.
IMPORTS = """
import importlib, json, sys, psutil
import asyncpg, jinja2, litestar, piccolo.engine.postgres, uvicorn
before = set(sys.modules)
from platform_core.app import serving_app
from platform_core.settings import load_settings
serving_app(load_settings({"HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "HEARTH_DATA_DIR": sys.argv[1]}))
modules = {}
for name in sorted(set(sys.modules) - before):
    top = name.split(".")[0]
    # Not what serving_app refuses (None) or defers (a stand-in without a spec): never loaded here.
    if getattr(sys.modules[name], "__spec__", None) is None:
        continue
    if top not in sys.stdlib_module_names and not top.startswith("_"):
        modules.setdefault(top, []).append(name)
# Hearth's own packages last, so each is charged for itself, not for the libraries it pulls in.
order = sorted(modules, key=lambda t: (t in ("platform_core", "plugins"), -len(modules[t])))
print(json.dumps([(top, modules[top]) for top in order]))
"""
CHARGE = """
import importlib, json, sys, psutil
import asyncpg, jinja2, litestar, piccolo.engine.postgres, uvicorn
process, cost = psutil.Process(), {}
for top, names in json.loads(sys.argv[1]):
    before = process.memory_info().rss
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    cost[top] = process.memory_info().rss - before
print(json.dumps(cost))
"""


def memory_of(process: psutil.Process) -> tuple[float, float]:
    info = process.memory_full_info()
    return info.rss / MB, info.uss / MB


def floor() -> tuple[float, float]:
    out = json.loads(subprocess.run([sys.executable, "-c", FLOOR], capture_output=True, text=True, check=True).stdout)
    return out["rss"] / MB, out["uss"] / MB


def import_costs(top: int) -> list[tuple[str, float]]:
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        out = subprocess.run([sys.executable, "-c", IMPORTS, data_dir], capture_output=True, text=True, check=True).stdout
    packages = out.strip().splitlines()[-1]
    out = subprocess.run([sys.executable, "-c", CHARGE, packages], capture_output=True, text=True, check=True).stdout
    cost = json.loads(out.strip().splitlines()[-1])
    return sorted(((k, v / MB) for k, v in cost.items()), key=lambda kv: -kv[1])[:top]


def slowest_imports(top: int) -> list[tuple[str, float]]:
    """Top-level imports of `platform_core.app` and the plugins, by cumulative import time."""
    code = "from platform_core.pluginsys.manager import build_plugin_manager; import platform_core.app; build_plugin_manager()"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) <= 3:  # the first two levels: what Hearth itself imports
            rows.append((m.group(3).strip(), int(m.group(1)) / 1000))
    best: dict[str, float] = {}
    for name, ms in rows:
        best[name] = max(ms, best.get(name, 0))
    return sorted(best.items(), key=lambda kv: -kv[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 s of load per server")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()
    seconds = 10 if args.quick else args.seconds
    machine = report.machine("psutil")

    rows = []
    with demo_database() as url:
        for workers, label in ((1, "`hearth serve` (jobs in process)"), (2, "one web process of `hearth serve --workers 2`")):
            with served(url, workers=workers) as server:
                process = server.processes()[0]
                idle = memory_of(process)
                load = wrk(server.port, seconds=seconds)
                after = memory_of(process)
                rows.append((label, idle, after, load))
    bare = floor()
    costs = import_costs(12)
    slow = slowest_imports(10)

    lines = [
        "## Memory per app process (bench/memory.py)",
        "",
        machine,
        "",
        f"`{report.command_line()}`: RSS and USS (memory only this process holds) of a web process idle and "
        f"after wrk drove the page mix ({', '.join(('home', 'services', 'item', 'catalog API'))}, 16 connections) "
        f"for {seconds:g} s; goal ≤ {GOAL_MB} MB RSS after load. The anchor is a bare Python that imported "
        "litestar, uvicorn, asyncpg, jinja2 and piccolo, measured in the same run.",
        "",
        "| process | RSS idle | RSS after load | USS after load | after load ÷ anchor | req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, (rss0, _), (rss1, uss1), load in rows:
        lines.append(f"| {label} | {rss0:.0f} MB | {rss1:.0f} MB | {uss1:.0f} MB | {rss1 / bare[0]:.2f} | {load.rps:.0f} | {load.errors} |")
    lines.append(f"| anchor: bare imports | {bare[0]:.0f} MB | | {bare[1]:.0f} MB | 1.00 | | |")
    worst = max(r[2][0] for r in rows)
    lines += [
        "",
        f"Goal ≤ {GOAL_MB} MB after load: **{'met' if worst <= GOAL_MB else 'not met'}** (largest {worst:.0f} MB).",
        "",
        "What the packages `create_app` loads add to RSS on top of the anchor's imports (each charged what it "
        "adds beyond those imported before it):",
        "",
        " · ".join(f"{name} {mb:.1f} MB" for name, mb in costs),
        "",
        "Slowest imports (`python -X importtime`, cumulative, app and plugins):",
        "",
        " · ".join(f"{name} {ms:.0f} ms" for name, ms in slow),
    ]
    text = "\n".join(lines)
    print(text)
    report.summary("memory per app process after load (RSS, the largest)", round(worst), f"≤ {GOAL_MB}", worst <= GOAL_MB, "MB")
    if args.write:
        report.replace_section("memory.py", text)


if __name__ == "__main__":
    main()
