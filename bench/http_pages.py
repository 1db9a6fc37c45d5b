"""Pages and the catalog API over HTTP: Hearth against the least the same stack can do.

Measured side by side in one run, on one freshly migrated database seeded with the demo
franchises (tenants/*.toml; the pages are 阳光家政's, 10 services in 5 categories):
- Hearth: one uvicorn process serving `serving_app(settings)` as `hearth serve` does (job worker
  off, redis when REDIS_URL is set);
- the anchor (bench/anchor_app.py): a minimal Litestar app on the same Litestar, uvicorn, asyncpg,
  Jinja2 and msgspec, as the same app role under the same RLS, one transaction and one query per
  request, a small template or msgspec JSON.
Each is driven by wrk (one thread, `--connections` connections) in alternating rounds, page by
page, the order flipped every round; the table gives the median of the rounds and the ratio
Hearth/anchor of req/s and of p99.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://...] \\
        .venv/bin/python bench/http_pages.py [--quick] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import anchor_app  # noqa: E402
import report  # noqa: E402
from profile_page import HOST, seed_demo, statements_of  # noqa: E402
from scratch import scratch_app  # noqa: E402
from served import wrk  # noqa: E402

from platform_core.db.engine import app_dsn  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = {
    "home": "/",
    "services list": "/services",
    "item page": "/services/deep-cleaning",
    "catalog JSON API": "/api/v1/catalog/items",
}
GOALS = {"home": 0.6, "services list": 0.6, "item page": 0.6, "catalog JSON API": 0.85}


def serve_hearth(url: str, port: int) -> None:
    """The child process: Hearth as `hearth serve` runs it, on `url`'s database."""
    import uvicorn

    from platform_core.app import serving_app
    from platform_core.settings import load_settings

    settings = load_settings({
        "HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "bench-secret-" + "x" * 32, "HEARTH_DATA_DIR": f"/tmp/hearth_pages_{port}",
        "DATABASE_URL": url, "REDIS_URL": os.environ.get("REDIS_URL", ""), "HEARTH_WORKER": "false",
        "HEARTH_KEY_PREFIX": f"hearth_pages_{port}",
    })
    logging.disable(logging.INFO)  # request lines to a terminal would measure the terminal
    uvicorn.run(serving_app(settings), host="127.0.0.1", port=port, log_level="warning", proxy_headers=True)


def _start(kind: str, url: str, port: int) -> subprocess.Popen:
    python = sys.executable
    if kind == "hearth":
        command = [python, str(Path(__file__).resolve()), "--serve-hearth", url, "--port", str(port)]
        env = dict(os.environ)
    else:
        command = [python, "-m", "uvicorn", "--factory", "anchor_app:create", "--app-dir", str(HERE),
                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
        env = {**os.environ, "HEARTH_ANCHOR_DSN": app_dsn(url, None)}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _ready(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    codes: list[int] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST}) as client:
        while time.monotonic() < deadline:
            try:
                codes = [(await client.get(path)).status_code for path in PAGES.values()]
                if codes == [200] * len(PAGES):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"the server on port {port} did not answer every page in time (last: {codes})")


async def cpu_per_request(apps: dict[str, object], rounds: int, requests: int) -> dict[tuple[str, str], float]:
    """CPU milliseconds per request of each app, in this process through httpx's ASGI transport
    (the client's share included on both sides), alternating apps page by page: what a CPU-bound
    process can serve, independent of what else the machine runs."""
    found: dict[tuple[str, str], list[float]] = {}
    clients = {kind: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{HOST}") for kind, app in apps.items()}
    try:
        for round_no in range(rounds):
            for name, path in PAGES.items():
                for kind in (list(apps) if round_no % 2 == 0 else list(apps)[::-1]):
                    client = clients[kind]
                    for _ in range(10):
                        (await client.get(path)).raise_for_status()
                    started = time.process_time()
                    for _ in range(requests):
                        await client.get(path)
                    found.setdefault((name, kind), []).append((time.process_time() - started) * 1000 / requests)
    finally:
        for client in clients.values():
            await client.aclose()
    return {key: statistics.median(values) for key, values in found.items()}


def wrk_page(port: int, path: str, seconds: int, connections: int) -> tuple[float, float, float]:
    """req/s, p50 and p99 (ms) of one wrk run on one page; an error answer fails the benchmark."""
    run = wrk(port, seconds=seconds, connections=connections, pages=(path,))
    if run.errors:
        raise RuntimeError(f"{run.errors} errors answering {path}")
    return run.rps, run.p50_ms, run.p99_ms


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s per page and server (about a minute)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    parser.add_argument("--serve-hearth", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    if args.quick:
        args.rounds, args.seconds = 2, 3
    machine = report.machine("babel", "piccolo")
    logging.disable(logging.WARNING)
    async with scratch_app(redis=True) as (app, url):
        await seed_demo(app)
        # What does not depend on the machine's load: SQL statements per request, in process.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{HOST}") as client:
            counts = {name: len(await statements_of(client, path)) for name, path in PAGES.items()}
        os.environ["HEARTH_ANCHOR_DSN"] = app_dsn(url, None)
        anchor = anchor_app.create()
        async with anchor.lifespan():
            cpu = await cpu_per_request({"hearth": app, "anchor": anchor}, 3 if args.quick else 5, 100 if args.quick else 300)
        ports = {"hearth": 18431, "anchor": 18432}
        servers = {kind: _start(kind, url, port) for kind, port in ports.items()}
        try:
            for port in ports.values():
                await _ready(port)
            results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
            for round_no in range(args.rounds):
                order = ["hearth", "anchor"] if round_no % 2 == 0 else ["anchor", "hearth"]
                for name, path in PAGES.items():
                    for kind in order:
                        wrk_page(ports[kind], path, 1, args.connections)  # warm this page up
                        results.setdefault((name, kind), []).append(wrk_page(ports[kind], path, args.seconds, args.connections))
                print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(10)
    rows = []
    summaries = []
    for name, path in PAGES.items():
        h = [statistics.median(x) for x in zip(*results[(name, "hearth")])]
        a = [statistics.median(x) for x in zip(*results[(name, "anchor")])]
        ratio, p99_ratio = h[0] / a[0], h[2] / a[2]
        summaries.append((f"{name}: req/s vs the minimal app", round(ratio, 2), f"≥ {GOALS[name]}", ratio >= GOALS[name], ""))
        if name != "catalog JSON API":
            summaries.append((f"{name}: p99 vs the minimal app's", round(p99_ratio, 2), "≤ 2", p99_ratio <= 2, ""))
        summaries.append((f"{name}: SQL statements per request", counts[name], "", None, "statements"))
        met = "yes" if ratio >= GOALS[name] and (name == "catalog JSON API" or p99_ratio <= 2) else "no"
        cpu_h, cpu_a = cpu[(name, "hearth")], cpu[(name, "anchor")]
        rows.append(f"| {name} (`{path}`) | {counts[name]} | {cpu_h:.2f} / {cpu_a:.2f} (**{cpu_a / cpu_h:.2f}**) | {h[0]:,.0f} | {h[1]:.1f} / {h[2]:.1f} | {a[0]:,.0f} | {a[1]:.1f} / {a[2]:.1f} "
                    f"| **{ratio:.2f}** | {p99_ratio:.2f} | ≥ {GOALS[name]} | {met} |")
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    mode = "--quick" if args.quick else f"--rounds {args.rounds} --seconds {args.seconds}"
    markdown = f"""## Pages and the catalog API over HTTP (bench/http_pages.py)

`{report.command_line()}` ({mode}, {args.connections} connections) — {machine}.

Hearth (one uvicorn process, as `hearth serve`, job worker off, redis on) against the anchor
(`bench/anchor_app.py`: the same stack, one transaction with `set_config` and one query per
request, a small Jinja template or msgspec JSON), same database, same app role and RLS, the demo
franchise 阳光家政. wrk, one thread; rounds alternate Hearth and the anchor page by page; medians
of {args.rounds} rounds of {args.seconds} s. The anchor takes 4 statements per request (`BEGIN`,
`set_config`, its query, `COMMIT`); Hearth's are counted in process (`bench/profile_page.py`). The CPU column does not depend on
the machine's load: both apps in this process, the same httpx ASGI client, medians of alternating
rounds; its ratio (anchor's CPU / Hearth's) is the req/s ratio two CPU-bound processes would
reach on a quiet machine. Goals (issue 9): pages ≥ 0.6 of the anchor's req/s with
p99 ≤ 2× the anchor's, the JSON API ≥ 0.85. Load average at the end: {load_after} (2 cores: above 2,
other work shared the CPUs with both servers and wrk, which moves the ratios; re-run on a quiet machine).

| page | Hearth statements | CPU ms per request, Hearth / anchor (ratio) | Hearth req/s | Hearth p50 / p99 ms | anchor req/s | anchor p50 / p99 ms | req/s ratio | p99 ratio | goal | met |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
""" + "\n".join(rows) + "\n"
    print(markdown)
    for row in summaries:
        report.summary(*row)
    if args.write:
        report.replace_section("http_pages.py", markdown)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve_hearth:
        serve_hearth(arguments.serve_hearth, arguments.port)
    else:
        asyncio.run(main(arguments))
