"""The order state machine, declared: states (with the name people read and the badge tone pages
show), and for each event its sources, target, who may fire it and the guards that must hold.
Services fire events through `transition()` in services.py, which writes the timeline row and
refuses a second concurrent transition from the same state.

A category plugin may add states through the `register_order_states` hook (elder care's trial);
each carries its own label and tone.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from platform_core.pluginsys.contexts import BadgeTone
from platform_core.web.i18n import lazy_gettext as N_

Actor = Literal["customer", "staff", "console", "system", "plugin"]

PENDING_PAYMENT = "pending_payment"
PAID = "paid"  # payment settled or arranged (pay after the service): ready for dispatch
ASSIGNED = "assigned"  # offered to a worker, waiting for the answer
ACCEPTED = "accepted"
EN_ROUTE = "en_route"
IN_SERVICE = "in_service"
COMPLETED = "completed"
CANCELLED = "cancelled"
# Exception states, resolved from the console.
DISPATCH_FAILED = "dispatch_failed"  # nobody eligible accepted: the console's exception queue
NO_SHOW = "no_show"
DISPUTED = "disputed"


class State(msgspec.Struct, frozen=True, kw_only=True):
    """A state as every page shows it: `label` is an English msgid (how customers and the office
    read it), `tone` the badge colour of the design system (`.badge--{tone}`; None: plain)."""

    name: str
    label: str
    tone: BadgeTone | None = None
    # How the customer reads it, where it differs: plain words, not dispatch's steps.
    customer_label: str = ""

    @property
    def for_customer(self) -> str:
        return self.customer_label or self.label


# Offers passing between workers are the office's business: the customer hears when one accepts.
OFFICE_ONLY_EVENTS = frozenset({"assign", "decline", "offer_expired", "reassign", "office_alert"})
ARRANGING = N_("Arranging your worker")

CORE_STATES: tuple[State, ...] = (
    State(name=PENDING_PAYMENT, label=N_("Awaiting payment"), tone="warning"),
    State(name=PAID, label=N_("Finding a worker"), tone="info", customer_label=ARRANGING),
    State(name=ASSIGNED, label=N_("Waiting for the worker"), tone="info", customer_label=ARRANGING),
    State(name=ACCEPTED, label=N_("Worker confirmed"), tone="brand"),
    State(name=EN_ROUTE, label=N_("On the way"), tone="brand"),
    State(name=IN_SERVICE, label=N_("In service"), tone="brand"),
    State(name=COMPLETED, label=N_("Completed"), tone="success"),
    State(name=CANCELLED, label=N_("Cancelled")),
    State(name=DISPATCH_FAILED, label=N_("No worker found"), tone="danger", customer_label=N_("Please choose another time")),
    State(name=NO_SHOW, label=N_("Worker did not show up"), tone="danger"),
    State(name=DISPUTED, label=N_("In dispute"), tone="danger"),
)
STATES = tuple(s.name for s in CORE_STATES)
FINAL_STATES = frozenset({COMPLETED, CANCELLED})
EXCEPTION_STATES = frozenset({DISPATCH_FAILED, NO_SHOW, DISPUTED})

# Guards are named here and implemented in services.py (they need the order and the actor). A
# `has_permission_*` guard binds only console users; every event the console may fire carries one
# (tests/orders: a console event without one would be open to every role).
Guard = Literal[
    "is_order_customer",  # the actor is the order's customer
    "is_assigned_staff",  # the actor is the worker of the live assignment
    "has_permission_orders_manage",
    "has_permission_dispatch_manage",
    "has_permission_finance_manage",
    "has_permission_customers_view",
    "within_cancellation_rules",  # the customer may still cancel (the fee is computed by the rules)
    "has_live_assignment",
    "not_paid",
    "within_item_limits",  # the quantity is within the item's limits (no ¥4,999,950 for 99,999 hours)
]


PERMISSION_GUARDS: dict[str, str] = {
    "has_permission_orders_manage": "orders.manage",
    "has_permission_dispatch_manage": "dispatch.manage",
    "has_permission_finance_manage": "finance.manage",
    "has_permission_customers_view": "customers.view",
}


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    event: str
    sources: frozenset[str]
    target: str | None  # None: the state stays (an action recorded on the timeline)
    actors: frozenset[Actor]
    guards: tuple[Guard, ...] = ()
    label: str = ""  # an English msgid for the timeline


def _t(event: str, sources: set[str], target: str | None, actors: set[str], guards: tuple = (), label: str = "") -> Transition:
    return Transition(event=event, sources=frozenset(sources), target=target, actors=frozenset(actors), guards=guards, label=label)  # type: ignore[arg-type]


LIVE = {PENDING_PAYMENT, PAID, ASSIGNED, ACCEPTED, EN_ROUTE, IN_SERVICE, DISPATCH_FAILED, NO_SHOW, DISPUTED}

TRANSITIONS: tuple[Transition, ...] = (
    _t("place", set(), PENDING_PAYMENT, {"customer"}, label=N_("Order placed")),
    _t("pay", {PENDING_PAYMENT}, PAID, {"system", "plugin"}, label=N_("Paid")),
    _t("pay_after_service", {PENDING_PAYMENT}, PAID, {"customer", "system"}, ("is_order_customer",), label=N_("Pay after the service")),
    _t("mark_paid", LIVE | {COMPLETED}, None, {"console"}, ("has_permission_finance_manage", "not_paid", "within_item_limits"), label=N_("Marked paid")),
    _t("assign", {PAID, DISPATCH_FAILED, NO_SHOW}, ASSIGNED, {"system", "console", "customer"},
       ("has_permission_dispatch_manage", "has_live_assignment"), label=N_("Offered to a worker")),
    _t("accept", {ASSIGNED}, ACCEPTED, {"staff"}, ("is_assigned_staff",), label=N_("Accepted by the worker")),
    _t("decline", {ASSIGNED}, PAID, {"staff"}, ("is_assigned_staff",), label=N_("Declined by the worker")),
    _t("offer_expired", {ASSIGNED}, PAID, {"system"}, label=N_("The worker did not answer in time")),
    _t("reassign", {ASSIGNED, ACCEPTED}, ASSIGNED, {"console"}, ("has_permission_dispatch_manage", "has_live_assignment"), label=N_("Reassigned by the office")),
    _t("dispatch_failed", {PAID}, DISPATCH_FAILED, {"system"}, label=N_("No worker available")),
    # Dispatch's deadline drew near without a worker: the office is alerted (the state stays).
    _t("office_alert", {PAID, ASSIGNED}, None, {"system"}, label=N_("The office was asked to find a worker")),
    # Nobody was found by the deadline: the customer picks another time, or the full refund
    # (which the system takes for them at the time of the visit).
    _t("reschedule", {DISPATCH_FAILED}, PAID, {"customer"}, ("is_order_customer",), label=N_("Moved to another time")),
    _t("refund_no_worker", {DISPATCH_FAILED}, CANCELLED, {"customer", "system"}, ("is_order_customer",),
       label=N_("Cancelled at no charge: no worker was found")),
    _t("depart", {ACCEPTED}, EN_ROUTE, {"staff"}, ("is_assigned_staff",), label=N_("On the way")),
    _t("arrive", {EN_ROUTE}, IN_SERVICE, {"staff"}, ("is_assigned_staff",), label=N_("Arrived, service started")),
    _t("complete", {IN_SERVICE}, COMPLETED, {"staff"}, ("is_assigned_staff",), label=N_("Service completed")),
    _t("cancel", {PENDING_PAYMENT, PAID, ASSIGNED, ACCEPTED, DISPATCH_FAILED}, CANCELLED, {"customer"},
       ("is_order_customer", "within_cancellation_rules"), label=N_("Cancelled by the customer")),
    _t("payment_timeout", {PENDING_PAYMENT}, CANCELLED, {"system"}, label=N_("Cancelled: not paid in time")),
    _t("cancel_by_franchise", LIVE, CANCELLED, {"console", "system"}, ("has_permission_orders_manage",), label=N_("Cancelled by the franchise")),
    _t("report_no_show", {ACCEPTED, EN_ROUTE}, NO_SHOW, {"console", "customer"}, ("is_order_customer", "has_permission_orders_manage"),
       label=N_("The worker did not show up")),
    _t("open_dispute", {IN_SERVICE, COMPLETED}, DISPUTED, {"customer", "console"}, ("is_order_customer", "has_permission_orders_manage"),
       label=N_("Dispute opened")),
    _t("resolve_redispatch", {NO_SHOW}, PAID, {"console"}, ("has_permission_orders_manage",), label=N_("Sent back to dispatch")),
    _t("resolve_complete", {DISPUTED}, COMPLETED, {"console"}, ("has_permission_orders_manage",), label=N_("Dispute resolved")),
    # Actions kept on the timeline (the state stays): the customer's word that the work is done,
    # and an office user reading the customer's full phone number (who and when is the record).
    _t("confirm_completion", {COMPLETED}, None, {"customer"}, ("is_order_customer",), label=N_("Completion confirmed by the customer")),
    _t("reveal_phone", set(STATES), None, {"console"}, ("has_permission_customers_view",), label=N_("Customer's phone number viewed")),
)


class StateMachine:
    """The transitions for one category: the core's plus those a plugin declares for it."""

    def __init__(self, transitions: tuple[Transition, ...] = TRANSITIONS, extra_states: tuple[State, ...] = ()) -> None:
        self.transitions = {t.event: t for t in transitions}
        self.states = CORE_STATES + extra_states

    def get(self, event: str) -> Transition | None:
        return self.transitions.get(event)

    def console_permission(self, event: str) -> str | None:
        """The permission a console user needs to fire `event` (None: not a console event)."""
        transition = self.transitions.get(event)
        if transition is None or "console" not in transition.actors:
            return None
        return next((PERMISSION_GUARDS[g] for g in transition.guards if g in PERMISSION_GUARDS), None)

    def events_from(self, state: str, actor: Actor) -> list[Transition]:
        """What `actor` could fire now (guards aside): drives the buttons a page shows."""
        return [t for t in self.transitions.values() if state in t.sources and actor in t.actors]


def _declared(spec) -> State:
    """A plugin's state as pages show it; without a label, its name."""
    return State(name=spec.state, label=spec.label or spec.state, tone=spec.tone)


def machine_for(category: str, specs: list) -> StateMachine:
    """The core machine extended with plugin states for `category` (OrderStateSpec list: state,
    after, label, tone, transitions as dicts with event, sources, target, actors, label)."""
    extra_states: list[State] = []
    transitions = list(TRANSITIONS)
    for spec in specs:
        if spec.category != category:
            continue
        extra_states.append(_declared(spec))
        for raw in spec.transitions:
            transitions.append(msgspec.convert(raw, Transition))
    return StateMachine(tuple(transitions), tuple(extra_states))


def all_states(specs: list) -> dict[str, State]:
    """Every state an order can be in, the core's and those plugins declare for any category, by
    name: what lists, filters and badges show. A plugin's state follows the one it names in
    `after` (at the end if that is not known); the first declaration of a name wins."""
    ordered = list(CORE_STATES)
    for spec in specs:
        if any(s.name == spec.state for s in ordered):
            continue
        names = [s.name for s in ordered]
        at = names.index(spec.after) + 1 if spec.after in names else len(ordered)
        ordered.insert(at, _declared(spec))
    return {s.name: s for s in ordered}
