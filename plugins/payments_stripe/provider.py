"""Cards through Stripe: a PaymentIntent per payment, webhooks verified with the endpoint's
signing secret and a timestamp tolerance, query, cancel and refunds.

The SDK's synchronous client runs in a worker thread. Every create carries an idempotency key
(our payment or refund number), so a retried request never charges or refunds twice.

Merchant check: a webhook is for the account whose signing secret verified it. Stripe names an
account only in Connect events (``account``); ours are direct, so a notification's merchant is
the event's ``account`` when present, otherwise the tenant's publishable key, and
``merchant_id(config)`` is that publishable key: a Connect event for some other account is
refused as the wrong merchant.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping
from urllib.parse import urlencode

import anyio.to_thread

from platform_core.plugin_api import (
    CheckoutAction,
    CheckoutPage,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentNotice,
    PaymentStatus,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
    TenantClients,
    current_tenant,
    lazy_module,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import StripeConfig

log = logging.getLogger("hearth.payments.stripe")
# Imported on the first payment, not in every web process (~25 MB).
stripe = lazy_module("stripe")

NAME = "stripe"
PLUGIN = "payments_stripe"
CURRENCIES = ("HKD", "CNY")  # what the ledger keeps; both have two decimals at Stripe too
TOLERANCE = 300  # seconds a webhook may be old: older ones may be replays
TIMEOUT = 15

_EVENT_STATUS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "closed",
}
# What the card form of Stripe.js loads: its script, its frames and its API (Stripe's CSP guide).
STRIPE_JS_SOURCES = {
    "script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
    "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}
_INTENT_STATUS = {"succeeded": "succeeded", "canceled": "closed"}  # any other status can still be paid: pending
_REFUND_STATUS = {"succeeded": "succeeded", "pending": "pending", "requires_action": "pending", "failed": "failed", "canceled": "failed"}


def _client(config: StripeConfig) -> stripe.StripeClient:
    return stripe.StripeClient(config.secret_key, base_addresses={"api": config.api_base} if config.api_base else None,
                               http_client=stripe.new_default_http_client(timeout=TIMEOUT))


# The franchise's client (its HTTP session is reused), rebuilt when its config changes.
client: TenantClients[stripe.StripeClient] = TenantClients(_client)


async def _call(what: str, fn, *args, **kwargs) -> Any:
    """Run an SDK call in a thread. Requests Stripe refused pass through as InvalidRequestError;
    anything else (network, auth, Stripe's own trouble) becomes a ProviderError."""
    try:
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
    except stripe.InvalidRequestError:
        raise
    except stripe.StripeError as exc:
        log.warning("stripe %s failed", what, extra={"error": type(exc).__name__, "code": exc.code})
        raise ProviderError(f"Stripe did not answer the {what} request ({type(exc).__name__}).") from None


async def _retrieve(config: StripeConfig, intent_id: str):
    """The PaymentIntent, or None when Stripe has none by that id."""
    if not intent_id:
        return None
    try:
        return await _call("query", client(config).v1.payment_intents.retrieve, intent_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise ProviderError(f"Stripe could not say how the payment stands ({_refused(exc)}).") from None


def _refused(exc: stripe.InvalidRequestError) -> str:
    return f"{exc.code or 'invalid_request'}: {exc.user_message or 'refused'}"[:300]


class StripeProvider:
    name = NAME
    plugin = PLUGIN
    label = N_("Card (Stripe)")
    icon = "card"

    def configured(self, config: StripeConfig | None) -> bool:
        return bool(config and config.secret_key and config.publishable_key and config.webhook_secret)

    def supports(self, config: StripeConfig, device: Device, currency: str) -> bool:
        return currency in CURRENCIES

    def merchant_id(self, config: StripeConfig) -> str:
        return config.publishable_key

    async def create(self, config: StripeConfig, request: CheckoutRequest) -> CheckoutAction:
        try:
            intent = await _call("create", client(config).v1.payment_intents.create, params={
                "amount": request.amount, "currency": request.currency.lower(),
                "metadata": {"payment_no": request.payment_no, "tenant": current_tenant().slug},
            }, options={"idempotency_key": request.payment_no})
        except stripe.InvalidRequestError as exc:
            raise ProviderError(f"Stripe refused the payment ({_refused(exc)}).") from None
        # The sandbox's page stands in for Stripe.js confirming the intent (sandbox.config.stripe_pay_url).
        url = f"{config.hosted_page_base.rstrip('/')}/pay/stripe/{intent.id}" if config.hosted_page_base else ""
        if url and request.return_url:
            url += "?" + urlencode({"return_url": request.return_url})
        return CheckoutAction(kind="client_secret", method="intent", url=url, provider_ref=intent.id,
                              params={"client_secret": intent.client_secret, "publishable_key": config.publishable_key})

    def checkout_page(self, action: CheckoutAction) -> CheckoutPage | None:
        # With a hosted page (the sandbox's), the customer pays there: the payment page links to it.
        return None if action.url else CheckoutPage(template="payments_stripe/checkout.html", sources=STRIPE_JS_SOURCES)

    async def parse_notification(self, config: StripeConfig, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        header = headers.get("stripe-signature", "")
        try:
            stripe.WebhookSignature.verify_header(body, header, config.webhook_secret)  # the signature alone
        except stripe.SignatureVerificationError:
            raise NotificationRefused("signature", "Stripe-Signature does not match") from None
        except UnicodeDecodeError:
            raise NotificationRefused("malformed", "not UTF-8") from None
        try:
            event = stripe.Webhook.construct_event(body, header, config.webhook_secret, tolerance=TOLERANCE).to_dict()
        except stripe.SignatureVerificationError:
            # Genuine but signed more than TOLERANCE seconds ago: a replay, or held up somewhere.
            raise NotificationRefused("stale", f"signed outside {TOLERANCE}s") from None
        except ValueError:
            raise NotificationRefused("malformed", "not a JSON event") from None
        kind = event.get("type", "")
        if not kind.startswith("payment_intent."):
            raise NotificationRefused("malformed", f"unexpected event {kind[:60]}")
        try:
            intent = event["data"]["object"]
            notice = PaymentNotice(
                event_id=event["id"], payment_no=(intent.get("metadata") or {})["payment_no"],
                # Other payment_intent events (created, processing, requires_action) change nothing.
                status=_EVENT_STATUS.get(kind, "pending"), amount=intent["amount"], currency=intent["currency"].upper(),
                merchant_id=event.get("account") or config.publishable_key, provider_ref=intent["id"],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise NotificationRefused("malformed", f"missing {exc.args[0] if exc.args else 'field'}") from None
        if not isinstance(notice.amount, int) or isinstance(notice.amount, bool):
            raise NotificationRefused("malformed", "amount is not in minor units")
        return notice

    def reply(self, config: StripeConfig | None, accepted: bool) -> ProviderReply:
        # Stripe wants any 2xx; anything else is retried (for up to three days).
        return ProviderReply(status_code=200 if accepted else 400, body=b"{}" if accepted else b'{"error":"refused"}',
                             media_type="application/json")

    async def query(self, config: StripeConfig, payment_no: str, provider_ref: str) -> PaymentStatus:
        intent = await _retrieve(config, provider_ref)
        if intent is None:
            return PaymentStatus(status="missing")
        return PaymentStatus(status=_INTENT_STATUS.get(intent.status, "pending"), amount=intent.amount,
                             currency=intent.currency.upper(), provider_ref=intent.id)

    async def close(self, config: StripeConfig, payment_no: str, provider_ref: str) -> None:
        intent_id = provider_ref
        if not intent_id:
            return
        try:
            await _call("close", client(config).v1.payment_intents.cancel, intent_id)
        except stripe.InvalidRequestError as exc:
            # Cancelling an intent that is already cancelled is refused: that is closed too.
            intent = await _retrieve(config, intent_id)
            if intent is not None and intent.status != "canceled":
                raise ProviderError(f"Stripe did not cancel the payment ({_refused(exc)}).") from None

    async def refund(self, config: StripeConfig, request: RefundRequest) -> RefundResult:
        intent_id = request.provider_ref
        try:
            # Always an explicit amount: without one the rest of the charge is refunded (localstripe
            # even refunds the whole charge again after a partial refund).
            refund = await _call("refund", client(config).v1.refunds.create, params={
                "payment_intent": intent_id, "amount": request.amount,
                "metadata": {"payment_no": request.payment_no, "refund_no": request.refund_no},
            }, options={"idempotency_key": request.refund_no})
        except stripe.InvalidRequestError as exc:
            return RefundResult(status="failed", message=_refused(exc))
        return RefundResult(status=_REFUND_STATUS.get(refund.status, "pending"), provider_ref=refund.id,
                            message=getattr(refund, "failure_reason", None) or "")
