"""The marketing domain's services, for its pages and for the domains above it (campaigns):
channels (channels.py) and segments (segments.py). Consent is accounts' (`may_get_marketing`)."""

from platform_core.accounts.services import may_get_marketing

from .channels import (
    attribute_registration,
    channel_by_code,
    channel_customers_sql,
    channel_names,
    channel_report,
    create_channel,
    customer_channel,
    get_channel,
    list_channels,
    qr_code,
    record_visit,
    update_channel,
)
from .segments import (
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    segment_filters,
    segment_members,
    segment_page,
    segment_size,
    update_segment,
)

__all__ = [
    "attribute_registration",
    "channel_by_code",
    "channel_customers_sql",
    "channel_names",
    "channel_report",
    "create_channel",
    "create_segment",
    "customer_channel",
    "delete_segment",
    "get_channel",
    "get_segment",
    "list_channels",
    "list_segments",
    "may_get_marketing",
    "qr_code",
    "record_visit",
    "segment_filters",
    "segment_members",
    "segment_page",
    "segment_size",
    "update_channel",
    "update_segment",
]
