"""Campaign banners on the customer site, for the campaign's recipients only.

Every customer page asks, so it must cost nothing when no banner campaign runs: each process
keeps a franchise's running banner campaigns by the tenant's stamp (`TenantContext.version`),
renewed by a trigger when a campaign starts, ends or changes its banner (marketing_0002), as
promotions keeps its rules. A page then costs no statement without a banner campaign, and one
indexed lookup (the customer's recipient rows among the running banners) for a signed-in customer
when one runs. Campaigns are written by console requests and jobs, never by a customer page's
transaction, so what such a page reads under the stamp it carries is committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.pluginsys.contexts import PageContext, PageNotice
from platform_core.tenancy.stamped import Stamped


class _Banner(msgspec.Struct, frozen=True):
    campaign_id: int
    title: str
    body: str
    until: datetime


# Banners by tenant stamp: triggers on core_marketing_campaign renew it (marketing migrations).
_running: Stamped[tuple[_Banner, ...]] = Stamped("campaign_banners", limit=10_000)


async def _load_banners() -> tuple[_Banner, ...]:
    rows = await current_connection().fetch(
        "select id, title, body, started_at, banner_days from core_marketing_campaign "
        "where via_banner and state in ('running', 'finished') and started_at is not null")
    return tuple(_Banner(r["id"], r["title"], r["body"], r["started_at"] + timedelta(days=r["banner_days"])) for r in rows)


async def _banners(page: PageContext) -> tuple[_Banner, ...]:
    return await _running.get(page.tenant, ("banners",), _load_banners)


async def banner_notice(page: PageContext) -> PageNotice | None:
    """The newest showing banner of a campaign that reached this signed-in customer."""
    if page.surface != "customer":
        return None
    now = clock.now()
    showing = {b.campaign_id: b for b in await _banners(page) if b.until > now}
    if not showing or page.customer_id is None:
        return None
    campaign_id = await current_connection().fetchval(
        "select campaign_id from core_marketing_campaign_recipient where customer_id = $1 and campaign_id = any($2::bigint[]) "
        "and via_banner order by campaign_id desc limit 1", page.customer_id, sorted(showing))
    if campaign_id is None:
        return None
    banner = showing[campaign_id]
    return PageNotice(title=banner.title, body=banner.body, level="success")
