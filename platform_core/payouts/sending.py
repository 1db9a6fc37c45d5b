"""Sending approved payouts through a provider's transfer, and applying what comes back: the
transfer's own answer, a notification, or a query. Each result is applied at most once: the
payout row is locked, its update is conditional on the state it leaves, and the ledger's
postings carry the payout number as their key. A transfer is sent with the payout number as
the provider's business id, so a retry after a lost answer never pays twice."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any, Mapping

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import NotFound
from platform_core.jobs.services import enqueue
from platform_core.ledger import services as ledger
from platform_core.payments import services as payments
from platform_core.payments.provider import (
    NotificationRefused,
    ProviderError,
    ProviderReply,
    TransferProvider,
    TransferRequest,
    TransferResult,
)
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import PayoutEvent
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import money

from . import services
from .schemas import Payout

log = logging.getLogger("hearth.payouts")

# Which provider pays to which kind of account, unless the provider says (`payout_account_kinds`).
ACCOUNT_KINDS = {"wechat": ("wechat_openid",), "alipay": ("alipay_login",)}
# A pending transfer is asked about after 1, 2, 4 ... minutes, then every hour.
FIRST_QUERY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# A sending payout the sweep asks about: older than this, in case its query jobs were lost.
SWEEP_AFTER = timedelta(minutes=30)
NOTIFY_PATH = "/payments/transfer-notify"


def confirm_templates() -> dict[str, str]:
    """Each provider's part of the earnings page for a transfer waiting for the person to confirm
    receipt (an optional `confirm_template` of the provider: WeChat's requestMerchantTransfer)."""
    return {name: template for name, provider in payments.installed_providers().items()
            if (template := getattr(provider, "confirm_template", None))}


def account_kinds(provider: Any) -> tuple[str, ...]:
    return tuple(getattr(provider, "payout_account_kinds", None) or ACCOUNT_KINDS.get(provider.name, ()))


async def payout_providers() -> list[TransferProvider]:
    """The providers this franchise can pay out through: the plugin is on, the provider speaks
    transfers, and the franchise's credentials allow them."""
    found = []
    for provider in payments.tenant_providers().values():
        if isinstance(provider, TransferProvider) and provider.pays_out(await payments.provider_config(provider)):
            found.append(provider)
    return found


async def provider_for(kind: str) -> TransferProvider | None:
    return next((p for p in await payout_providers() if kind in account_kinds(p)), None)


def transfer_notify_url(base_url: str, provider: str) -> str:
    return f"{base_url.rstrip('/')}{NOTIFY_PATH}/{provider}/{current_tenant().slug}"


def _base_url() -> str:
    # A job has no request to take the host from: the configured notify base, else the franchise's own host.
    settings = current_runtime().settings
    return settings.notify_base_url or f"https://{current_tenant().slug}.{settings.base_domain}"


async def _moved(payout_id: int, sources: tuple[str, ...], target: str, **columns: Any) -> bool:
    sets = ", ".join(f"{name} = ${i + 4}" for i, name in enumerate(columns))
    finished = ", finished_at = now()" if target in ("paid", "failed") else ""
    moved = await current_connection().fetchval(
        f"update core_payout set state = $2, updated_at = now(){finished}{', ' + sets if sets else ''} "
        "where id = $1 and state = any($3::text[]) returning id", payout_id, target, list(sources), *columns.values())
    return moved is not None


async def apply_result(payout: Payout, result: TransferResult) -> str:
    """Apply a transfer's result to a payout the caller locked; returns its state afterwards.
    Paid: the hold is used up (the provider's clearing and the fee). Failed: the money goes back
    to the earnings and the person is told why. Pending: nothing changes."""
    ref = result.provider_ref[:128]
    if result.status == "succeeded":
        if await _moved(payout.id, ("approved", "sending"), "paid", provider_ref=ref or payout.provider_ref):
            await ledger.complete_payout(payout.currency, payout.amount, payout.fee, provider=payout.provider, payout_no=payout.payout_no)
            if payout.source == "withdrawal":  # a statement's payout is told by the statement (on_payout_finished)
                await services.tell(payout, N_("Your withdrawal is paid"), N_("%(receives)s is on its way to your %(account)s."),
                                    receives=money(payout.receives, payout.currency), account=payout.destination_masked)
            await _finished(payout, "paid", "")
            return "paid"
        return (await services.get_payout(payout.id)).state
    if result.status == "failed":
        message = (result.message or "failed")[:300]
        if await _moved(payout.id, ("approved", "sending"), "failed", provider_message=message, reason=message):
            await ledger.release_payout(payout.holder, payout.holder_id, payout.currency, payout.amount, payout_no=payout.payout_no)
            if payout.source == "withdrawal":
                await services.tell(payout, N_("Your withdrawal could not be paid"),
                                    N_("%(amount)s is back in your earnings. The payment service said: %(reason)s"), reason=message)
            await _finished(payout, "failed", message)
            return "failed"
        return (await services.get_payout(payout.id)).state
    return payout.state


async def _finished(payout: Payout, state: str, message: str) -> None:
    """on_payout_finished, in the transaction that applied the result (a core reaction such as a
    statement marked paid is part of it)."""
    tenant = current_tenant()
    await tell(current_runtime().hooks(tenant).on_payout_finished, event=PayoutEvent(
        tenant=tenant, payout_id=payout.id, payout_no=payout.payout_no, holder=payout.holder, holder_id=payout.holder_id,
        source=payout.source, source_ref=payout.source_ref, state=state, amount=payout.amount, fee=payout.fee,
        currency=payout.currency, message=message, occurred_at=clock.now()))


async def _ask_later(payout: Payout, tries: int) -> None:
    """A query after a pause that doubles with each try so far (a key of its own each time: a
    retry after a lost answer is never swallowed by an earlier job's key)."""
    wait = min(FIRST_QUERY * (2 ** min(tries, 10)), LONGEST_WAIT)
    await enqueue(services.QUERY_JOB, {"payout_id": payout.id}, run_at=clock.now() + wait,
                  key=f"{payout.payout_no}:q{tries}:{secrets.token_hex(4)}")


async def send(payout_id: int) -> str:
    """Send an approved payout (the send job): through the provider for its account's kind, the
    payout number as the transfer's id. A provider that could not be asked leaves the payout
    `sending` with a query scheduled (which sends again if the provider never got it)."""
    payout = await services.lock_payout(payout_id)
    if payout.state != "approved":  # sent already (a repeated job): its query takes it from here
        return payout.state
    provider = await provider_for(payout.destination_kind)
    if provider is None or not isinstance(provider, TransferProvider):
        message = N_("No payment service can pay to this account now.")  # translated where the console shows it
        await _moved(payout.id, ("approved", "sending"), "approved", provider_message=message)
        # Asked again later and later (each ask counts as a query), not every minute for as long
        # as the franchise has no such service on.
        tries = await current_connection().fetchval("update core_payout set queries = queries + 1 where id = $1 returning queries", payout.id)
        await _ask_later(payout, tries)
        return "approved"
    await _moved(payout.id, ("approved", "sending"), "sending", provider=provider.name, attempts=payout.attempts + 1)
    payout = await services.get_payout(payout.id)
    return await _transfer(provider, payout)


async def _transfer(provider: TransferProvider, payout: Payout) -> str:
    config = await payments.provider_config(provider)
    # The destination in full is read only here, to send it; the Payout Struct carries it masked.
    cipher, app_id = await current_connection().fetchrow("select destination_cipher, app_id from core_payout where id = $1", payout.id)
    request = TransferRequest(
        transfer_no=payout.payout_no, amount=payout.receives, currency=payout.currency, account_kind=payout.destination_kind,
        account=current_runtime().keyring.decrypt(cipher, context=services.ACCOUNT_CONTEXT), real_name=payout.real_name, app_id=app_id,
        remark=f"{current_tenant().name} 提现"[:40], notify_url=transfer_notify_url(_base_url(), provider.name))
    try:
        result = await provider.transfer(config, request)
    except ProviderError as exc:
        log.warning("payout transfer not answered", extra={"payout_no": payout.payout_no, "provider": provider.name})
        await _moved(payout.id, ("sending",), "sending", provider_message=exc.message)
        await _ask_later(payout, payout.attempts)
        return "sending"
    state = await apply_result(payout, result)
    if state == "sending":
        await current_connection().execute(
            "update core_payout set provider_ref = coalesce(nullif($2, ''), provider_ref), provider_message = $3 where id = $1",
            payout.id, result.provider_ref[:128], result.message[:300])
        await _keep_confirm(payout.id, result)
        await _ask_later(payout, 0)
    return state


async def _keep_confirm(payout_id: int, result: TransferResult) -> None:
    """What the person's app needs to confirm receipt, while the transfer waits for them (kept
    small: a provider's answer is not trusted to be). WeChat gives it in the transfer's answer
    only, not in a query's: an answer without it keeps what is there."""
    if not result.confirm:
        return
    confirm = {str(k)[:40]: str(v)[:500] for k, v in list(result.confirm.items())[:8]}
    await current_connection().execute("update core_payout set confirm = $2::jsonb where id = $1", payout_id,
                                       msgspec.json.encode(confirm).decode())


async def query(payout_id: int) -> str:
    """Ask the provider how a sending payout stands and apply the answer (the query job, the
    sweep and the console's "query now"). A transfer the provider never received is sent again,
    with the same number. Raises ProviderError when the provider could not answer."""
    payout = await services.lock_payout(payout_id)
    if payout.state == "approved":
        return await send(payout_id)
    if payout.state != "sending":
        return payout.state
    provider = payments.installed_providers().get(payout.provider)
    if not isinstance(provider, TransferProvider):
        return payout.state
    result = await provider.query_transfer(await payments.provider_config(provider), payout.payout_no, payout.provider_ref)
    await current_connection().execute("update core_payout set queries = queries + 1, updated_at = now() where id = $1", payout.id)
    if result.status == "failed" and result.message == "missing":
        return await _transfer(provider, payout)
    state = await apply_result(payout, result)
    if state == "sending":
        await _keep_confirm(payout.id, result)
        await _ask_later(payout, payout.attempts + await _queries(payout.id))
    return state


async def _queries(payout_id: int) -> int:
    return await current_connection().fetchval("select queries from core_payout where id = $1", payout_id)


async def sweep(older_than: timedelta = SWEEP_AFTER) -> int:
    """Queue a query for every payout still sending (or approved and not sent) after
    `older_than`: a lost notification and a lost job both end here. Returns how many."""
    rows = await current_connection().fetch(
        "select id, payout_no from core_payout where state in ('approved', 'sending') and updated_at < now() - $1::interval", older_than)
    for row in rows:
        await enqueue(services.QUERY_JOB, {"payout_id": row["id"]}, key=f"{row['payout_no']}:sweep:{clock.now():%y%m%d%H%M}")
    return len(rows)


# --------------------------------------------------------------------------- notifications


class _Refused(Exception):
    def __init__(self, reason: str, detail: str = "", payout_no: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.payout_no = reason, detail, payout_no


async def handle_notification(provider_name: str, headers: Mapping[str, str], body: bytes, remote_addr: str) -> ProviderReply:
    """Apply one transfer notification at most once and answer as the provider expects.
    Checked in order: a provider that pays out; its signature (the plugin); the merchant; a
    payout of ours with this number through this provider; the amount and currency. The event
    id is recorded once: a duplicate is answered as accepted and changes nothing."""
    provider = payments.installed_providers().get(provider_name)
    if not isinstance(provider, TransferProvider):
        await payments.record_refusal(provider_name, "unknown_provider", "transfer", None, remote_addr)
        raise NotFound("payment provider")
    config = await payments.provider_config(provider)
    try:
        await _apply_notification(provider, config, headers, body)
    except _Refused as refused:
        await payments.record_refusal(provider.name, refused.reason, f"transfer {refused.detail}".strip(), refused.payout_no, remote_addr)
        return provider.reply(config, False)
    return provider.reply(config, True)


async def _apply_notification(provider: Any, config: Any, headers: Mapping[str, str], body: bytes) -> str:
    try:
        notice = await provider.parse_transfer_notification(config, headers, body)
    except NotificationRefused as exc:
        raise _Refused(exc.reason, exc.detail) from None
    if notice.merchant_id != provider.merchant_id(config):
        raise _Refused("merchant", f"for {notice.merchant_id}", notice.transfer_no)
    conn = current_connection()
    payout_id = await conn.fetchval("select id from core_payout where payout_no = $1 and provider = $2", notice.transfer_no, provider.name)
    if payout_id is None:
        raise _Refused("unknown_payment", "", notice.transfer_no)
    payout = await services.lock_payout(payout_id)
    if notice.currency != payout.currency or notice.amount != payout.receives:
        raise _Refused("amount", f"{notice.amount} {notice.currency} for {payout.receives} {payout.currency}", notice.transfer_no)
    before = payout.state
    after = await apply_result(payout, TransferResult(status=notice.status, provider_ref=notice.provider_ref, message=notice.message))
    outcome = "applied" if after != before else "ignored"
    first = await conn.fetchval(
        "insert into core_payout_notification (tenant_id, provider, event_id, payout_id, status, outcome) values ($1, $2, $3, $4, $5, $6) "
        "on conflict (tenant_id, provider, event_id) do nothing returning id",
        current_tenant().id, provider.name, notice.event_id[:128], payout.id, notice.status, outcome)
    return outcome if first is not None else "duplicate"
