"""The customer's wallet as the customer sees it: the balance and what moved it, read from the
ledger's `customer:{id}:wallet` account (the ledger owns the money; this only reads)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.ledger import services as ledger
from platform_core.web.i18n import lazy_gettext as N_

HISTORY_SIZE = 50

# What each kind of ledger transaction on a wallet was, for the customer.
KIND_LABELS = {
    "wallet_topup": N_("Top-up"),
    "wallet_spend": N_("Paid for an order"),
    "refund": N_("Refund"),
}


class WalletEntry(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # the ledger transaction's kind: wallet_topup, wallet_spend, refund ...
    label: str  # a msgid
    amount: int  # minor units into the wallet (a payment from it is negative)
    order_number: str | None
    created_at: datetime


class Wallet(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    balance: int  # minor units
    entries: list[WalletEntry]  # newest first, the last HISTORY_SIZE


def wallet_account(customer_id: int) -> str:
    return f"customer:{customer_id}:wallet"


async def balance(customer_id: int, currency: str) -> int:
    return await ledger.balance(wallet_account(customer_id), currency)


async def get_wallet(customer_id: int, currency: str) -> Wallet:
    entries = [
        WalletEntry(kind=m.kind, label=KIND_LABELS.get(m.kind, N_("Adjustment")), amount=m.amount,
                    order_number=m.order_number, created_at=m.created_at)
        for m in await ledger.movements(wallet_account(customer_id), currency, HISTORY_SIZE)
    ]
    return Wallet(currency=currency, balance=await balance(customer_id, currency), entries=entries)
