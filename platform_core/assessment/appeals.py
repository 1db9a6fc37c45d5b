"""Appeals: a worker appeals a deduction with a comment (once per item); the office upholds the
appeal (the deduction is withdrawn while still proposed, or given back by a bonus proposed to
staff_pay once approved) or rejects it with a note. Both sides see everything. The appeal's row
is locked before the adjustment's, and a decided appeal is not decided again (409)."""

from __future__ import annotations

import asyncpg

from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.staff_pay import adjustments
from platform_core.staff_pay.schemas import AdjustmentCreate
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.i18n import translations

from .rules import get_item
from .schemas import AppealCreate, AppealDecision, Item

REVERSAL_REASON = N_("Appeal upheld: %(reason)s")
UPHELD_TITLE = N_("Your appeal was upheld")
REJECTED_TITLE = N_("Your appeal was not upheld")


async def appeal_item(staff_id: int, item_id: int, data: AppealCreate) -> Item:
    """The worker's appeal of one of their own deductions (another's is not found)."""
    item = await get_item(item_id, staff_id=staff_id)
    if not data.comment.strip():
        raise ValidationFailed({"comment": "Tell the office why you disagree."})
    if item.kind != "deduction":
        raise ValidationFailed({"comment": "Only a deduction can be appealed."})
    if item.adjustment_state == "rejected":
        raise ValidationFailed({"comment": "The office already dropped this deduction."})
    try:
        async with current_connection().transaction():
            await current_connection().execute(
                "insert into core_assessment_appeal (tenant_id, item_id, staff_id, comment) values ($1, $2, $3, $4)",
                current_tenant().id, item_id, staff_id, data.comment.strip())
    except asyncpg.UniqueViolationError:
        raise Conflict("You already appealed this item.") from None
    return await get_item(item_id)


async def decide_appeal(appeal_id: int, data: AppealDecision, *, by: int) -> Item:
    conn = current_connection()
    row = await conn.fetchrow("select item_id, staff_id, state from core_assessment_appeal where id = $1 for update", appeal_id)
    if row is None:
        raise NotFound("appeal")
    if row["state"] != "open":
        raise Conflict("This appeal was already decided.")
    note = data.note.strip()
    if not note:
        raise ValidationFailed({"note": "Write a note: the worker reads it."})
    item = await get_item(row["item_id"])
    if data.decision == "upheld":
        await _undo(item, note, by)
    await conn.execute("update core_assessment_appeal set state = $2, decision_note = $3, decided_by = $4, decided_at = now() where id = $1",
                       appeal_id, data.decision, note, by)
    title = UPHELD_TITLE if data.decision == "upheld" else REJECTED_TITLE
    await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=row["staff_id"],
                                              title=translations(current_tenant().locale).ugettext(title), body=note[:4000],
                                              link="/staff/scorecard"))
    return await get_item(item.id)


async def _undo(item: Item, note: str, by: int) -> None:
    """Withdraw the deduction while it waits for approval; once approved (also when an approval
    wins the race for the adjustment's row), propose a bonus of the same amount that gives it back."""
    try:
        await adjustments.reject_adjustment(item.adjustment_id, rejected_by=by)
        return
    except Conflict:
        state = (await adjustments.adjustment_states([item.adjustment_id]))[item.adjustment_id]
    if state != "approved":
        return
    reason = translations(current_tenant().locale).ugettext(REVERSAL_REASON) % {"reason": note}
    reversal = await adjustments.propose_adjustment(
        AdjustmentCreate(staff_id=item.staff_id, kind="bonus", amount=item.amount, reason=reason[:200]),
        proposed_by=by, source="assessment", source_ref=f"reversal:{item.id}")
    await current_connection().execute("update core_assessment_item set reversal_adjustment_id = $2 where id = $1", item.id, reversal.id)


async def open_appeal_count() -> int:
    return await current_connection().fetchval("select count(*) from core_assessment_appeal where state = 'open'")
