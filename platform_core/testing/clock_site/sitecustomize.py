"""Python runs this at the start of every process the tests start while HEARTH_TEST_CLOCK moves
the clock (platform_core/testing/clock.py puts this folder on their PYTHONPATH), so the process
reads the same moved time as the tests."""

import os

if os.environ.get("HEARTH_TEST_CLOCK_OFFSET"):
    from platform_core.testing.clock import start

    start()
