"""The moved clock of a test run (HEARTH_TEST_CLOCK): where it sends the run, and that the
processes a moved run starts read the moved time too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from platform_core.testing.clock import (
    OFFSET_ENV,
    SITE_DIR,
    SPEC_ENV,
    destination,
    real_now,
)

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def test_a_time_of_day_sends_the_clock_to_the_next_such_time_in_that_zone():
    real = datetime(2026, 12, 2, 12, 10, tzinfo=UTC)  # 20:10 in Shanghai
    assert destination("00:10 Asia/Shanghai", real) == datetime(2026, 12, 3, 0, 10, tzinfo=SHANGHAI)
    assert destination("22:30 Asia/Shanghai", real) == datetime(2026, 12, 2, 22, 30, tzinfo=SHANGHAI)
    assert destination("20:10 Asia/Shanghai", real) == datetime(2026, 12, 3, 20, 10, tzinfo=SHANGHAI)


def test_a_time_the_zone_skips_that_night_is_taken_the_next_day():
    real = datetime(2027, 3, 14, 5, 0, tzinfo=UTC)  # midnight in New York; at 02:00 the clocks jump to 03:00
    assert destination("02:30 America/New_York", real) == datetime(2027, 3, 15, 2, 30, tzinfo=NEW_YORK)


def test_a_moment_sends_the_clock_there_and_must_say_its_offset():
    real = datetime(2026, 12, 2, 12, 10, tzinfo=UTC)
    assert destination("2027-03-14T01:50-05:00", real) == datetime(2027, 3, 14, 6, 50, tzinfo=UTC)
    for bad in ("2027-03-14T01:50", "25:00 Asia/Shanghai", "00:10 Mars/Olympus", "at noon", "00:10 Asia/Shanghai today"):
        with pytest.raises(ValueError):
            destination(bad, real)


# What a first process of a moved run sees (real time, its moved time), and what a process it starts sees.
FIRST_PROCESS = """
import json, subprocess, sys, time
real = time.time()
from platform_core.testing import clock
clock.start()
moved = time.time()
child = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True, check=True)
print(json.dumps([real, moved, float(child.stdout)]))
"""


def test_the_processes_a_moved_run_starts_read_the_moved_time():
    # A run of its own, whether or not this one is moved.
    env = {name: value for name, value in os.environ.items() if name != OFFSET_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR))
    env[SPEC_ENV] = "03:00 Asia/Shanghai"
    done = subprocess.run([sys.executable, "-c", FIRST_PROCESS], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    real, moved, child = json.loads(done.stdout)
    expected = destination("03:00 Asia/Shanghai", datetime.fromtimestamp(real, UTC)).timestamp()
    assert abs(moved - expected) < 5
    assert 0 <= child - moved < 15  # the child started a moment later, on the same moved clock


@pytest.mark.skipif(not os.environ.get(SPEC_ENV), reason="this run's clock is not moved")
def test_this_worker_reads_the_runs_moved_clock():
    moved_by = float(os.environ[OFFSET_ENV])
    assert abs((datetime.now(UTC) - real_now()).total_seconds() - moved_by) < 5
