"""Two web processes against one: `hearth serve --workers 2` and `--workers 1` on the same
database, the same page mix (home, services list, item page, catalog API) driven by wrk, in
alternating rounds; the ratio of their req/s is issue 9's "two processes vs one" (goal ≥ 1.7×).

Both servers run for the whole benchmark (each idle while the other is measured). wrk runs one
thread; it, PostgreSQL and the servers share the machine's cores, so beside req/s the benchmark
reports the CPU each side used per request (the servers' web processes, from /proc) and how much
of the machine wrk itself took: with two cores and wrk taking a share, two processes can not
reach 2×, and the numbers say how far that explains the ratio. In the same rounds the minimal
app (anchor_app.py) is served by one uvicorn process and by two, each accepting on its own
SO_REUSEPORT socket as `hearth serve` does: its ratio is what a second process gives any app on
this machine.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://...] \\
        .venv/bin/python bench/processes.py [--quick] [--rounds 5] [--seconds 20] [--connections 32] [--write]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
import report  # noqa: E402
from served import PAGES, Server, demo_database, free_port, request, served, wrk  # noqa: E402

from platform_core.cli import reuse_port_socket  # noqa: E402
from platform_core.db.engine import app_dsn  # noqa: E402

HERE = Path(__file__).resolve().parent

GOAL = 1.7


def cpu_by_process(server: Server) -> dict[int, float]:
    return {p.pid: sum(p.cpu_times()[:2]) for p in server.processes()}


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float:
    """The busiest web process's part of the web processes' CPU over a round (1.0: one did all)."""
    used = [after[pid] - before.get(pid, 0.0) for pid in after]
    return max(used) / max(sum(used), 1e-9)


def database_cpu() -> float:
    """CPU seconds of the PostgreSQL server's processes (backends, WAL writer, ...) so far; those
    that end between two readings are missed, which only undercounts."""
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in ("postgres", "postmaster"):
            try:
                total += sum(proc.cpu_times()[:2])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
    return total


def busy_cpu() -> float:
    """CPU seconds the whole machine spent not idle so far."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass
class AnchorServer:
    """The minimal app (anchor_app.py) as N uvicorn processes, each accepting on a socket of its
    own bound with SO_REUSEPORT to one port, as `hearth serve --workers N` does."""

    port: int
    procs: list[subprocess.Popen]

    def processes(self) -> list[psutil.Process]:
        return [psutil.Process(p.pid) for p in self.procs]


@contextmanager
def anchor_served(url: str, processes: int) -> Iterator[AnchorServer]:
    port = free_port()
    procs = []
    try:
        for _ in range(processes):
            # The socket `hearth serve` gives each web process (SO_REUSEPORT, TCP_NODELAY).
            with reuse_port_socket(("127.0.0.1", port)) as sock:
                sock.listen(2048)
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "--factory", "anchor_app:create", "--app-dir", str(HERE),
                     "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"],
                    env={**os.environ, "HEARTH_ANCHOR_DSN": app_dsn(url, None)}, pass_fds=(sock.fileno(),)))
        deadline = time.monotonic() + 60
        while True:
            try:
                for path in PAGES:  # each process answers, its templates compiled
                    for _ in range(8 * processes):
                        request(port, path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield AnchorServer(port, procs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


# Interpreter work with no I/O: what two cores give two Python processes at all, apart from any
# server, socket or database.
CPU_WORK = """
import sys, time
from jinja2 import Template
page = Template("{% for i in items %}<li class='x'>{{ i.name|upper }} {{ i.v * 2 }}</li>{% endfor %}")
items = [{"name": f"n{i}", "v": i} for i in range(200)]
start = time.monotonic(); done = 0
while time.monotonic() - start < float(sys.argv[1]):
    page.render(items=items); done += 1
print(done)
"""


def interpreter_scaling(seconds: float) -> float:
    """Renders per second of two such processes at once over one alone."""
    def run(processes: int) -> int:
        started = [subprocess.Popen([sys.executable, "-c", CPU_WORK, str(seconds)], stdout=subprocess.PIPE, text=True)
                   for _ in range(processes)]
        return sum(int(p.communicate()[0]) for p in started)
    alone = both = 0
    for first in (1, 2):  # both orders, so neither always runs on a cooler or warmer machine
        counts = {n: run(n) for n in ((1, 2) if first == 1 else (2, 1))}
        alone, both = alone + counts[1], both + counts[2]
    return both / alone


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 s each")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()
    rounds, seconds = (3, 5.0) if args.quick else (args.rounds, args.seconds)
    machine = report.machine("psutil")

    results: dict[int, list] = {1: [], 2: []}
    anchor: dict[int, list[float]] = {1: [], 2: []}
    with (demo_database() as url, served(url, workers=1) as one, served(url, workers=2) as two,
          anchor_served(url, 1) as anchor_one, anchor_served(url, 2) as anchor_two):
        servers = {1: one, 2: two}
        anchors = {1: anchor_one, 2: anchor_two}
        for i in range(rounds):
            # The minimal app on the same stack, one process and two, in the same rounds: what the
            # machine gives any app from a second process.
            for workers in (1, 2) if i % 2 == 0 else (2, 1):
                anchor[workers].append(wrk(anchors[workers].port, seconds=seconds, connections=args.connections).rps)
            # Alternating which goes first, so neither always follows the other's backlog.
            for workers in (1, 2) if i % 2 == 0 else (2, 1):
                server = servers[workers]
                cpu0, wrk0, db0, busy0 = cpu_by_process(server), children_cpu(), database_cpu(), busy_cpu()
                load = wrk(server.port, seconds=seconds, connections=args.connections)
                cpu1, wrk1, db1, busy1 = cpu_by_process(server), children_cpu(), database_cpu(), busy_cpu()
                requests = max(load.rps * seconds, 1)
                app_cpu = sum(cpu1.values()) - sum(cpu0.get(pid, 0.0) for pid in cpu1)
                results[workers].append((load, app_cpu / requests * 1e6, (wrk1 - wrk0) / seconds,
                                         (db1 - db0) / requests * 1e6, (busy1 - busy0) / seconds,
                                         busiest_share(cpu0, cpu1)))

    def median(workers: int, pick) -> float:
        return statistics.median(pick(r) for r in results[workers])

    machine_ratio = interpreter_scaling(3.0)
    rps = {w: median(w, lambda r: r[0].rps) for w in (1, 2)}
    anchor_rps = {w: statistics.median(anchor[w]) for w in (1, 2)}
    anchor_ratio = anchor_rps[2] / anchor_rps[1]
    ratios = [b[0].rps / a[0].rps for a, b in zip(results[1], results[2])]
    ratio = rps[2] / rps[1]
    # What the cores allow two processes if nothing else ran: every core on the app and PostgreSQL.
    ceiling = os.cpu_count() / ((median(2, lambda r: r[1]) + median(2, lambda r: r[3])) / 1e6)
    lines = [
        "## Two processes vs one (bench/processes.py)",
        "",
        machine,
        "",
        f"`{report.command_line()}`: `hearth serve --workers 1` and `--workers 2` on one database with the demo "
        f"franchises, wrk (1 thread, {args.connections} connections) on {', '.join(f'`{p}`' for p in PAGES)} round "
        f"robin, {rounds} alternating rounds of {seconds:g} s; medians. {os.cpu_count()} cores shared by wrk, "
        "PostgreSQL and the server (and, while this ran, whatever else the machine was doing: see the load average).",
        "",
        "| server | req/s | p50 | p99 | errors | app CPU per request | PostgreSQL CPU per request | wrk's CPU (cores) | machine busy (cores) | busiest web process's share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in (1, 2):
        lines.append(
            f"| `--workers {w}` | {rps[w]:.0f} | {median(w, lambda r: r[0].p50_ms):.1f} ms | {median(w, lambda r: r[0].p99_ms):.1f} ms | "
            f"{sum(r[0].errors for r in results[w])} | {median(w, lambda r: r[1]):.0f} µs | {median(w, lambda r: r[3]):.0f} µs | "
            f"{median(w, lambda r: r[2]):.2f} | {median(w, lambda r: r[4]):.2f} of {os.cpu_count()} | {median(w, lambda r: r[5]):.0%} |"
        )
    lines += [
        "",
        f"**Two processes ÷ one: {ratio:.2f}×** (per round {min(ratios):.2f}–{max(ratios):.2f}; goal ≥ {GOAL}×: "
        f"{'met' if ratio >= GOAL else 'not met'}). With all {os.cpu_count()} cores on the app and PostgreSQL and "
        f"nothing else running, their CPU per request would let two processes serve {ceiling:.0f} req/s at most, "
        f"{ceiling / rps[1]:.2f}× one process's measured rate.",
        "",
        f"The minimal app (`bench/anchor_app.py`, the same Litestar, uvicorn, asyncpg and Jinja), served the same "
        f"way in the same rounds (one uvicorn process, then two, each on a socket of its own with SO_REUSEPORT): "
        f"{anchor_rps[1]:.0f} req/s with one process, {anchor_rps[2]:.0f} with two, **{anchor_ratio:.2f}×**. "
        f"Hearth's two ÷ one over the minimal app's: {ratio / anchor_ratio:.2f}. And with no server, socket or "
        f"database at all, two Python processes rendering a Jinja template in a loop did {machine_ratio:.2f}× the "
        "renders of one alone (a machine whose two cores are whole gives about 2×).",
        "",
        "A request costs the app's CPU and PostgreSQL's (its backend, for the request's statements); when the "
        "machine is busy on every core with one web process, a second has no core to run on, and the ratio "
        "measures the machine, not the processes. Linux also shares the CPU between sessions before processes "
        "(autogroup scheduling, on where /proc/sys/kernel/sched_autogroup_enabled is 1): while other sessions keep "
        "the cores busy, this benchmark's session gets about the same share with two processes as with one. "
        "PostgreSQL's CPU counts every postgres process on the machine, other sessions' databases included, so on "
        "a shared machine it and the bound above from it are only as good as the machine is quiet. \"Machine busy\" is every process's CPU (the servers, "
        "PostgreSQL, redis, wrk, the rest) over the round. The busiest web process's share says how the "
        "connections spread: wrk opens its keep-alive connections at once; each web process accepts on a "
        "socket of its own bound with SO_REUSEPORT and the kernel hashes the connections over them, so each "
        "gets about half (with one socket shared by both, the first process to wake accepted 94-100% of them).",
    ]
    text = "\n".join(lines)
    print(text)
    report.summary("two processes vs one on two cores (pages)", round(ratio, 2), f"≥ {GOAL}", ratio >= GOAL)
    report.summary("two processes vs one on two cores: the minimal app, same rounds", round(anchor_ratio, 2), "", None)
    report.summary("two processes vs one on two cores: interpreter work alone (no I/O)", round(machine_ratio, 2), "", None)
    if args.write:
        report.replace_section("processes.py", text)


if __name__ == "__main__":
    main()
