"""The load test's CI smoke: a short run of bench/loadtest/run.py (3 franchises, 6 customers,
20 s) in which no request fails and every step of the customers' journey runs at least once.
No timing is asserted; the numbers are for bench/RESULTS.md, run by hand."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

RUN = Path(__file__).resolve().parents[2] / "bench" / "loadtest" / "run.py"


def steps() -> list[str]:
    spec = importlib.util.spec_from_file_location("hearth_loadtest_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STEPS


def test_a_short_load_over_three_franchises_runs_every_step_without_an_error(tmp_path):
    admin = os.environ.get("HEARTH_TEST_DATABASE_URL")
    if not admin:
        pytest.skip("the load test makes its database on a PostgreSQL server: set HEARTH_TEST_DATABASE_URL")
    out = tmp_path / "stats.json"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--franchises", "3", "--users", "6", "--spawn-rate", "6", "--run-time", "20", "--json", str(out)],
        env={**os.environ, "HEARTH_BENCH_DATABASE_URL": admin}, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    stats = json.loads(out.read_text())
    report = proc.stdout[-4000:]
    assert [s for s in steps() if stats["steps"].get(s, {}).get("count", 0) == 0] == [], report
    assert {name: s["failures"] for name, s in stats["steps"].items() if s["failures"]} == {}, stats["errors"]
    assert stats["exceptions"] == [], report
    assert stats["server_errors"] == 0, report
