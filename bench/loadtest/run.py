"""The load test: a realistic mix of customers over 20 franchises against `hearth serve`, driven by
locust (headless, bounded), reporting p50/p99 and errors per step.

Everything runs on this machine and is torn down afterwards: a fresh database with 20 franchises
made from tenants/sunshine.toml (each with more cleaners, so bookings find room for a long run),
the payment sandbox (`hearth sandbox`, Alipay turned on for every franchise against it), the app
(`hearth serve` in a subprocess, in-process job worker, dev mode so that sign-in codes are
readable on /dev/outbox), and locust with bench/loadtest/locustfile.py. Every request goes to
127.0.0.1; each simulated customer carries its own X-Forwarded-For (a loopback address), as it
would behind the load balancer, so the per-client sign-in limits count per customer.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://...] \\
        .venv/bin/python bench/loadtest/run.py [--users 40] [--spawn-rate 4] [--run-time 180] \\
        [--franchises 20] [--quick] [--write] [--json stats.json]

`--quick` runs 12 users for 30 s. `--json` writes the per-step numbers (the CI smoke reads them:
tests/bench/test_bench_loadtest.py). Exits non-zero when the app, the sandbox or locust could
not start; failed requests are reported, not fatal (the smoke test asserts there are none).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE.parent))

import report  # noqa: E402

from platform_core.db.engine import with_database  # noqa: E402

TEMPLATE = REPO / "tenants" / "sunshine.toml"
EXTRA_CLEANERS = 8  # per franchise, free every day 08:00-20:00, on top of the template's workers
# The steps in the order a customer meets them; the report and the smoke test follow this list.
STEPS = [
    "browse: home", "browse: services", "browse: item", "browse: worker", "api: catalog items", "api: catalog item",
    "sign in: send code", "sign in: read code", "sign in: token", "sign in: add address",
    "quote: availability", "quote: price", "book: place order",
    "pay: start", "pay: sandbox gateway", "pay: sandbox approve", "pay: status", "pay: until confirmed",
    "follow: order", "follow: my orders",
]


def admin_dsn() -> str:
    return (os.environ.get("HEARTH_BENCH_DATABASE_URL") or os.environ.get("HEARTH_TEST_DATABASE_URL")
            or "postgresql://postgres@127.0.0.1:5432/postgres")


def franchise_file(folder: Path, n: int) -> Path:
    """The template franchise under another slug and name, with `EXTRA_CLEANERS` more workers."""
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace('slug = "sunshine"', f'slug = "load{n:02d}"', 1).replace('name = "阳光家政"', f'name = "阳光家政 {n:02d}"', 1)
    for w in range(EXTRA_CLEANERS):
        text += (f'\n[[staff]]\nname = "保洁员 {w:02d}"\nphone = "+86135{n:04d}{w:04d}"\nskills = "cleaning, deep_cleaning"\n'
                 f'home = "31.23, 121.47"\nradius_km = "40"\nhours = "mon-sun 08:00-20:00"\n')
    path = folder / f"load{n:02d}.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def prepare(settings, franchises: int, sandbox_port: int, folder: Path) -> list[dict]:
    """Migrate, make the franchises, point their Alipay at the sandbox; the plan locust reads."""
    from platform_core.cli import configure_demo_payments
    from platform_core.db.migrate import migrate
    from platform_core.demo.seeding import apply_tenant_file
    from platform_core.runtime import command_scope

    await migrate(settings.db.url)
    slugs = [f"load{n:02d}" for n in range(franchises)]
    async with command_scope(settings):
        for n in range(franchises):
            await apply_tenant_file(franchise_file(folder, n), settings)
        await configure_demo_payments(settings, sandbox_port, tenants={s: ("payments_alipay",) for s in slugs}, register_webhooks=False)
    # What the customers browse: read as the owner, across franchises, once.
    conn = await asyncpg.connect(settings.db.url)
    try:
        rows = await conn.fetch(
            "select t.slug, array(select i.slug from core_service_item i where i.tenant_id = t.id order by i.id) as items, "
            "array(select s.staff_id from core_staff_profile s where s.tenant_id = t.id order by s.staff_id) as workers "
            "from core_tenant t where t.slug = any($1::text[]) order by t.slug", slugs)
    finally:
        await conn.close()
    return [{"slug": r["slug"], "host": f"{r['slug']}.{settings.base_domain}", "items": list(r["items"]), "workers": list(r["workers"]),
             "book_item": "daily-cleaning"} for r in rows]


def wait_until_up(url: str, proc: subprocess.Popen, what: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback only
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start; its log:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def read_stats(prefix: Path) -> dict[str, dict]:
    """locust's `--csv` stats per named request: count, failures, p50/p99 (ms), rate."""
    steps: dict[str, dict] = {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                continue
            steps[row["Name"]] = {
                "count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0), "p99_ms": float(row["99%"] or 0), "per_s": float(row["Requests/s"] or 0),
            }
    errors: list[str] = []
    with open(f"{prefix}_failures.csv", newline="") as f:
        for row in csv.DictReader(f):
            errors.append(f"{row['Occurrences']} × {row['Name']}: {row['Error'][:200]}")
    # Exceptions escaping a task: a bug of the load test itself, or an answer it could not read.
    with open(f"{prefix}_exceptions.csv", newline="") as f:
        exceptions = [f"{row['Count']} × {row['Message'][:200]}" for row in csv.DictReader(f)]
    return {"steps": steps, "errors": errors, "exceptions": exceptions}


def markdown(args, stats: dict, machine: str, franchises: int, seconds: float) -> str:
    steps = stats["steps"]
    lines = [
        "## Load test: customers over many franchises (bench/loadtest/run.py)", "",
        f"`{report.command_line()}` — {machine}.", "",
        f"{args.users} simulated customers (spawned {args.spawn_rate}/s) for {seconds:.0f} s over {franchises} franchises made from "
        "tenants/sunshine.toml, against `hearth serve` (one process, in-process job worker) on a fresh database, with "
        "the payment sandbox and locust on the same machine. Each customer browses (home, services, a service, a worker, "
        "the catalog API), and now and then signs in with a phone code (read from the dev outbox), asks for a day's slots "
        "and a price, places an order, pays it through the sandbox's Alipay (start, gateway, approve, then the payment's "
        "status until the notification has credited it) and follows its orders. Think time 0.5–2 s between steps. "
        "No anchor: this is the whole system under a mixed load, not a ratio; read it for errors and for which step "
        "is slow. Locust, the sandbox and PostgreSQL share the machine's cores with the app, and so does whatever else "
        "ran meanwhile (the load average above): the times say as much about the machine as about Hearth.", "",
        "| step | requests | failures | p50 (ms) | p99 (ms) | per s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in STEPS + sorted(set(steps) - set(STEPS)):
        s = steps.get(name)
        if s is None:
            lines.append(f"| {name} | 0 | - | - | - | - |")
            continue
        lines.append(f"| {name} | {s['count']} | {s['failures']} | {s['p50_ms']:.0f} | {s['p99_ms']:.0f} | {s['per_s']:.1f} |")
    total = sum(s["count"] for s in steps.values())
    failed = sum(s["failures"] for s in steps.values())
    lines += ["", f"- {total} requests, {failed} failed."]
    lines += [f"- {e}" for e in stats["errors"][:10]]
    lines += [f"- exception in the load test: {e}" for e in stats["exceptions"][:5]]
    lines.append("- `pay: until confirmed` is from the approval on the sandbox's page to the payment read as succeeded: the "
                 "sandbox's signed notification, its verification and the ledger posting, as a customer waits for them.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--run-time", type=int, default=180, help="seconds of load after the setup")
    parser.add_argument("--franchises", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="12 users for 30 s")
    parser.add_argument("--write", action="store_true", help="rewrite this section of bench/RESULTS.md")
    parser.add_argument("--json", type=Path, help="write the per-step numbers here")
    args = parser.parse_args()
    if args.quick:
        args.users, args.spawn_rate, args.run_time = 12, 4, 30

    from platform_core.sandbox.testing import free_port
    from platform_core.settings import load_settings

    machine = report.machine("locust")
    admin = admin_dsn()
    name = f"hearth_load_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="hearth-load-"))
    app_port, sandbox_port = free_port(), free_port()
    # The caller's own Hearth settings (a test run's, a developer's) must not reach this app.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARTH_") and k not in ("DATABASE_URL", "REDIS_URL")},
        "HEARTH_ENV": "dev", "HEARTH_SECRET_KEY": "load-secret-" + "x" * 32, "HEARTH_DATA_DIR": str(work / "data"),
        "DATABASE_URL": with_database(admin, name), "REDIS_URL": os.environ.get("REDIS_URL", ""), "HEARTH_KEY_PREFIX": name,
        "HEARTH_HOST": "127.0.0.1", "HEARTH_PORT": str(app_port), "HEARTH_NOTIFY_BASE_URL": f"http://127.0.0.1:{app_port}",
        "HEARTH_SANDBOX_PORT": str(sandbox_port),
    }
    settings = load_settings({k: v for k, v in env.items() if k.startswith("HEARTH_") or k in ("DATABASE_URL", "REDIS_URL")})
    running: list[subprocess.Popen] = []

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'create database "{name}"'))
    try:
        sandbox_log = work / "sandbox.log"
        with sandbox_log.open("wb") as log:
            running.append(subprocess.Popen([sys.executable, "-m", "platform_core.cli", "sandbox", "--no-stripe", "--port", str(sandbox_port)],
                                            env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_until_up(f"http://127.0.0.1:{sandbox_port}/", running[-1], "the payment sandbox", sandbox_log)
        print(f"preparing {args.franchises} franchises ...", flush=True)
        plan = asyncio.run(prepare(settings, args.franchises, sandbox_port, work))
        (work / "plan.json").write_text(json.dumps({"franchises": plan}))

        server_log = work / "server.log"
        with server_log.open("wb") as log:
            running.append(subprocess.Popen([sys.executable, "-m", "platform_core.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_until_up(f"http://127.0.0.1:{app_port}/health/ready", running[-1], "the app", server_log)

        print(f"load: {args.users} users, {args.spawn_rate}/s, {args.run_time} s ...", flush=True)
        prefix = work / "locust"
        started = time.monotonic()
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.run_time}s", "--stop-timeout", "20",
             "--host", f"http://127.0.0.1:{app_port}", "--csv", str(prefix), "--loglevel", "WARNING"],
            env={**env, "HEARTH_LOAD_PLAN": str(work / "plan.json"), "HEARTH_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}"},
            capture_output=True, text=True, timeout=args.run_time + 300,
        )
        seconds = time.monotonic() - started
        if not Path(f"{prefix}_stats.csv").exists():
            raise SystemExit(f"locust did not run (exit {locust.returncode}):\n{locust.stderr[-3000:]}")
        stats = read_stats(prefix)
        # Tracebacks in the server's log are errors whatever the status code said.
        stats["server_errors"] = len(re.findall(r"Traceback \(most recent call last\)", server_log.read_text(errors="replace")))
        section = markdown(args, stats, machine, len(plan), seconds)
        print(section)
        print(f"server tracebacks: {stats['server_errors']}")
        if locust.returncode not in (0, 1):  # 1: some requests failed, reported above
            print(locust.stderr[-2000:], file=sys.stderr)
        failed = sum(s["failures"] for s in stats["steps"].values())
        report.summary(f"load test ({args.users} customers, {len(plan)} franchises): failed requests", failed, "0", failed == 0,
                       unit=f"of {sum(s['count'] for s in stats['steps'].values())}")
        if args.json:
            args.json.write_text(json.dumps(stats, indent=1))
        if args.write:
            report.replace_section("loadtest/run.py", section)
    finally:
        for proc in reversed(running):
            stop(proc)
        asyncio.run(admin_sql(f'drop database if exists "{name}" with (force)'))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
