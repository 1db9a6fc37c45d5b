"""Bonuses and deductions (maker-checker): one person proposes, another approves, and only then
is it posted to the worker's earnings (`staff_bonus` / `staff_deduction`, funded by
`franchise:staff_pay`). Other domains and plugins (the assessment work) call `propose_adjustment`
with their own `source` and `source_ref`, which makes the proposal idempotent."""

from __future__ import annotations

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.orders.services import order_id_for_number, order_numbers
from platform_core.staff.services import get_worker
from platform_core.tenancy.context import current_tenant

from .schemas import Adjustment, AdjustmentCreate, AdjustmentState
from .services import worker_names

_COLUMNS = "id, staff_id, kind, amount, currency, reason, order_id, state, proposed_by, source, decided_by, decided_at, created_at"


def ledger_key(adjustment_id: int) -> str:
    return f"staff_pay:adjustment:{adjustment_id}"


async def _with_names(rows) -> list[Adjustment]:
    names = await worker_names()
    numbers = await order_numbers(r["order_id"] for r in rows if r["order_id"] is not None)
    return [Adjustment(**dict(r), staff_name=names.get(r["staff_id"], ""), order_number=numbers.get(r["order_id"], "")) for r in rows]


async def propose_adjustment(
    data: AdjustmentCreate, *, proposed_by: int | None, source: str = "console", source_ref: str | None = None,
) -> Adjustment:
    """A bonus or deduction waiting for a second person's approval. `proposed_by` is the console
    user (None for a system source); with `source_ref`, proposing again returns the first."""
    errors: dict[str, str] = {}
    if not data.reason.strip():
        errors["reason"] = "Say why: the worker sees the reason."
    try:
        await get_worker(data.staff_id)
    except NotFound:
        errors["staff_id"] = "Choose a worker of this franchise."
    order_id = None
    if data.order_number.strip():
        order_id = await order_id_for_number(data.order_number.strip())
        if order_id is None:
            errors["order_number"] = "No order has this number."
    if errors:
        raise ValidationFailed(errors)
    conn = current_connection()
    row = await conn.fetchrow(
        f"insert into core_staff_adjustment (tenant_id, staff_id, kind, amount, currency, reason, order_id, proposed_by, source, source_ref) "
        f"values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (tenant_id, source, source_ref) do nothing returning {_COLUMNS}",
        current_tenant().id, data.staff_id, data.kind, data.amount, current_tenant().currency, data.reason.strip(), order_id,
        proposed_by, source, source_ref)
    if row is None:
        row = await conn.fetchrow(f"select {_COLUMNS} from core_staff_adjustment where source = $1 and source_ref = $2", source, source_ref)
    return (await _with_names([row]))[0]


async def _decide(adjustment_id: int, by: int, state: AdjustmentState) -> dict:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_staff_adjustment where id = $1 for update", adjustment_id)
    if row is None:
        raise NotFound("adjustment")
    if row["state"] != "proposed":
        raise Conflict("This adjustment was already decided.")
    if state == "approved" and row["proposed_by"] == by:
        raise Forbidden("The person who added an adjustment can not approve it: ask a colleague.")
    await current_connection().execute(
        "update core_staff_adjustment set state = $2, decided_by = $3, decided_at = $4 where id = $1", adjustment_id, state, by, clock.now())
    return dict(row)


async def approve_adjustment(adjustment_id: int, *, approved_by: int) -> Adjustment:
    """Approve a proposed adjustment (by someone other than who proposed it) and post it. Two
    approvals racing queue on the row; the second is a 409. A deduction may leave the worker owing."""
    row = await _decide(adjustment_id, approved_by, "approved")
    common = {"key": ledger_key(adjustment_id), "funded_by": "franchise:staff_pay", "memo": row["reason"]}
    if row["kind"] == "bonus":
        await ledger.credit_earnings("staff", row["staff_id"], row["currency"], row["amount"], kind="staff_bonus", **common)
    else:
        await ledger.debit_earnings("staff", row["staff_id"], row["currency"], row["amount"], kind="staff_deduction", overdraw=True, **common)
    return await get_adjustment(adjustment_id)


async def reject_adjustment(adjustment_id: int, *, rejected_by: int) -> Adjustment:
    await _decide(adjustment_id, rejected_by, "rejected")
    return await get_adjustment(adjustment_id)


async def get_adjustment(adjustment_id: int) -> Adjustment:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_staff_adjustment where id = $1", adjustment_id)
    if row is None:
        raise NotFound("adjustment")
    return (await _with_names([row]))[0]


async def list_adjustments(*, state: str | None = None, staff_id: int | None = None, limit: int = 200) -> list[Adjustment]:
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from core_staff_adjustment where ($1::text is null or state = $1) and ($2::bigint is null or staff_id = $2) "
        "order by (state = 'proposed') desc, created_at desc, id desc limit $3", state, staff_id, limit)
    return await _with_names(rows)


async def adjustment_states(adjustment_ids: list[int]) -> dict[int, str]:
    """The state of each adjustment (proposed, approved, rejected), by id, in one query."""
    rows = await current_connection().fetch(
        "select id, state from core_staff_adjustment where id = any($1::bigint[])", sorted(set(adjustment_ids)))
    return {r["id"]: r["state"] for r in rows}
