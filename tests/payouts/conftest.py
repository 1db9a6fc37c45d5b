"""What the payouts tests share: a stand-in for a provider's transfer servers (the transfers
engineer's WeChat and Alipay implementations and the sandbox replace it in the end-to-end
tests), a customer whose real name is verified, and earnings to withdraw."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import struct
from typing import Any, Mapping

import pytest

from platform_core.accounts import realname
from platform_core.accounts.console_schemas import ConsoleUser
from platform_core.accounts.idnumbers import resident_check
from platform_core.accounts.realname_schemas import RealnameCreate
from platform_core.ledger import services as ledger
from platform_core.payments.provider import (
    NotificationRefused,
    ProviderError,
    ProviderReply,
    TransferNotice,
    TransferRequest,
    TransferResult,
)
from platform_core.pluginsys import hookimpl
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_customer, png_image

MERCHANT = "standin-merchant"
SECRET = b"standin-signing-key"


class StandInTransfers:
    """The provider's side of transfers, in memory: each transfer number pays once, whatever
    how often it is sent; `mode` says what the next new transfer answers (succeeded, pending,
    confirm: pending until the person confirms receipt in the provider's app, failed, or down:
    the provider can not be reached)."""

    name = "standin"
    label = "Stand-in pay"
    icon = "chart"
    payout_account_kinds = ("alipay_login", "wechat_openid")
    confirm_template = "payments_wechat/confirm_receipt.html"  # its "confirm" mode answers as WeChat does

    def __init__(self, plugin: str) -> None:
        # The registered providers are kept per set of plugin names: a name of its own per test
        # keeps a test from reaching the previous test's stand-in.
        self.plugin = plugin
        self.mode = "succeeded"
        self.transfers: dict[str, dict[str, Any]] = {}  # transfer_no → what the provider holds
        self.calls: list[str] = []

    @property
    def paid(self) -> dict[str, int]:
        return {no: t["amount"] for no, t in self.transfers.items() if t["status"] == "succeeded"}

    def configured(self, config) -> bool:  # never offered at checkout
        return False

    def merchant_id(self, config) -> str:
        return MERCHANT

    def pays_out(self, config) -> bool:
        return True

    async def transfer(self, config, request: TransferRequest) -> TransferResult:
        self.calls.append(f"transfer {request.transfer_no}")
        if self.mode == "down":
            raise ProviderError("The provider did not answer.")
        held = self.transfers.get(request.transfer_no)
        if held is None:
            status = "pending" if self.mode in ("pending", "confirm") else self.mode
            held = self.transfers[request.transfer_no] = {
                "status": status, "amount": request.amount, "account": request.account, "real_name": request.real_name,
                "ref": f"T{len(self.transfers) + 1:06d}", "message": "Account frozen" if status == "failed" else "",
                "confirm": {"mchId": MERCHANT, "appId": "wx-standin", "package": f"pkg-{request.transfer_no}"} if self.mode == "confirm" else {}}
        return self._result(held)

    @staticmethod
    def _result(held: dict) -> TransferResult:
        return TransferResult(status=held["status"], provider_ref=held["ref"], message=held["message"],
                              confirm=held["confirm"] if held["status"] == "pending" else {})

    async def query_transfer(self, config, transfer_no: str, provider_ref: str) -> TransferResult:
        self.calls.append(f"query {transfer_no}")
        held = self.transfers.get(transfer_no)
        if held is None:
            return TransferResult(status="failed", message="missing")
        return self._result(held)

    def settle(self, transfer_no: str, status: str = "succeeded") -> None:
        """The provider finishes a pending transfer (its notification may or may not arrive)."""
        self.transfers[transfer_no]["status"] = status
        if status == "failed":
            self.transfers[transfer_no]["message"] = "Name does not match"

    def notification(self, transfer_no: str, *, event_id: str = "", merchant: str = MERCHANT, amount: int | None = None) -> tuple[dict, bytes]:
        held = self.transfers[transfer_no]
        body = json.dumps({"event_id": event_id or f"E-{transfer_no}-{held['status']}", "transfer_no": transfer_no,
                           "status": held["status"], "amount": held["amount"] if amount is None else amount, "currency": "CNY",
                           "merchant_id": merchant, "ref": held["ref"], "message": held["message"]}).encode()
        return {"x-signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest()}, body

    async def parse_transfer_notification(self, config, headers: Mapping[str, str], body: bytes) -> TransferNotice:
        if not hmac.compare_digest(headers.get("x-signature", ""), hmac.new(SECRET, body, hashlib.sha256).hexdigest()):
            raise NotificationRefused("signature")
        data = json.loads(body)
        return TransferNotice(event_id=data["event_id"], transfer_no=data["transfer_no"], status=data["status"], amount=data["amount"],
                              currency=data["currency"], merchant_id=data["merchant_id"], provider_ref=data["ref"], message=data["message"])

    def reply(self, config, accepted: bool) -> ProviderReply:
        return ProviderReply(status_code=200 if accepted else 400, body=b"success" if accepted else b"fail")


class StandInPlugin:
    def __init__(self, provider: StandInTransfers) -> None:
        self.provider = provider

    @hookimpl
    def provide_payment_providers(self):
        return [self.provider]


@pytest.fixture
def standin(runtime):
    provider = StandInTransfers(f"test_payouts_{secrets.token_hex(4)}")
    runtime.pm.register(StandInPlugin(provider), name=provider.plugin)
    try:
        yield provider
    finally:
        runtime.pm.unregister(name=provider.plugin)


async def pays_out_through(tenant, standin: StandInTransfers) -> None:
    """The stand-in's plugin on for the franchise, as a payment plugin would be."""
    from platform_core.pluginsys.services import enable_plugin
    await enable_plugin(tenant.id, standin.plugin, actor="test")


def _jpeg() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 480, 640, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


async def verified_customer(tenant, name: str = "王小明") -> int:
    """A customer whose real name the office approved."""
    customer_id = await make_customer(tenant)
    base = f"110105{random.randint(1950, 1999)}0101{random.randint(100, 999)}"
    reviewer = await make_console_user(tenant, "owner")
    async with tenant_scope(tenant.id) as scoped:
        await realname.submit(scoped, customer_id, RealnameCreate(full_name=name, id_type="resident_id", id_number=base + resident_check(base)),
                              {"front": png_image(4, 3), "back": _jpeg()})
        submission = await realname.my_verification(scoped, customer_id)
        assert submission.state == "pending"
        from platform_core.db import current_connection
        submission_id = await current_connection().fetchval(
            "select id from core_realname_submission where customer_id = $1", customer_id)
        await realname.approve(scoped, submission_id, ConsoleUser(
            id=reviewer.id, email=reviewer.email, display_name=reviewer.display_name, role=reviewer.role, status=reviewer.status,
            totp_enabled=False, last_sign_in_at=None, created_at=reviewer.created_at))
    return customer_id


async def give_earnings(tenant, holder: str, holder_id: int, amount: int, key: str = "") -> None:
    async with tenant_scope(tenant.id):
        await ledger.credit_earnings(holder, holder_id, tenant.currency, amount, key=key or f"test:reward:{holder}:{holder_id}:{amount}",
                                     funded_by="franchise:rewards" if holder == "customer" else "franchise:staff_pay",
                                     kind="reward" if holder == "customer" else "staff_bonus")


async def earnings_balance(tenant, holder: str, holder_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await ledger.balance(ledger.earnings_account(holder, holder_id), tenant.currency)
