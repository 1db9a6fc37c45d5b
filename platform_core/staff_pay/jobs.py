"""The daily job that draws up the statements of the period just ended."""

from __future__ import annotations

from datetime import time
from typing import Any

from platform_core.jobs.schemas import JobContext
from platform_core.pluginsys.contexts import JobHandler

from .services import draw_due_statements

DRAW_JOB = "staff_pay.draw_statements"


async def run_draw_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    # Runs in the franchise's tenant scope; on any day before the draw day it does nothing.
    await draw_due_statements()


JOB_HANDLERS = [JobHandler(kind=DRAW_JOB, handler=run_draw_job, daily_at=time(2, 15))]
