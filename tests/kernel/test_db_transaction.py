"""The one transaction helper survives a COMMIT that fails (a deferred constraint), and calls
what was asked of it after commit only once the transaction has committed."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from platform_core.db import (
    after_commit,
    current_connection,
    get_engine,
    tenant_transaction,
)


async def test_a_failed_commit_returns_the_connection_and_leaves_no_transaction_behind(app, tenant_a):
    async def fail_one_commit() -> None:
        with pytest.raises(asyncpg.PostgresError):
            async with tenant_transaction(tenant_a.id):
                # One entry alone never balances: the ledger's deferred check refuses it at COMMIT.
                conn = current_connection()
                account = await conn.fetchval(
                    "insert into core_ledger_account (tenant_id, code, currency, kind, allow_negative) "
                    "values ($1, 'franchise:revenue', 'CNY', 'revenue', true) "
                    "on conflict (tenant_id, code, currency) do update set code = excluded.code returning id",
                    tenant_a.id,
                )
                tx = await conn.fetchval(
                    "insert into core_ledger_transaction (tenant_id, idempotency_key, kind) "
                    "values ($1, gen_random_uuid()::text, 'payment') returning id", tenant_a.id,
                )
                await conn.execute(
                    "insert into core_ledger_entry (tenant_id, transaction_id, account_id, amount, currency) "
                    "values ($1, $2, $3, 100, 'CNY')", tenant_a.id, tx, account,
                )
        assert get_engine().current_transaction.get() is None
    # More failures than the pool has connections: a leak would leave the last ones waiting forever.
    for _ in range(get_engine().pool.get_max_size() + 2):
        await asyncio.wait_for(fail_one_commit(), timeout=10)
    assert get_engine().current_transaction.get() is None
    async with tenant_transaction(tenant_a.id):
        assert await current_connection().fetchval("select 1") == 1


async def test_after_commit_runs_once_the_outermost_transaction_commits_and_never_after_a_rollback(app, tenant_a):
    calls = []

    def called() -> None:
        calls.append(get_engine().current_transaction.get())

    async with tenant_transaction(tenant_a.id):
        async with tenant_transaction(tenant_a.id):
            assert after_commit(called)
        assert after_commit(called)  # asked twice: called once
        assert calls == []
    assert calls == [None]  # after the commit, outside the transaction

    with pytest.raises(RuntimeError):
        async with tenant_transaction(tenant_a.id):
            after_commit(called)
            raise RuntimeError("rolled back")
    assert calls == [None]

    async with get_engine().transaction():  # not opened by tenant_transaction: the caller is told
        assert not after_commit(called)
    assert calls == [None]
