"""Payout jobs: sending an approved payout, asking how a pending transfer stands (with
backoff), and the daily sweep that asks about every payout left sending."""

from __future__ import annotations

from datetime import time
from typing import Any

from platform_core.jobs.schemas import JobContext
from platform_core.pluginsys.contexts import JobHandler

from . import sending, services


async def send(ctx: JobContext, payload: dict[str, Any]) -> None:
    await sending.send(payload["payout_id"])


async def query(ctx: JobContext, payload: dict[str, Any]) -> None:
    await sending.query(payload["payout_id"])


async def reconcile(ctx: JobContext, payload: dict[str, Any]) -> None:
    await sending.sweep()


JOB_HANDLERS = [
    JobHandler(kind=services.SEND_JOB, handler=send),
    JobHandler(kind=services.QUERY_JOB, handler=query),
    JobHandler(kind=services.SWEEP_JOB, handler=reconcile, daily_at=time(4, 30)),
]
