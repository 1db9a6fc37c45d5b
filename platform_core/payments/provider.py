"""The contract between the payments core and a provider plugin.

A provider plugin returns objects implementing `PaymentProvider` from its
`provide_payment_providers` hook. The core decides *whether* money moved (it verifies the
merchant, the payment, the exact amount and deduplicates); the provider only speaks its
protocol: it builds the checkout, checks signatures and parses notifications, queries, closes and
refunds through the provider's own SDK. Every method gets the tenant's decoded plugin config
(credentials included) and must not log secrets or whole notification bodies.

SDKs are synchronous: run their calls with `anyio.to_thread.run_sync`, never on the event loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import (
    Any,
    Callable,
    Generic,
    Literal,
    Mapping,
    Protocol,
    TypeVar,
    runtime_checkable,
)

import msgspec

from platform_core.tenancy.context import current_tenant_or_none
from platform_core.web.device import Device


class CheckoutRequest(msgspec.Struct, frozen=True, kw_only=True):
    payment_no: str  # our number for this attempt: the provider's out_trade_no
    amount: int  # minor units
    currency: str
    subject: str  # shown on the customer's statement
    device: Device
    client_ip: str
    notify_url: str  # /payments/notify/{provider}/{tenant}, absolute
    return_url: str  # where the customer's browser comes back to
    expires_at: datetime
    openid: str | None = None  # the payer in WeChat (JSAPI), when the client sent it
    customer_id: int | None = None  # who pays (a provider may look up their identity, e.g. the openid)


class CheckoutAction(msgspec.Struct, frozen=True, kw_only=True):
    """What the checkout page does next.

    - ``redirect``: send the browser to ``url`` (Alipay's cashier, WeChat H5's ``mweb_url``).
    - ``qr``: show ``url`` as a QR code to scan with the phone (WeChat NATIVE ``code_url``).
    - ``jsapi``: call ``WeixinJSBridge.invoke('getBrandWCPayRequest', params)`` in WeChat.
    - ``client_secret``: confirm a Stripe PaymentIntent with Stripe.js; ``params`` holds
      ``client_secret`` and ``publishable_key``; ``url`` may name a hosted page instead.
    """

    kind: Literal["redirect", "qr", "jsapi", "client_secret"]
    method: str  # the provider's own name for it: native, jsapi, h5, page, wap, intent
    url: str = ""
    params: dict[str, str] = {}
    provider_ref: str = ""  # prepay_id, PaymentIntent id ...


class CheckoutPage(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's own part of the payment page (/payments/{payment_no}), for an action the
    customer completes there: a QR code to scan, a button that asks the wallet app, a card form.

    ``template`` is one of the plugin's templates (``register_template_dirs``), included with
    ``payment``, ``action`` and, for a ``qr`` action, ``qr`` (the code as inline SVG) in its
    context. Pages are sent with a Content-Security-Policy that refuses inline scripts and
    styles: the template loads its scripts from the plugin's static folder
    (``register_static_dirs``, ``/static/p/{plugin}/``), and ``sources`` names what else the page
    must allow, by CSP directive (a provider's own script and frames, e.g.
    ``{"script-src": ("https://js.example.com",)}``).
    """

    template: str
    sources: dict[str, tuple[str, ...]] = {}


class PaymentNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A notification whose signature checked out, parsed. The core still checks the merchant,
    the payment and the amount before anything changes."""

    event_id: str  # the provider's id of this event: duplicates carry the same one
    payment_no: str
    status: Literal["succeeded", "failed", "closed", "pending"]
    amount: int  # minor units, converted exactly (see money.to_minor)
    currency: str
    merchant_id: str  # the mch_id / app_id / account the notification is for
    provider_ref: str = ""  # transaction_id, trade_no, PaymentIntent id


class PaymentStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What a query answered. ``missing``: the provider never saw this payment number."""

    status: Literal["pending", "succeeded", "closed", "failed", "refunded", "missing"]
    amount: int | None = None
    currency: str | None = None
    provider_ref: str = ""


class RefundRequest(msgspec.Struct, frozen=True, kw_only=True):
    payment_no: str
    refund_no: str  # our number; sending it again must not refund twice
    amount: int
    payment_amount: int  # the payment's whole amount (WeChat wants both)
    currency: str
    reason: str
    provider_ref: str = ""


class RefundResult(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["succeeded", "pending", "failed"]
    provider_ref: str = ""
    message: str = ""  # the provider's reason on failure, for the console


class ProviderReply(msgspec.Struct, frozen=True, kw_only=True):
    """The exact HTTP answer the provider expects to a notification."""

    status_code: int = 200
    body: bytes = b""
    media_type: str = "text/plain"


class NotificationRefused(Exception):
    """Raised by `parse_notification` when a notification is not genuine or not readable.
    ``reason`` is one of: signature, malformed, stale (a timestamp outside the tolerance)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail[:300]


class ProviderError(Exception):
    """The provider could not be reached or refused a request; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message[:300]


class PaymentUnavailable(ProviderError):
    """The method can not be used for this request, though the provider is fine (WeChat Pay inside
    WeChat without the payer's openid). ``message`` is a msgid, shown to the customer.
    ``redirect``: a local page that makes it usable (a silent WeChat authorisation for the
    openid); the browser is sent there, with ``next`` back to the checkout."""

    def __init__(self, message: str, *, redirect: str = "") -> None:
        super().__init__(message)
        self.redirect = redirect


Client = TypeVar("Client")


class TenantClients(Generic[Client]):
    """One SDK client per franchise, kept by the process: building one parses the franchise's
    keys (loading an RSA key costs milliseconds; a notification's whole work otherwise less).

    `clients(config)` returns the current tenant's client for this config, built by `build(config)`
    on first use. An entry is keyed by the tenant and holds the config it was built from (a frozen
    Struct: equal only when every field is), so a franchise that changes its keys gets a new
    client on its next call and two franchises never share one, even with equal credentials.
    The least recently used go beyond `size` franchises. Outside any franchise (the CLI, a test)
    each call builds its own. Safe to call from SDK worker threads."""

    def __init__(self, build: Callable[[Any], Client], size: int = 1024) -> None:
        self._build, self._size = build, size
        self._entries: OrderedDict[int, tuple[Any, Client]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, config: Any) -> Client:
        tenant = current_tenant_or_none()
        if tenant is None:  # a CLI or test call outside any franchise: nothing to keep it for
            return self._build(config)
        tenant_id = tenant.id
        with self._lock:
            entry = self._entries.get(tenant_id)
            if entry is not None and entry[0] == config:
                self._entries.move_to_end(tenant_id)
                return entry[1]
        client = self._build(config)  # outside the lock: a slow build holds up no other franchise
        with self._lock:
            self._entries[tenant_id] = (config, client)
            self._entries.move_to_end(tenant_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return client


class TransferRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Money out of the merchant's account to a person (a withdrawal, a worker's pay). The
    provider's business id is ``transfer_no``: sending the same request again never pays twice."""

    transfer_no: str  # our payout's number: WeChat's out_bill_no, Alipay's out_biz_no
    amount: int  # minor units, what the person receives
    currency: str
    account_kind: Literal["wechat_openid", "alipay_login"]
    account: str  # the openid (for the merchant's app id) or the Alipay logon id (phone or email)
    real_name: str = ""  # the holder's verified name: Alipay checks it; WeChat from ¥2,000 up
    remark: str  # shown to the person, e.g. "阳光家政 提现"
    notify_url: str  # /payments/transfer-notify/{provider}/{tenant}, absolute
    app_id: str = ""  # the app the openid belongs to, when not the merchant's payment app


class TransferResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the provider said about a transfer: done, still under way (the result comes by a
    notification or a later query), or refused (nothing was paid; ``message`` says why)."""

    status: Literal["succeeded", "pending", "failed"]
    provider_ref: str = ""  # the provider's id of the transfer
    message: str = ""
    # Pending until the person confirms receipt in the provider's app: what that app's call
    # takes (WeChat's requestMerchantTransfer: mchId, appId, package). Empty otherwise. A provider
    # that returns it names, in its `confirm_template` attribute, its template for the earnings
    # page that asks the person to confirm (given `confirm` and `device`).
    confirm: dict[str, str] = {}


class TransferNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A verified transfer notification."""

    event_id: str  # the provider's id of this event: duplicates carry the same one
    transfer_no: str
    status: Literal["succeeded", "pending", "failed"]
    amount: int
    currency: str
    merchant_id: str
    provider_ref: str = ""
    message: str = ""


@runtime_checkable
class TransferProvider(Protocol):
    """A payment provider that also pays out (WeChat Pay's transfer to balance, Alipay's
    alipay.fund.trans.uni.transfer). Payouts offer the providers whose plugin is on and
    ``pays_out(config)``."""

    name: str
    plugin: str

    def pays_out(self, config: Any) -> bool:
        """Whether the tenant's credentials allow transfers (some merchants lack the product)."""

    async def transfer(self, config: Any, request: TransferRequest) -> TransferResult:
        """Send the money; idempotent by ``transfer_no``. Raises ProviderError when the provider
        could not be asked (the payout stays to be retried or queried)."""

    async def query_transfer(self, config: Any, transfer_no: str, provider_ref: str) -> TransferResult:
        """How a transfer stands; a transfer the provider never received is ``failed`` with
        message "missing". Raises ProviderError."""

    async def parse_transfer_notification(self, config: Any, headers: Mapping[str, str], body: bytes) -> TransferNotice:
        """Verify the signature and parse; answered with ``reply``. Raises NotificationRefused."""


@runtime_checkable
class PaymentProvider(Protocol):
    name: str  # the {provider} of the notify URL, stored on each payment: wechat, alipay, stripe
    plugin: str  # the plugin that brings it; its config holds the tenant's credentials
    label: str  # a msgid, e.g. N_("WeChat Pay")
    icon: str  # an icon name of the web design system

    def configured(self, config: Any) -> bool:
        """Whether the tenant filled in what this provider needs."""

    def supports(self, config: Any, device: Device, currency: str) -> bool:
        """Whether checkout offers it on this device for this currency."""

    def merchant_id(self, config: Any) -> str:
        """The merchant / app id notifications must be for."""

    async def create(self, config: Any, request: CheckoutRequest) -> CheckoutAction:
        """Create the payment at the provider. Raises ProviderError."""

    def checkout_page(self, action: CheckoutAction) -> CheckoutPage | None:
        """The provider's part of the payment page for an action `create` returned, or None when
        the customer pays on the provider's own page: the payment page then links to
        ``action.url``. Every action the page can not link to (``qr``, ``jsapi``, a
        ``client_secret`` without ``url``) needs one."""

    async def parse_notification(self, config: Any, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        """Verify the signature and parse. Raises NotificationRefused."""

    def reply(self, config: Any, accepted: bool) -> ProviderReply:
        """The answer to send back: accepted (applied or a duplicate) or refused. ``config`` may be
        incomplete (or None) when the tenant has not set the provider up."""

    async def query(self, config: Any, payment_no: str, provider_ref: str) -> PaymentStatus:
        """Ask the provider how a payment stands; ``provider_ref`` is what `create` returned
        (empty if it never answered). Raises ProviderError."""

    async def close(self, config: Any, payment_no: str, provider_ref: str) -> None:
        """Close an unpaid payment so it can no longer be paid. Raises ProviderError."""

    async def refund(self, config: Any, request: RefundRequest) -> RefundResult:
        """Refund all or part of a paid payment; idempotent by ``refund_no``."""
