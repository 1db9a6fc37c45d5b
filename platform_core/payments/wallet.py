"""The customer's wallet as the customer sees it: the balance and what moved it, read from the
ledger's `customer:{id}:wallet` account (the ledger owns the money; this only reads)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.db import current_connection
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
    rows = await current_connection().fetch(
        "select t.kind, t.created_at, o.number as order_number, -e.amount as amount "
        "from core_ledger_entry e join core_ledger_account a on a.id = e.account_id "
        "join core_ledger_transaction t on t.id = e.transaction_id left join core_order o on o.id = t.order_id "
        "where a.code = $1 and a.currency = $2 order by t.created_at desc, t.id desc limit $3",
        wallet_account(customer_id), currency, HISTORY_SIZE,
    )
    entries = [
        WalletEntry(kind=r["kind"], label=KIND_LABELS.get(r["kind"], N_("Adjustment")), amount=int(r["amount"]),
                    order_number=r["order_number"], created_at=r["created_at"])
        for r in rows
    ]
    return Wallet(currency=currency, balance=await balance(customer_id, currency), entries=entries)
