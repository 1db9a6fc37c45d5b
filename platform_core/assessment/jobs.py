"""The daily job that computes last month's scorecards once the month is over (in the
franchise's time zone): it does nothing when they exist, so running it every day, or twice, is
harmless; the office recomputes by hand."""

from __future__ import annotations

from datetime import time
from typing import Any

from platform_core import clock
from platform_core.jobs.schemas import JobContext
from platform_core.pluginsys.contexts import JobHandler

from . import formula, scorecards

SCORECARD_JOB = "assessment.monthly_scorecards"


async def compute_last_month() -> bool:
    """Compute last month's cards if they are not there yet; True when it computed."""
    month = formula.previous_month(clock.today(scorecards.zone()))
    if await scorecards.computed_months([month]):
        return False
    await scorecards.compute_month(month)
    return True


async def run_scorecard_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    # Runs in the franchise's tenant scope.
    await compute_last_month()


JOB_HANDLERS = [JobHandler(kind=SCORECARD_JOB, handler=run_scorecard_job, daily_at=time(3, 10))]
