"""Partner channels: a property agency, a WeChat group, a flyer. Each has a tracked link
(`/c/{code}` on the franchise's host) and its QR code; opening it counts a visit and remembers
the channel in the visitor's browser, and a registration within the window is the channel's
(first touch, once). The report counts visits, sign-ups, first orders and paid revenue.

Visits are a counter per channel and local day, never a row per hit: the link is public, and a
crawler or a refreshing browser must not grow a table. Bots and a browser's repeat visits on one
day count once (the `hearth_cv` cookie lists the channels this browser was counted for today).
"""

from __future__ import annotations

import io
import re
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.lazy import lazy_module
from platform_core.orders.audience import order_results
from platform_core.pluginsys.contexts import CustomerEvent, SegmentSql
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    REPORT_PERIODS,
    Channel,
    ChannelCreate,
    ChannelDay,
    ChannelReport,
    ChannelSummary,
)

segno = lazy_module("segno")  # QR codes on a few pages only

# No 0/O, 1/l/I: a code may be typed from a flyer. 31^8 is about 8.5e11 codes per franchise.
_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")
# The acquisition source a channel's link leaves (web/acquisition.py): "ch:{code}:{unix seconds}".
_SOURCE = re.compile(r"^ch:([A-Za-z0-9]{1,16}):([0-9]{1,12})$")
VISIT_COOKIE = "hearth_cv"
_SEEN = re.compile(r"^([0-9]{8}):([A-Za-z0-9,]{0,400})$")
MAX_SEEN = 20
_COLUMNS = "id, name, kind, notes, code, created_at"


def _channel(row) -> Channel:
    return Channel(**{k: row[k] for k in Channel.__struct_fields__})


def _check(data: ChannelCreate) -> tuple[str, str]:
    name = data.name.strip()
    if not name:
        raise ValidationFailed({"name": N_("This field is required.")})
    return name, data.notes.strip()


async def create_channel(data: ChannelCreate) -> Channel:
    name, notes = _check(data)
    conn = current_connection()
    for _ in range(5):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            async with conn.transaction():
                row = await conn.fetchrow(
                    f"insert into core_marketing_channel (tenant_id, name, kind, notes, code) values ($1, $2, $3, $4, $5) returning {_COLUMNS}",
                    current_tenant().id, name, data.kind, notes, code,
                )
            return _channel(row)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name and "code" in exc.constraint_name:
                continue  # a code drawn twice: draw again
            raise ValidationFailed({"name": N_("A channel of this name exists.")}) from None
    raise RuntimeError("no free channel code after five draws")


async def update_channel(channel_id: int, data: ChannelCreate) -> Channel:
    """Rename, re-describe: the code (printed on flyers) never changes."""
    name, notes = _check(data)
    conn = current_connection()
    try:
        async with conn.transaction():
            row = await conn.fetchrow(
                f"update core_marketing_channel set name = $2, kind = $3, notes = $4, updated_at = now() where id = $1 returning {_COLUMNS}",
                channel_id, name, data.kind, notes,
            )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"name": N_("A channel of this name exists.")}) from None
    if row is None:
        raise NotFound("channel")
    return _channel(row)


async def get_channel(channel_id: int) -> Channel:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_marketing_channel where id = $1", channel_id)
    if row is None:
        raise NotFound("channel")
    return _channel(row)


async def channel_by_code(code: str) -> Channel | None:
    if not CODE.match(code):
        return None
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_marketing_channel where code = $1", code)
    return _channel(row) if row else None


async def channel_names() -> list[tuple[int, str]]:
    rows = await current_connection().fetch("select id, name from core_marketing_channel order by name")
    return [(r["id"], r["name"]) for r in rows]


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_tenant().timezone))


def _period_start(days: int) -> date:
    return clock.today(current_tenant().timezone) - timedelta(days=days - 1)


async def list_channels(days: int = 30) -> list[ChannelSummary]:
    """Every channel with its visits and sign-ups of the last `days` days, newest channel first."""
    since = _period_start(days)
    rows = await current_connection().fetch(
        f"select {_COLUMNS}, "
        "coalesce((select sum(v.visits) from core_marketing_channel_visit v where v.channel_id = c.id and v.day >= $1), 0) as visits, "
        "(select count(*) from core_marketing_attribution a where a.channel_id = c.id and a.registered_at >= $2) as sign_ups "
        "from core_marketing_channel c order by c.created_at desc, c.id desc",
        since, _local_start(since),
    )
    return [ChannelSummary(channel=_channel(r), visits=r["visits"], sign_ups=r["sign_ups"]) for r in rows]


# --------------------------------------------------------------------------- the link


def link_for(channel: Channel, host: str, scheme: str = "https") -> str:
    return f"{scheme}://{host}/c/{channel.code}"


def qr_code(url: str, kind: str) -> bytes:
    """The link as a QR code, `kind` "png" or "svg", large enough to print."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind=kind, scale=10 if kind == "png" else 8, border=2)
    return out.getvalue()


def seen_today(cookie: str, today: date) -> set[str]:
    """The channel codes this browser was counted for today (VISIT_COOKIE), else none."""
    match = _SEEN.match(cookie or "")
    if match is None or match.group(1) != today.strftime("%Y%m%d"):
        return set()
    return {c for c in match.group(2).split(",") if c}


def seen_cookie(codes: set[str], today: date) -> str:
    return f"{today:%Y%m%d}:{','.join(sorted(codes)[:MAX_SEEN])}"


def source_for(channel: Channel, at: datetime) -> str:
    """The acquisition source of a first touch on `channel` at `at`."""
    return f"ch:{channel.code}:{int(at.timestamp())}"


def source_is_current(source: str, now: datetime) -> bool:
    """Whether the first touch in `source` is still within the attribution window (so a later
    link does not replace it)."""
    match = _SOURCE.match(source or "")
    if match is None:
        return False
    touched = datetime.fromtimestamp(int(match.group(2)), tz=now.tzinfo)
    return timedelta(0) <= now - touched <= timedelta(days=current_runtime().settings.channel_cookie_days)


async def record_visit(channel: Channel) -> None:
    """Count one visit on the franchise's today."""
    await current_connection().execute(
        "insert into core_marketing_channel_visit (tenant_id, channel_id, day, visits) values ($1, $2, $3, 1) "
        "on conflict (tenant_id, channel_id, day) do update set visits = core_marketing_channel_visit.visits + 1",
        current_tenant().id, channel.id, clock.today(current_tenant().timezone),
    )


# --------------------------------------------------------------------------- attribution


async def attribute_registration(event: CustomerEvent) -> Channel | None:
    """A new customer whose acquisition source is a channel's link opened within the window is
    the channel's. First touch, once: a customer already attributed stays with their channel."""
    source = event.attribution.get("source", "")
    if not source_is_current(source, event.occurred_at):
        return None
    channel = await channel_by_code(_SOURCE.match(source).group(1))  # type: ignore[union-attr]
    if channel is None:
        return None
    await current_connection().execute(
        "insert into core_marketing_attribution (tenant_id, customer_id, channel_id, registered_at) values ($1, $2, $3, $4) "
        "on conflict (tenant_id, customer_id) do nothing",
        event.tenant.id, event.customer_id, channel.id, event.occurred_at,
    )
    return channel


async def customer_channel(customer_id: int) -> Channel | None:
    """The channel the customer registered through, if any (campaigns' and orders' attribution)."""
    row = await current_connection().fetchrow(
        f"select {', '.join('c.' + c for c in _COLUMNS.split(', '))} from core_marketing_attribution a "
        "join core_marketing_channel c on c.id = a.channel_id where a.customer_id = $1",
        customer_id,
    )
    return _channel(row) if row else None


def channel_customers_sql(channel_id: int) -> SegmentSql:
    """Customers who registered through the channel, as a segment part."""
    return SegmentSql(sql="select customer_id from core_marketing_attribution where channel_id = $1", args=(channel_id,))


async def channel_report(channel_id: int, days: int) -> ChannelReport:
    """Visits, sign-ups, first orders and paid revenue of the last `days` days (7, 30 or 90),
    counted on the franchise's calendar."""
    if days not in REPORT_PERIODS:
        raise ValidationFailed({"days": N_("Choose 7, 30 or 90 days.")})
    await get_channel(channel_id)
    since = _period_start(days)
    start = _local_start(since)
    conn = current_connection()
    visits = {r["day"]: r["visits"] for r in await conn.fetch(
        "select day, visits from core_marketing_channel_visit where channel_id = $1 and day >= $2", channel_id, since,
    )}
    sign_ups = {r["day"]: r["n"] for r in await conn.fetch(
        "select (registered_at at time zone $3)::date as day, count(*) as n from core_marketing_attribution "
        "where channel_id = $1 and registered_at >= $2 group by 1",
        channel_id, start, current_tenant().timezone,
    )}
    customers = [r["customer_id"] for r in await conn.fetch(
        "select customer_id from core_marketing_attribution where channel_id = $1", channel_id,
    )]
    results = await order_results(customers, start)
    by_day = [
        ChannelDay(day=since + timedelta(days=i), visits=visits.get(since + timedelta(days=i), 0),
                   sign_ups=sign_ups.get(since + timedelta(days=i), 0))
        for i in range(days)
    ]
    return ChannelReport(
        channel_id=channel_id, days=days, since=since, visits=sum(visits.values()), sign_ups=sum(sign_ups.values()),
        first_orders=results.first_orders, paid_orders=results.paid_orders, revenue=results.revenue, by_day=by_day,
    )
