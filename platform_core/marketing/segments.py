"""Segments: saved groups of customers, by filters that the core's domains and the tenant's
enabled plugins contribute (`provide_segment_filters`), combined with AND.

Each filter answers a subquery over its contributor's own tables; this module only composes
them (INTERSECT, EXCEPT for an excluding part) and never names another domain's table. The
customers a segment starts from are the active ones (accounts'), so frozen and closed accounts
are never members. A saved filter that no enabled plugin offers any more (the plugin was turned
off) makes the segment empty rather than wider: a campaign must never reach more people than
the console showed.
"""

from __future__ import annotations

import re
from typing import Any, AsyncIterator

import asyncpg
import msgspec

from platform_core.accounts.services import (
    active_customers_sql,
    customer_cards,
    marketing_audience_sql,
)
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.orders.audience import customer_orders_at_a_glance
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import SegmentFilterSpec, SegmentSql
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import Segment, SegmentCreate, SegmentFilter, SegmentMember, SegmentPage

_PLACEHOLDER = re.compile(r"\$(\d+)")
MAX_FILTERS = 10
_COLUMNS = "id, name, filters, created_at, updated_at"
_SELECT = f"select {_COLUMNS} from core_marketing_segment"


def segment_filters() -> dict[str, SegmentFilterSpec]:
    """The filters offered to this tenant now, by name, in the builder's order (a name offered
    twice keeps the first in calling order)."""
    found: dict[str, SegmentFilterSpec] = {}
    for _, spec in collect_now(current_runtime().hooks(current_tenant()).provide_segment_filters):
        found.setdefault(spec.name, spec)
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def _field_error(text: str) -> tuple[str | None, str]:
    """msgspec's message as (parameter, a message a person reads)."""
    missing = re.match(r"Object missing required field `(\w+)`", text)
    unknown = re.match(r"Object contains unknown field `(\w{1,40})`", text)
    at = re.search(r"at `\$\.(\w+)`", text)
    field = missing.group(1) if missing else unknown.group(1) if unknown else at.group(1) if at else None
    if missing:
        return field, N_("This field is required.")
    if "length <=" in text or "<=" in text:
        return field, N_("This value is too large or too long.")
    return field, N_("This value is not valid.")


def check_filters(filters: list[SegmentFilter], offered: dict[str, SegmentFilterSpec]) -> list[tuple[SegmentFilterSpec, Any]]:
    """Each filter with its decoded parameters; ValidationFailed names every wrong one as
    `f.{filter}.{parameter}` (the builder's field names)."""
    errors: dict[str, str] = {}
    checked: list[tuple[SegmentFilterSpec, Any]] = []
    if len(filters) > MAX_FILTERS:
        raise ValidationFailed({"filters": N_("Use at most ten filters.")})
    seen: set[str] = set()
    for item in filters:
        spec = offered.get(item.name)
        if spec is None:
            errors["filters"] = N_("This filter is not available.")
            continue
        if item.name in seen:
            errors[f"f.{item.name}"] = N_("Use each filter once.")
            continue
        seen.add(item.name)
        try:
            checked.append((spec, msgspec.convert(item.params, spec.params, strict=False)))
        except msgspec.ValidationError as exc:
            field, message = _field_error(str(exc))
            errors[f"f.{item.name}.{field}" if field else f"f.{item.name}"] = message
    if errors:
        raise ValidationFailed(errors)
    return checked


def _parts(checked: list[tuple[SegmentFilterSpec, Any]]) -> list[SegmentSql]:
    parts = [active_customers_sql()]
    for spec, params in checked:
        answer = spec.members(params)
        parts.extend(answer if isinstance(answer, list) else [answer])
    return parts


def compose(parts: list[SegmentSql]) -> tuple[str, list[Any]]:
    """One query of customer ids: the first including part (the active customers, each once), kept
    where each other including part has the id and no excluding part does. Each part's `$n` is
    renumbered after the arguments of the parts before it.

    Semi- and anti-joins rather than INTERSECT and EXCEPT: a set operation reads every part whole
    and hashes them together (100k active customers with every filter's ids), where a join lets
    the planner start from the smallest part and look the others up by their indexes."""
    args: list[Any] = []
    include: list[str] = []
    exclude: list[str] = []
    for part in parts:
        offset = len(args)
        sql = _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + offset}", part.sql)
        args.extend(part.args)
        (exclude if part.exclude else include).append(sql)
    first, *others = include
    tests = [f"s.id in ({sql})" for sql in others]
    tests += [f"not exists (select 1 from ({sql}) x(id) where x.id = s.id)" for sql in exclude]
    query = f"select s.id from ({first}) s(id)"
    return (f"{query} where {' and '.join(tests)}" if tests else query), args


def _decode(row) -> Segment:
    return Segment(id=row["id"], name=row["name"], filters=msgspec.json.decode(row["filters"], type=list[SegmentFilter]),
                   created_at=row["created_at"], updated_at=row["updated_at"])


async def list_segments() -> list[Segment]:
    rows = await current_connection().fetch(f"{_SELECT} order by name")
    return [_decode(r) for r in rows]


async def get_segment(segment_id: int) -> Segment:
    row = await current_connection().fetchrow(f"{_SELECT} where id = $1", segment_id)
    if row is None:
        raise NotFound("segment")
    return _decode(row)


def _normalized(data: SegmentCreate) -> tuple[str, str]:
    """The name and the filters as stored: each filter's parameters as its Struct decoded them."""
    name = data.name.strip()
    checked = check_filters(data.filters, segment_filters())
    errors = {} if name else {"name": N_("This field is required.")}
    if len(name) > 80 or "\x00" in name:
        errors = {"name": N_("Use at most 80 characters, without control characters.")}
    if errors:
        raise ValidationFailed(errors)
    stored = [SegmentFilter(name=spec.name, params=msgspec.to_builtins(params)) for spec, params in checked]
    return name, msgspec.json.encode(stored).decode()


async def create_segment(data: SegmentCreate) -> Segment:
    name, filters = _normalized(data)
    row = await current_connection().fetchrow(
        "insert into core_marketing_segment (tenant_id, name, filters) values ($1, $2, $3::jsonb) "
        f"on conflict (tenant_id, name) do nothing returning {_COLUMNS}",
        current_tenant().id, name, filters,
    )
    if row is None:
        raise ValidationFailed({"name": N_("A segment of this name exists.")})
    return _decode(row)


async def update_segment(segment_id: int, data: SegmentCreate) -> Segment:
    name, filters = _normalized(data)
    conn = current_connection()
    try:
        # In a savepoint: losing a race for the name to another save is a field error, and the
        # request's transaction goes on.
        async with conn.transaction():
            row = await conn.fetchrow(
                "update core_marketing_segment set name = $2, filters = $3::jsonb, updated_at = now() where id = $1 "
                f"returning {_COLUMNS}",
                segment_id, name, filters,
            )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"name": N_("A segment of this name exists.")}) from None
    if row is None:
        raise NotFound("segment")
    return _decode(row)


async def delete_segment(segment_id: int) -> None:
    try:
        async with current_connection().transaction():
            deleted = await current_connection().fetchval("delete from core_marketing_segment where id = $1 returning id", segment_id)
    except asyncpg.ForeignKeyViolationError:
        raise Conflict("A campaign uses this segment: it can not be deleted.") from None
    if deleted is None:
        raise NotFound("segment")


def _query(filters: list[SegmentFilter], channel: str | None = None) -> tuple[str, list[Any]] | None:
    """The segment's members as one query; None when a filter is not offered now (no members)."""
    offered = segment_filters()
    if any(f.name not in offered for f in filters):
        return None
    try:
        checked = check_filters(filters, offered)
    except ValidationFailed:
        # Saved parameters a plugin's newer Struct no longer takes: refused, never widened.
        raise Conflict("This segment's filters have changed; edit and save it again.") from None
    parts = _parts(checked)
    if channel is not None:
        parts.append(marketing_audience_sql(channel))
    return compose(parts)


def unavailable_filters(filters: list[SegmentFilter]) -> list[str]:
    offered = segment_filters()
    return [f.name for f in filters if f.name not in offered]


async def _analytical() -> None:
    """A segment groups every order and customer of the franchise: give its sorts and hashes the
    memory to stay off disk, for this transaction only (SET LOCAL ends with it)."""
    await current_connection().execute("set local work_mem = '64MB'")


async def segment_size(filters: list[SegmentFilter]) -> int:
    query = _query(filters)
    if query is None:
        return 0
    sql, args = query
    await _analytical()
    return await current_connection().fetchval(f"select count(*) from ({sql}) m", *args)


async def segment_page(filters: list[SegmentFilter], *, page: int = 1, per_page: int = 50) -> SegmentPage:
    """The size and one page of members (newest customers first), with what the console shows
    of each: name, masked phone, registered, last order, spend in 12 months."""
    query = _query(filters)
    if query is None:
        return SegmentPage(size=0, page=page, per_page=per_page, members=[], unavailable=unavailable_filters(filters))
    sql, args = query
    await _analytical()
    n = len(args)
    # The members are worked out once, for the count and the page both.
    row = await current_connection().fetchrow(
        f"with m(id) as materialized ({sql}) select (select count(*) from m) as size, "
        f"array(select id from m order by id desc limit ${n + 1} offset ${n + 2}) as ids",
        *args, per_page, (page - 1) * per_page,
    )
    size, ids = row["size"], list(row["ids"])
    cards = await customer_cards(ids)
    orders = await customer_orders_at_a_glance(ids)
    members = []
    for customer_id in ids:
        card = cards[customer_id]
        glance = orders.get(customer_id)
        members.append(SegmentMember(
            customer_id=customer_id, display_name=card.display_name, phone=card.phone, registered_at=card.created_at,
            last_order_at=glance.last_order_at if glance else None, spend_12_months=glance.spend_12_months if glance else 0,
        ))
    return SegmentPage(size=size, page=page, per_page=per_page, members=members)


async def segment_batch(segment_id: int, *, after: int, limit: int) -> list[int]:
    """The next `limit` members by ascending id after `after`: a campaign sends a segment one
    batch per transaction, so each batch works the segment out afresh (whoever joins meanwhile
    with a higher id is reached; the recipients table keeps anyone from being reached twice)."""
    segment = await get_segment(segment_id)
    query = _query(segment.filters)
    if query is None:
        return []
    sql, args = query
    await _analytical()
    n = len(args)
    rows = await current_connection().fetch(
        f"select id from ({sql}) m(id) where id > ${n + 1} order by id limit ${n + 2}", *args, after, limit)
    return [r["id"] for r in rows]


async def segment_members(segment_id: int, *, channel: str | None = None, batch_size: int = 1000) -> AsyncIterator[list[int]]:
    """The members' customer ids in batches (ascending), for a campaign, inside the caller's
    transaction. With `channel` ("inbox", "banner", "sms"), only those who may get marketing there."""
    segment = await get_segment(segment_id)
    query = _query(segment.filters, channel)
    if query is None:
        return
    sql, args = query
    await _analytical()
    # One evaluation, read through a cursor: a customer who joins or leaves while the batches are
    # read is not seen twice, and the segment is not worked out again for every batch.
    cursor = await current_connection().cursor(f"select id from ({sql}) m(id) order by id", *args)
    while batch := [r["id"] for r in await cursor.fetch(batch_size)]:
        yield batch
