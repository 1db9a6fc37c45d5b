"""Shared by the benchmarks: the machine line every section starts with, and rewriting one
benchmark's section of bench/RESULTS.md in place.

Each benchmark owns one `## ` section whose heading ends in `(bench/<its file>.py)`; writing
replaces that section (heading to the next `## `) and leaves the others as they are, so
`hearth bench` can run them one after another and each keeps its newest run only.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# What `hearth bench` collects from each benchmark's output into the summary table (bench/README.md).
SUMMARY_PREFIX = "BENCH-SUMMARY "
SUMMARY_HEADING = "## Summary (hearth bench)"


def versions(*packages: str) -> str:
    """`Python 3.11.7, litestar 2.25.0, ...` for the packages that are installed."""
    found = [f"Python {platform.python_version()}"]
    for name in packages:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def postgres_version(dsn: str | None = None) -> str | None:
    dsn = dsn or os.environ.get("HEARTH_BENCH_DATABASE_URL")
    if not dsn:
        return None
    try:
        out = subprocess.run(["psql", dsn, "-Atc", "show server_version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return f"PostgreSQL {out.stdout.split()[0]}" if out.returncode == 0 and out.stdout.strip() else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(*packages: str) -> str:
    """One line: when, on what, with which versions, and how loaded the machine was."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    parts = [
        datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        f"{os.cpu_count()} × {cpu_model()}",
        f"load average {load} at the start",
        versions("litestar", "uvicorn", "asyncpg", "jinja2", "msgspec", *packages),
    ]
    pg = postgres_version()
    if pg:
        parts.append(pg)
    return " · ".join(parts)


def command_line() -> str:
    return " ".join([".venv/bin/python", *[a if " " not in a else repr(a) for a in sys.argv]])


def replace_section(script: str, markdown: str, path: Path = RESULTS) -> None:
    """Put `markdown` (starting with its `## ... (bench/<script>)` heading) in place of the section
    for `script`, or append it."""
    marker = f"(bench/{script})"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    body = markdown.strip() + "\n"
    if not body.startswith("## ") or marker not in body.splitlines()[0]:
        raise ValueError(f"a section must start with a '## ... {marker}' heading")
    sections = re.split(r"(?m)^(?=## )", text)
    for i, section in enumerate(sections):
        if section.startswith("## ") and marker in section.splitlines()[0]:
            sections[i] = body + "\n"
            break
    else:
        sections[-1] = sections[-1].rstrip("\n") + "\n\n"
        sections.append(body)
    path.write_text("".join(sections).rstrip("\n") + "\n")


def summary(what: str, value: float, goal: str, met: bool | None, unit: str = "") -> None:
    """Print one row of the summary table: `what` was measured as `value` (a ratio unless `unit`
    says otherwise) against `goal` (as the issue states it); `met` is the benchmark's own verdict,
    None where there is no goal."""
    print(SUMMARY_PREFIX + json.dumps({"what": what, "value": value, "unit": unit, "goal": goal, "met": met}, ensure_ascii=False), flush=True)


def replace_summary(markdown: str, path: Path = RESULTS) -> None:
    """Put the summary (starting with `SUMMARY_HEADING`) first, before every benchmark's section."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    body = markdown.strip() + "\n\n"
    if not body.startswith(SUMMARY_HEADING):
        raise ValueError(f"the summary must start with {SUMMARY_HEADING!r}")
    sections = re.split(r"(?m)^(?=## )", text)
    sections = [s for s in sections if not s.startswith(SUMMARY_HEADING)]
    sections[0] = sections[0].rstrip("\n") + "\n\n"
    sections.insert(1, body)
    path.write_text("".join(sections).rstrip("\n") + "\n")
