"""This domain's hook implementations (registered as a core plugin)."""

from __future__ import annotations

import msgspec

from platform_core.bounds import Id
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import (
    CustomerEvent,
    MenuEntry,
    PageContext,
    SegmentFilterSpec,
)

from . import (
    campaign_banner,
    campaign_sending,
    campaign_views,
    channels,
    console_views,
    views,
)


@hookimpl
def register_routes():
    return [*views.PAGE_HANDLERS, *console_views.CONSOLE_HANDLERS, *campaign_views.CONSOLE_HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Campaigns", href="/console/marketing/campaigns", icon="send", section="marketing",
                  permission="marketing.manage", order=35),
        MenuEntry(label="Segments", href="/console/marketing/segments", icon="users", section="marketing",
                  permission="marketing.manage", order=40),
        MenuEntry(label="Channels", href="/console/marketing/channels", icon="link", section="marketing",
                  permission="marketing.manage", order=50),
    ]


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    await channels.attribute_registration(event)
    await campaign_sending.on_registered(event)


@hookimpl
def register_job_handlers():
    return campaign_sending.JOB_HANDLERS


@hookimpl
async def compute_page_notices(page: PageContext):
    notice = await campaign_banner.banner_notice(page)
    return [notice] if notice else None


class ChannelParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    channel: Id


async def _channel_options() -> dict[str, list[tuple[str, str]]]:
    return {"channel": [(str(channel_id), name) for channel_id, name in await channels.channel_names()]}


@hookimpl
def provide_segment_filters():
    return [SegmentFilterSpec(
        name="channel", label="Came through a partner channel", params=ChannelParams,
        members=lambda p: channels.channel_customers_sql(p.channel), options=_channel_options,
        param_labels={"channel": "Channel"}, order=60,
    )]
