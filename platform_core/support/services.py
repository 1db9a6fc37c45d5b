"""Customer feedback: a problem or a suggestion, about an order or not; the franchise answers and
closes it from the console, and the customer sees the answer (with an inbox entry)."""

from __future__ import annotations

import msgspec

from platform_core.accounts.console_services import console_user_names
from platform_core.accounts.services import customer_names, staff_names
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.orders.services import (
    get_order_by_number,
    live_staff_id,
    order_numbers,
)
from platform_core.pluginsys.calls import first
from platform_core.pluginsys.contexts import FeedbackEvent
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext, translations

from .schemas import (
    ComplaintDecision,
    ComplaintOutcome,
    ConsoleFeedback,
    Feedback,
    FeedbackCreate,
    FeedbackStatus,
    UpheldComplaint,
)

_SELECT = (
    "select f.id, f.kind, f.subject, f.body, f.order_id, f.customer_id, f.status, f.answer, f.answered_at, f.closed_at, "
    "f.created_at, f.assigned_to, f.outcome, f.outcome_staff_id, f.outcome_reason, f.outcome_by, f.outcome_at from core_feedback f"
)


async def _feedbacks(rows) -> list[Feedback]:
    """The rows as Feedback, each with its order's number (from orders)."""
    numbers = await order_numbers(r["order_id"] for r in rows if r["order_id"] is not None)
    return [
        msgspec.convert(
            {**{k: r[k] for k in Feedback.__struct_fields__ if k != "order_number"}, "order_number": numbers.get(r["order_id"])},
            Feedback,
        )
        for r in rows
    ]


async def send_feedback(customer_id: int, data: FeedbackCreate) -> Feedback:
    order_id = None
    if data.order_number:
        try:
            order_id = (await get_order_by_number(data.order_number.strip(), customer_id=customer_id)).id
        except NotFound:
            raise ValidationFailed({"order_number": "That is not one of your orders."}) from None
    subject, body = data.subject.strip(), data.body.strip()
    if not subject:
        raise ValidationFailed({"subject": "Give it a short title."})
    if not body:
        raise ValidationFailed({"body": "Tell us what happened or what you suggest."})
    assignee = await _assignee(customer_id, data.kind, order_id)
    feedback_id = await current_connection().fetchval(
        "insert into core_feedback (tenant_id, customer_id, order_id, kind, subject, body, assigned_to) "
        "values ($1, $2, $3, $4, $5, $6, $7) returning id",
        current_tenant().id, customer_id, order_id, data.kind, subject, body, assignee,
    )
    return await get_feedback(feedback_id, customer_id=customer_id)


async def _assignee(customer_id: int, kind: str, order_id: int | None) -> int | None:
    """The console user a plugin routes this feedback to (select_feedback_assignee), if they are
    an active user of the franchise."""
    tenant = current_tenant()
    event = FeedbackEvent(tenant=tenant, customer_id=customer_id, kind=kind, order_id=order_id)
    chosen = await first(current_runtime().hooks(tenant).select_feedback_assignee, feedback=event)
    if not isinstance(chosen, int) or isinstance(chosen, bool):
        return None
    return chosen if chosen in await console_user_names([chosen], active_only=True) else None


async def get_feedback(feedback_id: int, *, customer_id: int | None = None) -> Feedback:
    """One feedback; with `customer_id`, only that customer's (another's is not found)."""
    row = await current_connection().fetchrow(
        f"{_SELECT} where f.id = $1 and ($2::bigint is null or f.customer_id = $2)", feedback_id, customer_id,
    )
    if row is None:
        raise NotFound("feedback")
    return (await _feedbacks([row]))[0]


async def feedback_of_customer(customer_id: int, limit: int = 100) -> list[Feedback]:
    rows = await current_connection().fetch(
        f"{_SELECT} where f.customer_id = $1 order by f.created_at desc, f.id desc limit $2", customer_id, limit,
    )
    return await _feedbacks(rows)


# --------------------------------------------------------------------------- the console


async def _console(rows, *, with_worker: bool = False) -> list[ConsoleFeedback]:
    """The rows with who sent each, who it is assigned to and its outcome (names from accounts);
    `with_worker`: also the order's current worker, whom an upheld complaint would count against."""
    names = await customer_names(r["customer_id"] for r in rows)
    order_staff = {r["id"]: await live_staff_id(r["order_id"]) for r in rows if with_worker and r["order_id"] is not None}
    agents = await console_user_names([*(r["assigned_to"] for r in rows if r["assigned_to"] is not None),
                                       *(r["outcome_by"] for r in rows if r["outcome_by"] is not None)])
    workers = await staff_names([*(r["outcome_staff_id"] for r in rows if r["outcome_staff_id"]), *(s for s in order_staff.values() if s)])

    def outcome(r) -> ComplaintOutcome | None:
        if r["outcome"] is None:
            return None
        return ComplaintOutcome(outcome=r["outcome"], staff_id=r["outcome_staff_id"], staff_name=workers.get(r["outcome_staff_id"], ""),
                                reason=r["outcome_reason"], decided_by=r["outcome_by"], decided_by_name=agents.get(r["outcome_by"], ""),
                                decided_at=r["outcome_at"])

    return [
        ConsoleFeedback(feedback=feedback, customer_id=r["customer_id"], customer_name=names.get(r["customer_id"], ""),
                        assigned_to=r["assigned_to"], assignee_name=agents.get(r["assigned_to"], "") if r["assigned_to"] else "",
                        outcome=outcome(r), order_staff_id=order_staff.get(r["id"]),
                        order_staff_name=workers.get(order_staff.get(r["id"]) or 0, ""))
        for r, feedback in zip(rows, await _feedbacks(rows))
    ]


async def inbox(status: FeedbackStatus | None = None, limit: int = 200) -> list[ConsoleFeedback]:
    """The console inbox, open first, newest first; `status` filters."""
    rows = await current_connection().fetch(
        f"{_SELECT} where ($1::text is null or f.status = $1) "
        "order by (f.status = 'open') desc, f.created_at desc, f.id desc limit $2",
        status, limit,
    )
    return await _console(rows)


async def inbox_item(feedback_id: int) -> ConsoleFeedback:
    row = await current_connection().fetchrow(f"{_SELECT} where f.id = $1", feedback_id)
    if row is None:
        raise NotFound("feedback")
    return (await _console([row], with_worker=True))[0]


async def open_count() -> int:
    return await current_connection().fetchval("select count(*) from core_feedback where status = 'open'")


async def answer_feedback(feedback_id: int, console_user_id: int, answer: str, *, close: bool = False) -> ConsoleFeedback:
    """Answer (or answer again); the customer gets an inbox entry linking to it."""
    answer = answer.strip()
    if not answer:
        raise ValidationFailed({"answer": "Write an answer."})
    row = await current_connection().fetchrow(
        "update core_feedback set answer = $2, answered_by = $3, answered_at = now(), "
        "status = case when $4 then 'closed' else 'answered' end, closed_at = case when $4 then now() else closed_at end "
        "where id = $1 and status <> 'closed' returning customer_id, subject",
        feedback_id, answer, console_user_id, close,
    )
    if row is None:
        await inbox_item(feedback_id)  # NotFound when it does not exist
        raise Conflict("This feedback is closed.")
    await add_notification(NotificationCreate(
        recipient_kind="customer", recipient_id=row["customer_id"],
        title=translations(current_tenant().locale).ugettext(lazy_gettext("We answered your feedback")),
        body=row["subject"][:200], link=f"/account/feedback/{feedback_id}",
    ))
    return await inbox_item(feedback_id)


async def close_feedback(feedback_id: int) -> ConsoleFeedback:
    found = await current_connection().fetchval(
        "update core_feedback set status = 'closed', closed_at = coalesce(closed_at, now()) where id = $1 returning id", feedback_id,
    )
    if found is None:
        raise NotFound("feedback")
    return await inbox_item(feedback_id)


# --------------------------------------------------------------------------- complaint outcomes


async def decide_complaint(feedback_id: int, console_user_id: int, decision: ComplaintDecision) -> ConsoleFeedback:
    """Uphold a problem report about an order against the order's worker, or not, with a reason.
    Decided once: a second decision (or two offices racing) is a Conflict, so a worker's
    scorecard and penalties never count one complaint twice."""
    row = await current_connection().fetchrow(
        "select kind, order_id, outcome from core_feedback where id = $1 for update", feedback_id)
    if row is None:
        raise NotFound("feedback")
    if row["kind"] != "problem" or row["order_id"] is None:
        raise ValidationFailed({"outcome": "Only a problem report about an order can be upheld or not."})
    if row["outcome"] is not None:
        raise Conflict("This complaint was already decided.")
    reason = decision.reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "Say why: the worker sees it if it is upheld."})
    staff_id = await live_staff_id(row["order_id"])
    if decision.outcome == "upheld" and staff_id is None:
        raise ValidationFailed({"outcome": "The order has no worker to uphold it against."})
    await current_connection().execute(
        "update core_feedback set outcome = $2, outcome_staff_id = $3, outcome_reason = $4, outcome_by = $5, outcome_at = now() "
        "where id = $1", feedback_id, decision.outcome, staff_id if decision.outcome == "upheld" else None, reason, console_user_id)
    return await inbox_item(feedback_id)


async def upheld_complaints(starts, ends, *, staff_id: int | None = None) -> list[UpheldComplaint]:
    """Complaints upheld between `starts` (included) and `ends` (excluded), by decision time."""
    rows = await current_connection().fetch(
        "select id, outcome_staff_id, order_id, subject, outcome_reason, outcome_at from core_feedback "
        "where outcome = 'upheld' and outcome_at >= $1 and outcome_at < $2 and ($3::bigint is null or outcome_staff_id = $3) "
        "order by outcome_at, id", starts, ends, staff_id)
    return [UpheldComplaint(feedback_id=r["id"], staff_id=r["outcome_staff_id"], order_id=r["order_id"], subject=r["subject"],
                            reason=r["outcome_reason"], decided_at=r["outcome_at"]) for r in rows]


async def problem_report_count(starts, ends) -> int:
    """Problem reports about an order sent between `starts` and `ends` (the complaint rate's numerator)."""
    return await current_connection().fetchval(
        "select count(*) from core_feedback where kind = 'problem' and order_id is not null and created_at >= $1 and created_at < $2",
        starts, ends)
