"""The franchise's rules for rewards and penalties, applied to a month: a bonus for the top tenth
of the ranked workers, a deduction per upheld complaint, a deduction per low rating. Each is
proposed to staff_pay (maker-checker: a colleague approves it into the worker's earnings and pay
statement) under a source reference naming the rule, the month, the worker and the complaint or
review, so applying again never proposes twice."""

from __future__ import annotations

from datetime import date

from platform_core.accounts.console_services import console_user_names
from platform_core.db import current_connection
from platform_core.errors import NotFound
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.reviews.services import low_reviews
from platform_core.staff_pay.adjustments import adjustment_states, propose_adjustment
from platform_core.staff_pay.schemas import AdjustmentCreate
from platform_core.staff_pay.services import worker_names
from platform_core.support.services import upheld_complaints
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.i18n import translations

from . import formula, scorecards
from .schemas import Appeal, Item

TOP_REASON = N_("Top tenth of workers in %(month)s")
COMPLAINT_REASON = N_("Upheld complaint in %(month)s: %(subject)s")
LOW_RATING_REASON = N_("Low rating in %(month)s (%(stars)s stars)")
PROPOSED_TITLE = N_("Your scorecard for %(month)s has rewards or penalties: see them and appeal if you disagree")

_ITEM = "i.id, i.staff_id, i.month, i.rule, i.ref, i.kind, i.amount, i.reason, i.adjustment_id, i.reversal_adjustment_id, i.created_at"
_APPEAL = "a.id as appeal_id, a.comment, a.state as appeal_state, a.decision_note, a.decided_by, a.decided_at, a.created_at as appealed_at"


def _say(msgid: str, **values) -> str:
    return translations(current_tenant().locale).ugettext(msgid) % values


async def _propose(staff_id: int, month: date, rule: str, ref: str, kind: str, amount: int, reason: str) -> bool:
    """One item: its adjustment proposed (or found) and the item kept. True when it is new."""
    conn = current_connection()
    if await conn.fetchval("select id from core_assessment_item where rule = $1 and staff_id = $2 and month = $3 and ref = $4",
                           rule, staff_id, month, ref) is not None:
        return False
    reason = reason[:200]
    adjustment = await propose_adjustment(AdjustmentCreate(staff_id=staff_id, kind=kind, amount=amount, reason=reason),  # type: ignore[arg-type]
                                          proposed_by=None, source="assessment", source_ref=f"{rule}:{month:%Y-%m}:{staff_id}:{ref}")
    created = await conn.fetchval(
        "insert into core_assessment_item (tenant_id, staff_id, month, rule, ref, kind, amount, reason, adjustment_id) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, rule, staff_id, month, ref) do nothing returning id",
        current_tenant().id, staff_id, month, rule, ref, kind, amount, reason, adjustment.id)
    return created is not None


async def apply_rules(month: date) -> int:
    """Propose the month's rewards and penalties (computing its cards first if there are none);
    returns how many were new. The workers concerned get an inbox entry. The top-tenth bonus
    waits for the month's end; deductions for complaints and ratings do not."""
    settings = await scorecards.get_settings()
    if not await scorecards.computed_months([month]):
        await scorecards.compute_month(month)
    starts, ends = formula.month_span(month, scorecards.zone())
    label = f"{month:%Y-%m}"
    touched: set[int] = set()
    new = 0
    # The ranking of a month still running is not final: its top tenth is rewarded once it ends.
    if settings.top_decile_bonus and month < scorecards.this_month():
        ranks = {c.staff_id: c.rank for c in await scorecards.month_cards(month) if c.rank is not None}
        for staff_id in sorted(formula.top_decile(ranks)):
            if await _propose(staff_id, month, "top_decile", "month", "bonus", settings.top_decile_bonus, _say(TOP_REASON, month=label)):
                touched.add(staff_id)
                new += 1
    if settings.complaint_deduction:
        for c in await upheld_complaints(starts, ends):
            if await _propose(c.staff_id, month, "complaint", f"feedback:{c.feedback_id}", "deduction", settings.complaint_deduction,
                              _say(COMPLAINT_REASON, month=label, subject=c.subject[:80])):
                touched.add(c.staff_id)
                new += 1
    if settings.low_rating_deduction:
        for r in await low_reviews(starts, ends, low_at=settings.low_rating_stars, limit=10_000):
            if r.staff_id is None:
                continue
            stars = f"{(r.quality + r.attitude + r.skill) / 3:.1f}"
            if await _propose(r.staff_id, month, "low_rating", f"review:{r.id}", "deduction", settings.low_rating_deduction,
                              _say(LOW_RATING_REASON, month=label, stars=stars)):
                touched.add(r.staff_id)
                new += 1
    for staff_id in sorted(touched):
        await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=staff_id,
                                                  title=_say(PROPOSED_TITLE, month=label)[:200], link="/staff/scorecard"))
    return new


async def _items(rows) -> list[Item]:
    names = await worker_names()
    states = await adjustment_states([r["adjustment_id"] for r in rows] + [r["reversal_adjustment_id"] for r in rows if r["reversal_adjustment_id"]])
    people = await console_user_names(r["decided_by"] for r in rows if r["decided_by"] is not None)
    items = []
    for r in rows:
        appeal = None
        if r["appeal_id"] is not None:
            appeal = Appeal(id=r["appeal_id"], item_id=r["id"], staff_id=r["staff_id"], comment=r["comment"], state=r["appeal_state"],
                            decision_note=r["decision_note"], decided_by=r["decided_by"], decided_by_name=people.get(r["decided_by"], ""),
                            decided_at=r["decided_at"], created_at=r["appealed_at"])
        items.append(Item(
            id=r["id"], staff_id=r["staff_id"], staff_name=names.get(r["staff_id"], ""), month=r["month"], rule=r["rule"], ref=r["ref"],
            kind=r["kind"], amount=r["amount"], currency=current_tenant().currency, reason=r["reason"], adjustment_id=r["adjustment_id"],
            adjustment_state=states.get(r["adjustment_id"], ""), reversal_adjustment_id=r["reversal_adjustment_id"],
            reversal_state=states.get(r["reversal_adjustment_id"]) if r["reversal_adjustment_id"] else None,
            created_at=r["created_at"], appeal=appeal))
    return items


async def items(*, month: date | None = None, staff_id: int | None = None, appeals: str | None = None, limit: int = 500) -> list[Item]:
    """Items by month and/or worker; `appeals="open"` only those with an open appeal."""
    rows = await current_connection().fetch(
        f"select {_ITEM}, {_APPEAL} from core_assessment_item i left join core_assessment_appeal a on a.item_id = i.id "
        "where ($1::date is null or i.month = $1) and ($2::bigint is null or i.staff_id = $2) and ($3::text is null or a.state = $3) "
        "order by i.month desc, i.staff_id, i.id limit $4", month, staff_id, appeals, limit)
    return await _items(rows)


async def get_item(item_id: int, *, staff_id: int | None = None) -> Item:
    rows = await current_connection().fetch(
        f"select {_ITEM}, {_APPEAL} from core_assessment_item i left join core_assessment_appeal a on a.item_id = i.id "
        "where i.id = $1 and ($2::bigint is null or i.staff_id = $2)", item_id, staff_id)
    if not rows:
        raise NotFound("item")
    return (await _items(rows))[0]
