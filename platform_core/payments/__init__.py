"""Payments: the provider contract that payment plugins implement, payment and refund records,
notifications that change money at most once, refunds and reconciliation. See docs/payments.md."""

from platform_core.money import from_minor, to_minor

from .provider import (
    CheckoutAction,
    CheckoutPage,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentNotice,
    PaymentProvider,
    PaymentStatus,
    PaymentUnavailable,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
)

__all__ = [
    "CheckoutAction", "CheckoutPage", "CheckoutRequest", "Device", "NotificationRefused", "PaymentNotice", "PaymentProvider",
    "PaymentStatus", "PaymentUnavailable", "ProviderError", "ProviderReply", "RefundRequest", "RefundResult", "from_minor", "to_minor",
]
