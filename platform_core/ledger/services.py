"""Posting to the ledger and reading it back. Every function runs in the caller's tenant
transaction (a request, or `tenant_scope` in a job), so a posting commits or rolls back with the
work that caused it. See docs/ledger.md for the chart of accounts and each posting's entries."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Literal, Mapping, Sequence

import msgspec

from platform_core.db import current_connection
from platform_core.errors import Conflict, ValidationFailed
from platform_core.orders.services import order_discounts, order_numbers
from platform_core.tenancy.context import current_tenant

from .schemas import (
    Account,
    AccountBalance,
    EarningsEntry,
    Entry,
    LedgerSettings,
    LedgerSettingsUpdate,
    Movement,
    PostedEntry,
    Transaction,
)

# The chart of accounts: a code's pattern fixes its kind and whether it may go below zero.
CHART: tuple[tuple[re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(pattern), kind, allow_negative)
    for pattern, kind, allow_negative in (
        (r"customer:\d+:wallet", "liability", False),  # what the franchise owes a customer's wallet
        (r"customer:\d+:points", "liability", False),
        (r"franchise:unearned", "liability", True),  # paid for, not yet done
        (r"franchise:revenue", "revenue", True),
        (r"franchise:points", "expense", True),  # points given away
        (r"franchise:discounts", "expense", True),  # discounts the franchise funds
        (r"platform:promotions", "asset", True),  # discounts the platform funds: owed to the franchise
        (r"platform:fee", "liability", True),  # owed to the platform
        (r"staff:\d+:earnings", "liability", True),  # owed to a worker (a deduction may take it below zero)
        (r"customer:\d+:earnings", "liability", False),  # a customer's red packets and cash rewards ("my earnings")
        (r"franchise:rewards", "expense", True),  # cash rewards the franchise gives customers (referral red packets)
        (r"franchise:staff_pay", "expense", True),  # bonuses to workers; a deduction credits it
        (r"payouts:pending", "liability", True),  # held for a withdrawal or payout until it is paid or released
        (r"franchise:payout_fees", "revenue", True),  # fees charged on withdrawals
        (r"provider:[a-z][a-z0-9_]*:clearing", "asset", True),  # held by a payment provider for us
    )
)


def _chart_entry(code: str) -> tuple[str, bool]:
    for pattern, kind, allow_negative in CHART:
        if pattern.fullmatch(code):
            return kind, allow_negative
    raise ValidationFailed({"account": "This is not an account of the ledger."})


def _account(row) -> Account:
    return Account(id=row["id"], code=row["code"], currency=row["currency"], kind=row["kind"], allow_negative=row["allow_negative"])


async def account(code: str, currency: str) -> Account:
    """The account for (code, currency), created on first use."""
    return (await _accounts([(code, currency)]))[0]


# Creates the accounts that do not exist yet and returns all of them in one round trip. The
# SELECT and the INSERT see the same snapshot, so an account another transaction created and
# committed after it was taken is in neither: `_accounts` asks again for those.
_ACCOUNTS = """
with wanted as (
  select * from unnest($2::text[], $3::text[], $4::text[], $5::bool[]) as w(code, currency, kind, allow_negative)
), made as (
  insert into core_ledger_account (tenant_id, code, currency, kind, allow_negative)
  select $1, code, currency, kind, allow_negative from wanted
  on conflict (tenant_id, code, currency) do nothing
  returning id, code, currency, kind, allow_negative
)
select a.id, a.code, a.currency, a.kind, a.allow_negative from core_ledger_account a join wanted w using (code, currency)
union all
select id, code, currency, kind, allow_negative from made
"""


async def _accounts(wanted: list[tuple[str, str]]) -> list[Account]:
    """The accounts for these (code, currency) pairs, in the same order, created on first use."""
    charted = {pair: _chart_entry(pair[0]) for pair in wanted}
    found: dict[tuple[str, str], Account] = {}
    for _ in range(2):
        missing = [pair for pair in charted if pair not in found]
        rows = await current_connection().fetch(
            _ACCOUNTS, current_tenant().id, [c for c, _ in missing], [cur for _, cur in missing],
            [charted[p][0] for p in missing], [charted[p][1] for p in missing])
        found.update({(r["code"], r["currency"]): _account(r) for r in rows})
        if len(found) == len(charted):
            return [found[pair] for pair in wanted]
    raise RuntimeError(f"ledger accounts {sorted(set(charted) - set(found))} could not be created")


def _check_balanced(entries: list[Entry]) -> None:
    if len(entries) < 2:
        raise ValidationFailed({"entries": "A transaction needs at least two entries."})
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if entry.amount == 0:
            raise ValidationFailed({"entries": "An entry can not be zero."})
        totals[entry.currency] += entry.amount
    if any(totals.values()):
        raise ValidationFailed({"entries": "Debits and credits must be equal in each currency."})


async def _transaction_by_key(key: str) -> Transaction | None:
    conn = current_connection()
    row = await conn.fetchrow("select id, idempotency_key, kind, order_id, memo, created_at from core_ledger_transaction where idempotency_key = $1", key)
    if row is None:
        return None
    return (await _with_entries([row]))[0]


async def _with_entries(rows) -> list[Transaction]:
    entries = await current_connection().fetch(
        "select e.transaction_id, e.account_id, a.code, e.currency, e.amount from core_ledger_entry e "
        "join core_ledger_account a on a.id = e.account_id where e.transaction_id = any($1::bigint[]) order by e.id",
        [r["id"] for r in rows],
    )
    by_tx: dict[int, list[PostedEntry]] = defaultdict(list)
    for e in entries:
        by_tx[e["transaction_id"]].append(PostedEntry(account_id=e["account_id"], account=e["code"], currency=e["currency"], amount=e["amount"]))
    return [Transaction(id=r["id"], idempotency_key=r["idempotency_key"], kind=r["kind"], order_id=r["order_id"], memo=r["memo"],
                        created_at=r["created_at"], entries=by_tx[r["id"]]) for r in rows]


def _same_or_conflict(first: Transaction, kind: str, order_id: int | None, legs: list[tuple[int, str, int]]) -> Transaction:
    mine = sorted((e.account_id, e.currency, e.amount) for e in first.entries)
    if first.kind != kind or first.order_id != order_id or mine != sorted(legs):
        raise Conflict("This idempotency key was already used for a different posting.")
    return first


# The transaction and its entries in one statement; no row back when the key was used before
# (the insert then waits for a concurrent posting with the key to commit or roll back).
_INSERT = """
with t as (
  insert into core_ledger_transaction (tenant_id, idempotency_key, kind, order_id, memo) values ($1, $2, $3, $4, $5)
  on conflict (tenant_id, idempotency_key) do nothing returning id, created_at
), e as (
  insert into core_ledger_entry (tenant_id, transaction_id, account_id, currency, amount)
  select $1, t.id, u.a, u.c, u.m from t, unnest($6::bigint[], $7::text[], $8::bigint[]) with ordinality as u(a, c, m, n) order by u.n
)
select id, created_at from t
"""


# A posting that draws nothing down, whole in one statement: its accounts (created on first use),
# the transaction and its entries. The transaction is inserted only when every account was found
# with the kind and sign rule the chart gives it (what `post` decided from); otherwise, and when
# the key was used before, no transaction row comes back and `post` takes the longer way.
_POST_AT_ONCE = """
with wanted as (
  select * from unnest($6::text[], $7::text[], $8::text[], $9::bool[]) with ordinality as w(code, currency, kind, allow_negative, k)
), made as (
  insert into core_ledger_account (tenant_id, code, currency, kind, allow_negative)
  select $1, code, currency, kind, allow_negative from wanted
  on conflict (tenant_id, code, currency) do nothing
  returning id, code, currency, kind, allow_negative
), acct as (
  select w.k, coalesce(a.id, m.id) as id, coalesce(a.kind, m.kind) = w.kind and coalesce(a.allow_negative, m.allow_negative) = w.allow_negative as as_charted
  from wanted w
  left join core_ledger_account a on a.code = w.code and a.currency = w.currency
  left join made m on m.code = w.code and m.currency = w.currency
), t as (
  insert into core_ledger_transaction (tenant_id, idempotency_key, kind, order_id, memo)
  select $1, $2, $3, $4, $5 where (select count(*) from acct where as_charted) = cardinality($6::text[])
  on conflict (tenant_id, idempotency_key) do nothing returning id, created_at
), e as (
  insert into core_ledger_entry (tenant_id, transaction_id, account_id, currency, amount)
  select $1, t.id, acct.id, u.c, u.m from t cross join unnest($10::bigint[], $11::text[], $12::bigint[]) with ordinality as u(k, c, m, n)
  join acct on acct.k = u.k order by u.n
)
select (select id from t) as id, (select created_at from t) as created_at, (select array_agg(id order by k) from acct) as accounts
"""


async def _post_at_once(
    key: str, kind: str, entries: list[Entry], order_id: int | None, memo: str, no_overdraw: Sequence[str],
) -> Transaction | None:
    """The posting in one round trip when, by the chart, it draws no account down; None when it
    must take `post`'s longer way."""
    pairs = list(dict.fromkeys((e.account, e.currency) for e in entries))
    charted = [_chart_entry(code) for code, _ in pairs]
    delta: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        delta[(e.account, e.currency)] += e.amount
    for pair, (account_kind, allow_negative) in zip(pairs, charted, strict=True):
        sign = 1 if account_kind in ("asset", "expense") else -1  # Account.normal_sign
        if (not allow_negative or pair[0] in no_overdraw) and delta[pair] * sign < 0:
            return None
    position = {pair: n for n, pair in enumerate(pairs)}
    row = await current_connection().fetchrow(
        _POST_AT_ONCE, current_tenant().id, key, kind, order_id, memo,
        [c for c, _ in pairs], [cur for _, cur in pairs], [k for k, _ in charted], [a for _, a in charted],
        [position[(e.account, e.currency)] + 1 for e in entries], [e.currency for e in entries], [e.amount for e in entries])
    if row["id"] is None:
        return None
    ids = row["accounts"]
    return Transaction(id=row["id"], idempotency_key=key, kind=kind, order_id=order_id, memo=memo, created_at=row["created_at"],
                       entries=[PostedEntry(account_id=ids[position[(e.account, e.currency)]], account=e.account, currency=e.currency,
                                            amount=e.amount) for e in entries])


async def post(
    key: str, kind: str, entries: list[Entry], *, order_id: int | None = None, memo: str = "", no_overdraw: Sequence[str] = (),
) -> Transaction:
    """Post a balanced transaction once. The same key again returns the first transaction; the same
    key with other entries is a Conflict. An account that may not go negative and that this
    posting draws down is locked (in id order, so concurrent postings can not deadlock) and
    checked with this posting included; one the posting only adds to needs neither.
    `no_overdraw` names accounts that may go negative in general but not by this posting (a
    worker's earnings may owe a deduction, but a withdrawal can not take more than is there).

    One round trip when, by the chart, nothing is drawn down (`_post_at_once`). Otherwise two (the
    accounts, then the transaction with its entries), and two more for a draw-down (the lock, then
    its balance read after the lock); a key used before takes this way too."""
    _check_balanced(entries)
    if (posted := await _post_at_once(key, kind, entries, order_id, memo, no_overdraw)) is not None:
        return posted
    conn = current_connection()
    accounts = await _accounts([(e.account, e.currency) for e in entries])
    legs = [(a.id, e.currency, e.amount) for a, e in zip(accounts, entries, strict=True)]
    delta: dict[int, int] = defaultdict(int)
    for account_id, _currency, amount in legs:
        delta[account_id] += amount
    drawn = {a.id: a for a in accounts if (not a.allow_negative or a.code in no_overdraw) and delta[a.id] * a.normal_sign < 0}
    if drawn:
        await conn.execute("select id from core_ledger_account where id = any($1::bigint[]) order by id for update", sorted(drawn))
        # A statement after the lock, so it sees what the postings we waited for committed.
        first_id, sums = await conn.fetchrow(
            "select (select id from core_ledger_transaction where idempotency_key = $1), "
            "(select coalesce(array_agg(array[account_id, total]), '{}') from ("
            "  select account_id, sum(amount) as total from core_ledger_entry where account_id = any($2::bigint[]) group by account_id) s)",
            key, sorted(drawn))
        if first_id is not None:
            return _same_or_conflict(await _transaction_by_key(key), kind, order_id, legs)
        held = {int(account_id): int(total) for account_id, total in sums}
        for account_id, acct in drawn.items():
            if (held.get(account_id, 0) + delta[account_id]) * acct.normal_sign < 0:
                raise ValidationFailed({"amount": "The balance is not enough for this."})
    tenant_id = current_tenant().id
    row = await conn.fetchrow(_INSERT, tenant_id, key, kind, order_id, memo,
                              [leg[0] for leg in legs], [leg[1] for leg in legs], [leg[2] for leg in legs])
    if row is None:  # the key was used before
        return _same_or_conflict(await _transaction_by_key(key), kind, order_id, legs)
    return Transaction(id=row["id"], idempotency_key=key, kind=kind, order_id=order_id, memo=memo, created_at=row["created_at"],
                       entries=[PostedEntry(account_id=a.id, account=a.code, currency=e.currency, amount=e.amount)
                                for a, e in zip(accounts, entries, strict=True)])


async def balance(code: str, currency: str) -> int:
    """The account's balance on its normal side (a wallet holding 100 fen: 100): the sum of its entries."""
    acct = await account(code, currency)
    total = await current_connection().fetchval("select coalesce(sum(amount), 0) from core_ledger_entry where account_id = $1", acct.id)
    return int(total) * acct.normal_sign


async def balances(prefix: str = "") -> list[AccountBalance]:
    # Grouped by the whole primary key, so the account's other columns may be selected.
    rows = await current_connection().fetch(
        "select a.id, a.code, a.currency, a.kind, a.allow_negative, coalesce(sum(e.amount), 0) as total "
        "from core_ledger_account a left join core_ledger_entry e on e.account_id = a.id "
        "where a.code like $1 group by a.tenant_id, a.id order by a.code, a.currency",
        prefix.replace("%", r"\%").replace("_", r"\_") + "%",
    )
    out = []
    for r in rows:
        acct = _account(r)
        out.append(AccountBalance(account=acct, balance=int(r["total"]) * acct.normal_sign))
    return out


async def movements(code: str, currency: str, limit: int = 50) -> list[Movement]:
    """The account's entries, newest first, each with what moved it (and its order)."""
    acct = await account(code, currency)
    rows = await current_connection().fetch(
        "select t.kind, e.amount, t.order_id, t.created_at from core_ledger_entry e "
        "join core_ledger_transaction t on t.id = e.transaction_id "
        "where e.account_id = $1 order by t.created_at desc, t.id desc limit $2",
        acct.id, limit,
    )
    numbers = await order_numbers(r["order_id"] for r in rows if r["order_id"] is not None)
    return [Movement(kind=r["kind"], amount=int(r["amount"]) * acct.normal_sign, order_id=r["order_id"],
                     order_number=numbers.get(r["order_id"]), created_at=r["created_at"]) for r in rows]


async def order_transactions(order_id: int) -> list[Transaction]:
    rows = await current_connection().fetch(
        "select id, idempotency_key, kind, order_id, memo, created_at from core_ledger_transaction where order_id = $1 order by id", order_id)
    return await _with_entries(rows)


# --------------------------------------------------------------------------- settings


async def settings() -> LedgerSettings:
    row = await current_connection().fetchrow("select platform_fee_bp, staff_commission_bp, commission_base from core_ledger_settings")
    return LedgerSettings(**dict(row)) if row else LedgerSettings()


async def save_settings(data: LedgerSettingsUpdate) -> LedgerSettings:
    merged = msgspec.structs.replace(await settings(), **{k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET})
    errors = {name: "Enter a rate between 0 and 10000 basis points." for name in ("platform_fee_bp", "staff_commission_bp")
              if not 0 <= getattr(merged, name) <= 10000}
    if not errors and merged.platform_fee_bp + merged.staff_commission_bp > 10000:
        errors["staff_commission_bp"] = "The platform fee and the commission together can not pass 100%."
    if errors:
        raise ValidationFailed(errors)
    await current_connection().execute(
        "insert into core_ledger_settings (tenant_id, platform_fee_bp, staff_commission_bp, commission_base) values ($1, $2, $3, $4) "
        "on conflict (tenant_id) do update set platform_fee_bp = excluded.platform_fee_bp, "
        "staff_commission_bp = excluded.staff_commission_bp, commission_base = excluded.commission_base, updated_at = now()",
        current_tenant().id, merged.platform_fee_bp, merged.staff_commission_bp, merged.commission_base,
    )
    return merged


# --------------------------------------------------------------------------- postings the payments work calls


async def record_payment(order_id: int, currency: str, provider: str, amount: int, *, payment_ref: str) -> Transaction:
    """A customer paid for an order through a provider: the provider holds the money, the
    franchise owes the service. Debit provider:{p}:clearing, credit franchise:unearned."""
    return await post(f"payment:{provider}:{payment_ref}", "payment", [
        Entry(account=f"provider:{provider}:clearing", currency=currency, amount=amount),
        Entry(account="franchise:unearned", currency=currency, amount=-amount),
    ], order_id=order_id, memo=f"{provider} {payment_ref}")


async def _refund_source(order_id: int, currency: str, amount: int) -> str:
    """Where a refund of the order comes from: franchise:unearned while the order still holds that
    much there, else franchise:revenue (it was earned: a completed order's settlement). A
    cancelled order's settlement earns only its fee, so the rest is refunded from unearned
    whichever of the two is posted first."""
    held = await current_connection().fetchval(
        "select -coalesce(sum(e.amount), 0) from core_ledger_entry e "
        "join core_ledger_transaction t on t.id = e.transaction_id join core_ledger_account a on a.id = e.account_id "
        "where t.order_id = $1 and a.code = 'franchise:unearned' and e.currency = $2", order_id, currency)
    return "franchise:unearned" if held >= amount else "franchise:revenue"


async def record_refund(order_id: int, currency: str, provider: str, amount: int, *, refund_ref: str) -> Transaction:
    """Money goes back through the provider: out of what the order holds in franchise:unearned,
    or out of franchise:revenue once earned (_refund_source). Credit provider:{p}:clearing."""
    key = f"refund:{provider}:{refund_ref}"
    if (first := await _transaction_by_key(key)) is not None:  # a replay after settlement is still the first posting
        return first
    source = await _refund_source(order_id, currency, amount)
    return await post(key, "refund", [
        Entry(account=source, currency=currency, amount=amount),
        Entry(account=f"provider:{provider}:clearing", currency=currency, amount=-amount),
    ], order_id=order_id, memo=f"{provider} {refund_ref}")


async def wallet_topup(customer_id: int, currency: str, provider: str, amount: int, *, payment_ref: str) -> Transaction:
    """Debit provider:{p}:clearing, credit customer:{id}:wallet."""
    return await post(f"topup:{provider}:{payment_ref}", "wallet_topup", [
        Entry(account=f"provider:{provider}:clearing", currency=currency, amount=amount),
        Entry(account=f"customer:{customer_id}:wallet", currency=currency, amount=-amount),
    ], memo=f"{provider} {payment_ref}")


async def pay_from_wallet(order_id: int, customer_id: int, currency: str, amount: int) -> Transaction:
    """Debit customer:{id}:wallet, credit franchise:unearned; refused when the wallet is short.
    One wallet payment per order: the key is the order."""
    return await post(f"wallet:order:{order_id}", "wallet_spend", [
        Entry(account=f"customer:{customer_id}:wallet", currency=currency, amount=amount),
        Entry(account="franchise:unearned", currency=currency, amount=-amount),
    ], order_id=order_id)


async def settle_order(
    order_id: int, currency: str, amount: int, staff_id: int | None, *, discounts: Mapping[str, int] | None = None,
) -> Transaction:
    """On completion the money paid for an order is earned: debit franchise:unearned by what was
    paid, and each discount by who funds it (`discounts`: 'franchise' → franchise:discounts, an
    expense; 'platform' → platform:promotions, owed by the platform), so revenue is recognised on
    the price before discounts. Credit platform:fee (the tenant's fee rate, on that revenue),
    staff:{id}:earnings (the tenant's commission, when a worker did it, on the revenue or on what
    was paid, by the tenant's `commission_base`) and franchise:revenue (the rest). Rounding goes
    to the franchise."""
    if (first := await _transaction_by_key(f"settle:order:{order_id}")) is not None:  # a replay after the rates changed
        return first
    rates = await settings()
    funded = {funder: off for funder, off in (discounts or {}).items() if off > 0}
    gross = amount + sum(funded.values())
    fee = gross * rates.platform_fee_bp // 10000
    base = gross if rates.commission_base == "list" else amount
    earnings = base * rates.staff_commission_bp // 10000 if staff_id is not None else 0
    legs = [Entry(account="franchise:unearned", currency=currency, amount=amount)] if amount else []
    for funder, code in (("franchise", "franchise:discounts"), ("platform", "platform:promotions")):
        if funded.get(funder):
            legs.append(Entry(account=code, currency=currency, amount=funded[funder]))
    for code, part in (("platform:fee", fee), (f"staff:{staff_id}:earnings", earnings), ("franchise:revenue", gross - fee - earnings)):
        if part:
            legs.append(Entry(account=code, currency=currency, amount=-part))
    return await post(f"settle:order:{order_id}", "settlement", legs, order_id=order_id)


async def settle_completed_order(order_id: int, currency: str, amount: int, staff_id: int | None) -> Transaction | None:
    """settle_order for a completed order, with its discount lines by who funds them (read from
    the order's lines, whoever contributed them); None when there is nothing to settle."""
    discounts = await order_discounts(order_id)
    if amount <= 0 and not discounts:
        return None
    return await settle_order(order_id, currency, amount, staff_id, discounts=discounts)


async def refund_to_wallet(order_id: int, customer_id: int, currency: str, amount: int, *, refund_ref: str) -> Transaction:
    """A refund of a wallet payment goes back to the wallet: debit franchise:unearned (or
    franchise:revenue once earned: _refund_source), credit customer:{id}:wallet."""
    key = f"refund:wallet:{refund_ref}"
    if (first := await _transaction_by_key(key)) is not None:  # as in record_refund
        return first
    source = await _refund_source(order_id, currency, amount)
    return await post(key, "refund", [
        Entry(account=source, currency=currency, amount=amount),
        Entry(account=f"customer:{customer_id}:wallet", currency=currency, amount=-amount),
    ], order_id=order_id, memo=f"wallet {refund_ref}")


# --------------------------------------------------------------------------- earnings and money out

Holder = Literal["customer", "staff"]


def earnings_account(holder: Holder, holder_id: int) -> str:
    return f"{holder}:{holder_id}:earnings"


async def credit_earnings(
    holder: Holder, holder_id: int, currency: str, amount: int, *, key: str, kind: str = "reward",
    funded_by: str = "franchise:rewards", memo: str = "",
) -> Transaction:
    """Money earned by a customer (a referral red packet) or a worker (a bonus): debit `funded_by`
    (an expense of the franchise), credit {holder}:{id}:earnings. Once per `key`, which the caller
    makes from its own record (``referral:reward:{id}``)."""
    return await post(key, kind, [
        Entry(account=funded_by, currency=currency, amount=amount),
        Entry(account=earnings_account(holder, holder_id), currency=currency, amount=-amount),
    ], memo=memo)


async def debit_earnings(
    holder: Holder, holder_id: int, currency: str, amount: int, *, key: str, kind: str = "reward_reversal",
    funded_by: str = "franchise:rewards", memo: str = "", overdraw: bool = False,
) -> Transaction:
    """The reverse of `credit_earnings` (a reward taken back, a worker's deduction): debit the
    earnings, credit `funded_by`. Refused (ValidationFailed on `amount`) when it would take the
    earnings below zero, unless `overdraw` (a worker's deduction may leave them owing)."""
    code = earnings_account(holder, holder_id)
    return await post(key, kind, [
        Entry(account=code, currency=currency, amount=amount),
        Entry(account=funded_by, currency=currency, amount=-amount),
    ], memo=memo, no_overdraw=() if overdraw else (code,))


async def hold_payout(holder: Holder, holder_id: int, currency: str, amount: int, *, payout_no: str) -> Transaction:
    """A withdrawal or payout is asked for: its whole amount (the fee included) leaves the
    earnings at once and is held until it is paid or released. Refused when the earnings are
    short, also when two requests race for one balance (the account is locked)."""
    code = earnings_account(holder, holder_id)
    return await post(f"payout:hold:{payout_no}", "payout_hold", [
        Entry(account=code, currency=currency, amount=amount),
        Entry(account="payouts:pending", currency=currency, amount=-amount),
    ], memo=payout_no, no_overdraw=(code,))


async def complete_payout(currency: str, amount: int, fee: int, *, provider: str, payout_no: str) -> Transaction:
    """The provider paid `amount - fee` out of its account (or the office paid by bank, provider
    ``bank``): the hold is used up, the fee is the franchise's."""
    legs = [Entry(account="payouts:pending", currency=currency, amount=amount),
            Entry(account=f"provider:{provider}:clearing", currency=currency, amount=-(amount - fee))]
    if fee:
        legs.append(Entry(account="franchise:payout_fees", currency=currency, amount=-fee))
    return await post(f"payout:paid:{payout_no}", "payout_paid", legs, memo=payout_no)


async def release_payout(holder: Holder, holder_id: int, currency: str, amount: int, *, payout_no: str) -> Transaction:
    """A withdrawal rejected, or a transfer that failed: the held amount goes back to the earnings."""
    return await post(f"payout:release:{payout_no}", "payout_released", [
        Entry(account="payouts:pending", currency=currency, amount=amount),
        Entry(account=earnings_account(holder, holder_id), currency=currency, amount=-amount),
    ], memo=payout_no)


# Earnings accounts' codes are "{holder}:{id}:earnings"; the id is read back from the code.
_EARNINGS_ID = "split_part(a.code, ':', 2)::bigint"


async def earnings_entries(
    holder: Holder, currency: str, since: datetime, until: datetime, *, holder_id: int | None = None,
) -> list[EarningsEntry]:
    """The entries of every `holder`'s earnings account (or one holder's) posted in [since, until),
    oldest first, each on the holder's side (credit-normal: into the earnings is positive)."""
    rows = await current_connection().fetch(
        f"select {_EARNINGS_ID} as holder_id, t.id, t.idempotency_key, t.kind, -e.amount as amount, t.order_id, t.memo, t.created_at "
        "from core_ledger_account a join core_ledger_entry e on e.account_id = a.id "
        "join core_ledger_transaction t on t.id = e.transaction_id "
        "where a.code like $1 and a.currency = $2 and t.created_at >= $3 and t.created_at < $4 "
        f"and ($5::bigint is null or a.code = $6) order by t.created_at, t.id, e.id",
        f"{holder}:%:earnings", currency, since, until, holder_id, earnings_account(holder, holder_id or 0))
    return [EarningsEntry(holder_id=r["holder_id"], transaction_id=r["id"], key=r["idempotency_key"], kind=r["kind"], amount=int(r["amount"]),
                          order_id=r["order_id"], memo=r["memo"], created_at=r["created_at"]) for r in rows]


async def earnings_balances_at(holder: Holder, currency: str, at: datetime, holder_ids: Sequence[int]) -> dict[int, int]:
    """Each holder's earnings balance at the instant `at` (what was posted before it), on the
    holder's side; a holder with nothing posted is 0."""
    rows = await current_connection().fetch(
        f"select {_EARNINGS_ID} as holder_id, -coalesce(sum(e.amount), 0) as total "
        "from core_ledger_account a join core_ledger_entry e on e.account_id = a.id "
        "join core_ledger_transaction t on t.id = e.transaction_id "
        "where a.code = any($1::text[]) and a.currency = $2 and t.created_at < $3 group by a.code",
        [earnings_account(holder, i) for i in holder_ids], currency, at)
    found = {r["holder_id"]: int(r["total"]) for r in rows}
    return {i: found.get(i, 0) for i in holder_ids}


async def order_payments_settled(order_ids: Sequence[int]) -> dict[int, int]:
    """What the settlement of each order took out of franchise:unearned: what the customer paid
    and had not been refunded when the order was completed (the base of the worker's share)."""
    rows = await current_connection().fetch(
        "select t.order_id, coalesce(sum(e.amount) filter (where a.code = 'franchise:unearned'), 0) as paid "
        "from core_ledger_transaction t join core_ledger_entry e on e.transaction_id = t.id "
        "join core_ledger_account a on a.id = e.account_id "
        "where t.kind = 'settlement' and t.order_id = any($1::bigint[]) group by t.order_id",
        sorted(set(order_ids)))
    return {r["order_id"]: int(r["paid"]) for r in rows}
