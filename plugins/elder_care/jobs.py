"""The daily job: keep every live plan's visits placed `horizon_days` ahead, and tell the family
when a plan's trial is over and waits for their word."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from platform_core.plugin_api import (
    JobContext,
    JobHandler,
    NotificationCreate,
    add_notifications,
    plugin_config,
    translate_to,
)
from platform_core.plugin_api import lazy_gettext as N_

from . import family, plans
from .config import ElderCareConfig

GENERATE_JOB = "elder_care.generate_visits"


async def generate_visits(ctx: JobContext, payload: dict[str, Any]) -> None:
    config = await plugin_config(ElderCareConfig)
    today = plans.today()
    for plan_id in await plans.live_plan_ids():
        # The plan's row first, as pausing and ending take it before they cancel its orders: a
        # pause racing this run waits, and then finds every visit this run placed.
        plan = await plans.get_plan(plan_id, lock=True)
        await plans.generate(plan, config.horizon_days)
        if plan.state == "trial" and plan.trial_ends_on == today - timedelta(days=1):
            await _trial_over(plan, ctx.tenant.locale)


async def _trial_over(plan: plans.Plan, locale: str) -> None:
    """The day after the trial's last: the owner and the family allowed to decide are asked."""
    deciders = [plan.customer_id] + [m.member_id for m in await family.members(plan.id) if m.may_manage and m.member_id]
    title = translate_to(locale, N_("The care plan's trial is over"))
    body = translate_to(locale, N_("Keep the carer, or ask for another: the plan's page has both."))
    await add_notifications([NotificationCreate(recipient_kind="customer", recipient_id=who, title=title, body=body,
                                                link=f"/p/elder_care/plans/{plan.id}") for who in deciders])


JOB_HANDLERS = [JobHandler(kind=GENERATE_JOB, handler=generate_visits, daily_at=time(1, 30))]
