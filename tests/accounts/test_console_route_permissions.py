"""Every console route, for every role, answers as the roles matrix says (docs/console-roles.md).

The routes are read from the running app, so a new console page without a line below fails here
until someone decides which permission it needs. Each manual order event is walked on its own:
its permission is checked in the handler, not by the route's guard.
"""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS, ROLES
from platform_core.db import current_connection
from platform_core.orders.console_views import CONSOLE_EVENTS
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_booking,
    make_console_user,
    order_state,
    post_form,
    signed_in,
)

ANYONE = "any signed-in console user"
PUBLIC = "no sign-in"

# The matrix, by route name: what a role must hold to get past the door.
REQUIRED: dict[str, str] = {
    "console-sign-in": PUBLIC, "console-sign-in-submit": PUBLIC, "console-sign-in-2fa": PUBLIC,
    "console-sign-in-2fa-submit": PUBLIC,
    "console-sign-out": ANYONE, "console-security": ANYONE, "console-totp-start": ANYONE, "console-totp-confirm": ANYONE,
    "console-recovery-codes": ANYONE, "console-totp-disable": ANYONE, "console-password": ANYONE,
    "console-dashboard": "console.view",
    "console-users": "users.manage", "console-users-create": "users.manage", "console-users-update": "users.manage",
    "console-roles": "users.manage",
    "console-plugins": "plugins.manage", "console-plugins-toggle": "plugins.manage", "console-plugins-config": "plugins.manage",
    "console-payments": "finance.view", "console-payment-refusals": "finance.view", "console-payment": "finance.view",
    "console-order-payments": "finance.view", "console-ledger": "finance.view",
    "console-payment-refund": "finance.manage", "console-ledger-rates": "finance.manage",
    "console-withdrawals": "finance.view", "console-payout": "finance.view", "console-payouts": "finance.view",
    "console-payout-settings": "finance.view", "console-payout-approve": "finance.manage", "console-payout-reject": "finance.manage",
    "console-payout-query": "finance.manage", "console-payout-settings-save": "finance.manage",
    "console-staff-payout-account": "finance.manage", "console-staff-payout-account-save": "finance.manage",
    "console-statements": "finance.view", "console-statement": "finance.view", "console-statement-csv": "finance.view",
    "console-staff-adjustments": "finance.view",
    "console-statements-draw": "finance.manage", "console-statement-confirm": "finance.manage",
    "console-statement-redraw": "finance.manage", "console-statements-pay": "finance.manage",
    "console-statement-transfer": "finance.manage", "console-statements-bank-batch": "finance.manage",
    "console-staff-pay-settings": "finance.manage", "console-staff-pay-settings-save": "finance.manage",
    "console-staff-adjustment-propose": "finance.manage", "console-staff-adjustment-approve": "finance.manage",
    "console-staff-adjustment-reject": "finance.manage", "console-staff-bank": "finance.manage",
    "console-staff-bank-save": "finance.manage",
    "console-feedback": "support.manage", "console-feedback-detail": "support.manage",
    "console-feedback-answer": "support.manage", "console-feedback-close": "support.manage",
    "console-reviews": "support.manage", "console-review-reply": "support.manage", "console-review-hide": "support.manage",
    "console-review-show": "support.manage",
    "dispatch-board": "dispatch.manage", "dispatch-order": "dispatch.manage", "dispatch-assign": "dispatch.manage",
    "dispatch-batch": "dispatch.manage", "dispatch-settings": "dispatch.manage", "dispatch-settings-save": "dispatch.manage",
    "console-orders": "orders.view", "console-order-exceptions": "orders.view", "console-order": "orders.view",
    "console-booking-settings": "settings.manage", "console-booking-settings-save": "settings.manage",
    "console-legal": "settings.manage", "console-legal-document": "settings.manage", "console-legal-publish": "settings.manage",
    "console-verifications": "kyc", "console-verification": "kyc", "console-verification-reveal": "kyc",
    "console-verification-photo": "kyc", "console-verification-approve": "kyc", "console-verification-reject": "kyc",
    "console-verification-revoke": "kyc",
    "console-order-phone": "customers.view", "console-worker-places": "staff.manage",
    "console-customers": "customers.view", "console-customer": "customers.view", "console-customer-phone": "customers.view",
    "console-customer-note": "customers.view", "console-customer-freeze": "customers.manage",
    "console-customer-unfreeze": "customers.manage", "console-customer-close": "customers.manage",
    # issue 14 part a: qualifications
    "console-applications": "staff.manage", "console-application": "staff.manage", "console-application-document": "staff.manage",
    "console-application-notes": "staff.manage", "console-application-more": "staff.manage",
    "console-application-approve": "staff.manage", "console-application-reject": "staff.manage",
    "console-document-photo": "staff.manage", "console-requirements": "staff.manage", "console-requirements-add": "staff.manage",
    "console-requirements-delete": "staff.manage", "console-credential-kinds-add": "staff.manage",
    "console-credentials": "staff.manage", "console-credential-decide": "staff.manage", "console-worker-credentials": "staff.manage",
    "console-workers": "staff.manage", "console-workers-create": "staff.manage", "console-worker": "staff.manage",
    "console-worker-update": "staff.manage", "console-worker-status": "staff.manage", "console-worker-hours": "staff.manage",
    "console-worker-off": "staff.manage", "console-worker-off-delete": "staff.manage",
    "console-catalog": "catalog.manage", "console-catalog-category-create": "catalog.manage",
    "console-catalog-category": "catalog.manage", "console-catalog-category-update": "catalog.manage",
    "console-catalog-category-move": "catalog.manage", "console-catalog-category-active": "catalog.manage",
    "console-catalog-item-new": "catalog.manage", "console-catalog-item-create": "catalog.manage",
    "console-catalog-item": "catalog.manage", "console-catalog-item-update": "catalog.manage",
    "console-coupon-codes-csv": "marketing.manage",
    "console-coupon-templates": "marketing.manage", "console-coupon-template-new": "marketing.manage",
    "console-coupon-template-create": "marketing.manage", "console-coupon-template": "marketing.manage",
    "console-coupon-template-edit": "marketing.manage", "console-coupon-template-save": "marketing.manage",
    "console-coupon-template-status": "marketing.manage", "console-coupon-template-issue": "marketing.manage",
    "console-coupon-template-batch": "marketing.manage", "console-coupons": "marketing.manage",
    "console-coupon-revoke-confirm": "marketing.manage", "console-coupon-revoke": "marketing.manage",
    "console-discount-rules": "marketing.manage", "console-discount-rule-new": "marketing.manage",
    "console-discount-rule-create": "marketing.manage", "console-discount-rule": "marketing.manage",
    "console-discount-rule-save": "marketing.manage", "console-discount-rule-active": "marketing.manage",
    "console-segments": "marketing.manage", "console-segment-new": "marketing.manage", "console-segment-create": "marketing.manage",
    "console-segment": "marketing.manage", "console-segment-save": "marketing.manage", "console-segment-preview": "marketing.manage",
    "console-segment-delete": "marketing.manage",
    "console-campaigns": "marketing.manage", "console-campaign-new": "marketing.manage", "console-campaign-create": "marketing.manage",
    "console-campaign": "marketing.manage", "console-campaign-save": "marketing.manage", "console-campaign-confirm": "marketing.manage",
    "console-campaign-send": "marketing.manage", "console-campaign-schedule": "marketing.manage",
    "console-campaign-cancel": "marketing.manage",
    "console-channels": "marketing.manage", "console-channel-new": "marketing.manage", "console-channel-create": "marketing.manage",
    "console-channel": "marketing.manage", "console-channel-save": "marketing.manage", "console-channel-qr-png": "marketing.manage",
    "console-channel-qr-svg": "marketing.manage", "console-channel-print": "marketing.manage",
    # issue 14 part b: training
    "console-training": "staff.manage", "console-training-create": "staff.manage", "console-training-course": "staff.manage",
    "console-training-settings": "staff.manage", "console-training-lesson-add": "staff.manage", "console-training-lesson": "staff.manage",
    "console-training-question-add": "staff.manage", "console-training-question": "staff.manage", "console-training-move": "staff.manage",
    "console-training-publish": "staff.manage", "console-training-archive": "staff.manage", "console-training-required": "staff.manage",
    "console-training-due": "staff.manage", "console-training-nudge": "staff.manage", "console-training-worker": "staff.manage",
    "console-training-certificate": "staff.manage",
    # Assessment and service quality (issue 14 part C).
    "console-feedback-outcome": "support.manage",
    "console-quality": "staff.manage", "console-quality-watch": "staff.manage", "console-quality-unwatch": "staff.manage",
    "console-quality-note": "staff.manage", "console-quality-follow-up": "staff.manage", "console-scorecards": "staff.manage",
    "console-scorecards-compute": "staff.manage", "console-scorecards-apply": "staff.manage", "console-scorecard": "staff.manage",
    "console-quality-formula": "staff.manage", "console-quality-formula-save": "staff.manage", "console-quality-appeals": "staff.manage",
    "console-quality-appeal-decide": "staff.manage",
}
# The office's manual order actions, each behind its own permission (docs/booking.md).
EVENT_REQUIRED = {
    "mark_paid": "finance.manage", "cancel_by_franchise": "orders.manage", "report_no_show": "orders.manage",
    "open_dispute": "orders.manage", "resolve_redispatch": "orders.manage", "resolve_complete": "orders.manage",
}
JSON = {"accept": "application/json"}


def console_routes(app) -> list[tuple[str, str, str]]:
    """(method, path, route name) of every console route the app serves."""
    found = []
    for route in app.routes:
        if route.path.startswith("/console"):
            for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
                if method not in ("OPTIONS", "HEAD"):
                    found.append((method, route.path, handler.name))
    return sorted(found)


def concrete(path: str, number: str) -> str:
    """A path with its parameters filled: ids that do not exist (the door is what is tested)."""
    path = path.replace("{number:str}", number)
    path = re.sub(r"\{[a-z_]+:int\}", "987654321", path)
    return re.sub(r"\{[a-z_]+:str\}", "nothing", path)


def test_every_console_route_has_a_line_in_the_matrix(app):
    names = {name for _, _, name in console_routes(app)} - {"console-order-event"}
    assert names - set(REQUIRED) == set(), "a console route no line of the matrix covers"
    assert set(REQUIRED) - names == set(), "the matrix names a route the app no longer has"
    assert set(EVENT_REQUIRED) == set(CONSOLE_EVENTS)
    assert {p for p in REQUIRED.values() if "." in p} <= ALL_PERMISSIONS
    # Every permission opens something (customers.view: the customer's details on the order page).
    assert {*REQUIRED.values(), *EVENT_REQUIRED.values(), "customers.view"} >= ALL_PERMISSIONS


async def test_the_roles_page_lists_permissions_in_words(app, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        html = (await client.get("/console/roles")).text
    assert "See customers" in html and "Approve payouts and withdrawals" in html
    assert "customers.view" not in html and "console.view" not in html


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_through_exactly_the_doors_its_permissions_open(app, tenant_a, role):
    user = await make_console_user(tenant_a, role)
    granted = ROLE_PERMISSIONS[role]
    order = await make_booking(tenant_a, state="accepted")
    calls: list[tuple[str, str, str]] = []
    for method, path, name in console_routes(app):
        if name == "console-order-event":
            calls += [(method, path.replace("{event:str}", event), EVENT_REQUIRED[event]) for event in CONSOLE_EVENTS]
        else:
            calls.append((method, path, REQUIRED[name]))
    wrong = []
    for method, path, required in calls:
        url = concrete(path, order.number)
        # A fresh session per call: signing out or changing a password ends the one it came with.
        async with await signed_in(app, tenant_a, "console", user.id) as client:
            answer = await (client.get(url, headers=JSON) if method == "GET" else post_form(client, url, headers=JSON))
        if answer.status_code >= 500:
            wrong.append(f"{method} {url}: {answer.status_code}")
        elif required == PUBLIC:
            continue
        elif required == ANYONE or required in granted:
            if answer.status_code in (401, 403):
                wrong.append(f"{method} {url}: {answer.status_code}, but {role} holds {required}")
        elif answer.status_code != 403:
            wrong.append(f"{method} {url}: {answer.status_code}, but {role} lacks {required}")
    assert wrong == []


@pytest.mark.parametrize(("role", "state", "event"), [
    ("finance", "accepted", "report_no_show"), ("support", "accepted", "report_no_show"),
    ("finance", "completed", "open_dispute"), ("support", "completed", "open_dispute"),
])
async def test_finance_and_support_can_not_move_an_order_into_an_exception(app, tenant_a, role, state, event):
    order = await make_booking(tenant_a, state=state)
    user = await make_console_user(tenant_a, role)
    async with await signed_in(app, tenant_a, "console", user.id) as client:
        page = await client.get(f"/console/orders/{order.number}")
        refused = await post_form(client, f"/console/orders/{order.number}/events/{event}", {"note": "x"})
    assert page.status_code == 200 and f"/events/{event}" not in page.text
    assert refused.status_code == 403
    assert await order_state(tenant_a, order.order_id) == state


async def test_a_dispatcher_reports_a_no_show(app, tenant_a):
    order = await make_booking(tenant_a, state="accepted")
    user = await make_console_user(tenant_a, "dispatcher")
    async with await signed_in(app, tenant_a, "console", user.id) as client:
        page = await client.get(f"/console/orders/{order.number}")
        done = await post_form(client, f"/console/orders/{order.number}/events/report_no_show", {"note": "Nobody came"})
    assert "/events/report_no_show" in page.text
    assert done.status_code == 303
    assert await order_state(tenant_a, order.order_id) == "no_show"


async def test_finance_sees_the_order_but_not_who_or_where_the_customer_is(app, tenant_a):
    order = await make_booking(tenant_a, state="accepted")
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_order set requirements = 'Ring twice' where id = $1", order.order_id)
    finance = await make_console_user(tenant_a, "finance")
    support = await make_console_user(tenant_a, "support")
    async with await signed_in(app, tenant_a, "console", finance.id) as client:
        seen_by_finance = (await client.get(f"/console/orders/{order.number}")).text
    async with await signed_in(app, tenant_a, "console", support.id) as client:
        seen_by_support = (await client.get(f"/console/orders/{order.number}")).text
    assert order.number in seen_by_finance
    for secret in ("Ring twice", "1 Century Avenue", "李华"):
        assert secret not in seen_by_finance
        assert secret in seen_by_support
