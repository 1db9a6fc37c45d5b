"""Workers' bank details for paying statements by bank: holder and account number encrypted at
rest (the runtime's keyring), masked on pages, in clear only in the bank batch CSV."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.runtime import current_runtime
from platform_core.staff.services import get_worker
from platform_core.tenancy.context import current_tenant

from .schemas import BankAccount, BankAccountUpdate

HOLDER = "staff_bank.holder"
ACCOUNT = "staff_bank.account"


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_account(last4: str) -> str:
    return f"**** {last4}"


async def save_bank_account(staff_id: int, data: BankAccountUpdate, *, by: int) -> BankAccount:
    await get_worker(staff_id)  # another franchise's worker, or none: 404
    keyring = current_runtime().keyring
    number = data.account_number.replace(" ", "")
    await current_connection().execute(
        "insert into core_staff_bank_account (tenant_id, staff_id, holder_cipher, bank, account_cipher, account_last4, updated_by) "
        "values ($1, $2, $3, $4, $5, $6, $7) on conflict (tenant_id, staff_id) do update set holder_cipher = excluded.holder_cipher, "
        "bank = excluded.bank, account_cipher = excluded.account_cipher, account_last4 = excluded.account_last4, "
        "updated_by = excluded.updated_by, updated_at = now()",
        current_tenant().id, staff_id, keyring.encrypt(data.holder.strip(), context=HOLDER), data.bank.strip(),
        keyring.encrypt(number, context=ACCOUNT), number[-4:], by)
    return BankAccount(staff_id=staff_id, holder=mask_name(data.holder.strip()), bank=data.bank.strip(), account_masked=mask_account(number[-4:]))


async def bank_accounts(staff_ids: list[int], *, reveal: bool = False) -> dict[int, BankAccount]:
    """The workers' bank details, masked; with `reveal`, in clear (the bank batch only)."""
    rows = await current_connection().fetch(
        "select staff_id, holder_cipher, bank, account_cipher, account_last4 from core_staff_bank_account where staff_id = any($1::bigint[])",
        staff_ids)
    keyring = current_runtime().keyring
    out = {}
    for r in rows:
        holder = keyring.decrypt(r["holder_cipher"], context=HOLDER)
        account = keyring.decrypt(r["account_cipher"], context=ACCOUNT) if reveal else mask_account(r["account_last4"])
        out[r["staff_id"]] = BankAccount(staff_id=r["staff_id"], holder=holder if reveal else mask_name(holder), bank=r["bank"],
                                         account_masked=account)
    return out
