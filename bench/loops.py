"""The closed loop the in-process benchmarks share: `clients` tasks doing one thing back to back
for a while, and the rates and percentiles of what they did."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Awaitable, Callable


def percentile_ms(sorted_seconds: list[float], q: float) -> float:
    """The q-th percentile of sorted durations in seconds, in milliseconds (0 with none)."""
    return 1000 * sorted_seconds[max(int(len(sorted_seconds) * q) - 1, 0)] if sorted_seconds else 0.0


async def timed_loop(clients: int, seconds: float, one: Callable[[], Awaitable[object]]) -> dict:
    """`clients` tasks calling `one()` back to back for `seconds`: the latencies of the calls that
    did their work, refusals (`one()` returned False, such as a slot taken meanwhile) and errors
    (the first one shown)."""
    latencies: list[float] = []
    errors = refused = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors, refused
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                done = await one()
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                errors += 1
                if errors == 1:
                    print("first error:", repr(exc)[:300], file=sys.stderr)
                continue
            if done is False:
                refused += 1
            else:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(clients)])
    return {"clients": clients, "latencies": latencies, "errors": errors, "refused": refused, "seconds": time.perf_counter() - began}


def merge(parts: list[dict]) -> dict:
    """Runs of one driver (rounds, or a single run) as one: work done over the summed time,
    latencies pooled."""
    latencies = sorted(x for p in parts for x in p["latencies"])
    seconds = sum(p["seconds"] for p in parts)
    return {
        "clients": parts[0]["clients"], "done": len(latencies), "errors": sum(p["errors"] for p in parts),
        "refused": sum(p["refused"] for p in parts), "per_s": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": percentile_ms(latencies, 0.99),
    }
