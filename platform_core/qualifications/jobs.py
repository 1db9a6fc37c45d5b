"""The daily job that sends credential expiry reminders (reminders.py)."""

from __future__ import annotations

from datetime import time
from typing import Any

from platform_core.jobs.schemas import JobContext
from platform_core.pluginsys.contexts import JobHandler

from .reminders import send_due_reminders

REMIND_JOB = "qualifications.expiry_reminders"


async def run_reminders(ctx: JobContext, payload: dict[str, Any]) -> None:
    # Runs in the franchise's tenant scope, once a day at 08:30 its time: reminders read in the morning.
    await send_due_reminders()


JOB_HANDLERS = [JobHandler(kind=REMIND_JOB, handler=run_reminders, daily_at=time(8, 30))]
