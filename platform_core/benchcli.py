"""`hearth bench`: every benchmark of bench/ one after another, each rewriting its own section of
bench/RESULTS.md, then the summary table of the goals at the top of that file.

The benchmarks live in a source checkout (bench/ beside platform_core/), not in an installed
package: they need the repository's tenants, and their results are committed with the code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import click

BENCH = Path(__file__).resolve().parent.parent / "bench"
# The one list of benchmarks `hearth bench` runs, in this order. Each takes `--quick` (a brief
# run) and `--write` (rewrite its own section of RESULTS.md), and prints its goals as summary
# lines (bench/README.md); a new benchmark is added here.
BENCHMARKS = (
    "http_pages.py",
    "order_placement.py",
    "payment_notifications.py",
    "ledger_posting.py",
    "promotions_quote.py",
    "segments.py",
    "processes.py",
    "memory.py",
    "dispatch_batch.py",
    "dispatch_batch_db.py",
    "loyalty_points.py",
    "loadtest/run.py",
)
# The same PostgreSQL and redis as the tests' defaults (docs/operations.md "Tests").
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/postgres"
TIMEOUT = 30 * 60  # one benchmark's longest run, in its longer mode


def _report() -> ModuleType:
    """bench/report.py, the one place that knows RESULTS.md's layout and the summary line."""
    spec = importlib.util.spec_from_file_location("hearth_bench_report", BENCH / "report.py")
    if spec is None or spec.loader is None or not (BENCH / "report.py").exists():
        raise click.ClickException(f"no benchmarks at {BENCH}: `hearth bench` runs in a source checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HEARTH_BENCH_DATABASE_URL", env.get("HEARTH_TEST_DATABASE_URL") or DEFAULT_DATABASE)
    return env


def run_one(script: str, args: list[str], env: dict[str, str], prefix: str) -> tuple[int | None, list[dict], str]:
    """Run one benchmark, its output passed through as it comes; (exit code, its summary rows,
    its last output line). The exit code is None when it ran past TIMEOUT."""
    # Relative to the checkout, so the command line a benchmark records is the one to type.
    proc = subprocess.Popen([sys.executable, str((BENCH / script).relative_to(BENCH.parent)), *args], cwd=BENCH.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    # A benchmark that hangs (printing nothing) is stopped all the same.
    watchdog = threading.Timer(TIMEOUT, proc.kill)
    watchdog.start()
    rows: list[dict] = []
    last = ""
    for line in proc.stdout:
        click.echo(f"  {line}", nl=False)
        if line.startswith(prefix):
            try:
                rows.append(json.loads(line[len(prefix):]))
            except json.JSONDecodeError:
                click.echo(f"  (a summary line that is not JSON, left out: {line.strip()})")
        elif line.strip():
            last = line.strip()
    code = proc.wait()
    timed_out = not watchdog.is_alive()
    watchdog.cancel()
    return (None if timed_out else code), rows, last


def summary_markdown(machine: str, command: str, outcomes: list[tuple[str, str, list[dict]]]) -> str:
    """The summary section: one row per goal, then what did not run and why."""
    lines = [
        "## Summary (hearth bench)", "",
        f"`{command}` — {machine}.", "",
        "Each row comes from its benchmark's run in this pass (details in its section below), measured "
        "side by side with its anchor in that run; a ratio is Hearth over its anchor.", "",
        "| what | measured | goal | met | benchmark |",
        "|---|---:|---|---|---|",
    ]
    problems = []
    for script, outcome, rows in outcomes:
        for row in rows:
            value = row.get("value")
            shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
            met = {True: "yes", False: "**no**", None: "-"}.get(row.get("met"), "-")
            lines.append(f"| {row.get('what', '?')} | {shown}{' ' + row['unit'] if row.get('unit') else ''} | {row.get('goal') or '-'} "
                         f"| {met} | bench/{script} |")
        if outcome != "ok":
            problems.append(f"- bench/{script}: {outcome}")
        elif not rows:
            problems.append(f"- bench/{script}: ran, printed no summary line")
    if problems:
        lines += ["", *problems]
    return "\n".join(lines)


@click.command()
@click.option("--full", is_flag=True, help="each benchmark's longer mode instead of --quick (tens of minutes)")
@click.option("--only", multiple=True, metavar="SCRIPT",
              help="run only this benchmark (e.g. order_placement.py), repeatable; the summary table is left as it is")
@click.option("--no-write", is_flag=True, help="print the results, leave bench/RESULTS.md as it is")
def bench(full: bool, only: tuple[str, ...], no_write: bool) -> None:
    """Run every benchmark in bench/ briefly and rewrite bench/RESULTS.md (each benchmark's section,
    then the summary of the goals at the top). HEARTH_BENCH_DATABASE_URL (default: the tests'
    HEARTH_TEST_DATABASE_URL, or the local PostgreSQL) is the server they make their scratch
    databases on; REDIS_URL, when set, is used by those that measure with redis."""
    report = _report()
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        raise click.BadParameter(f"not a benchmark: {', '.join(sorted(unknown))} (known: {', '.join(BENCHMARKS)})", param_hint="--only")
    env = _environment()
    os.environ["HEARTH_BENCH_DATABASE_URL"] = env["HEARTH_BENCH_DATABASE_URL"]  # the machine line's PostgreSQL version
    machine = report.machine()
    args = ([] if full else ["--quick"]) + ([] if no_write else ["--write"])
    outcomes: list[tuple[str, str, list[dict]]] = []
    for script in only or BENCHMARKS:
        if not (BENCH / script).exists():
            click.echo(f"bench/{script}: not on this branch, skipped")
            outcomes.append((script, "not on this branch", []))
            continue
        click.echo(f"bench/{script} {' '.join(args)}")
        started = time.monotonic()
        code, rows, last = run_one(script, args, env, report.SUMMARY_PREFIX)
        took = time.monotonic() - started
        if code == 0:
            outcome = "ok"
        elif code is None:
            outcome = f"stopped after {TIMEOUT // 60} minutes"
        else:
            outcome = f"failed (exit {code}): {last[:200]}"
        click.echo(f"bench/{script}: {outcome if outcome != 'ok' else 'done'} in {took:.0f} s")
        outcomes.append((script, outcome, rows))
    command = "hearth bench" + (" --full" if full else "") + "".join(f" --only {s}" for s in only)
    text = summary_markdown(machine, command, outcomes)
    click.echo("\n" + text)
    # A pass over some benchmarks only would drop the others' rows from the summary.
    if not no_write and not only:
        report.replace_summary(text)
    if not no_write:
        click.echo(f"\nwritten: {report.RESULTS}")
    if any(outcome not in ("ok", "not on this branch") for _, outcome, _ in outcomes):
        raise SystemExit(1)
