"""Stripe through the stripe SDK against localstripe, with the sandbox's pay page and signed webhooks."""

from __future__ import annotations

import socket

import httpx
import pytest
import stripe

from platform_core.sandbox.config import (
    register_stripe_webhook,
    stripe_pay_url,
    tenant_config,
)
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.stripe_server import start_localstripe, stop_localstripe
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    cfg = tenant_config("sunshine", data_dir=data_dir, port=port)
    # tenant_config puts localstripe on the port after the sandbox's.
    proc = start_localstripe(int(cfg.stripe.api_base.rsplit(":", 1)[1]))
    try:
        with running_sandbox(load_or_create(data_dir), port=port, stripe_api=cfg.stripe.api_base,
                             policy=NotifyPolicy(delays=(0, 0.05), duplicate_probability=0)) as sb:
            yield sb, cfg
    finally:
        stop_localstripe(proc)


def client(cfg) -> stripe.StripeClient:
    return stripe.StripeClient(cfg.stripe.secret_key, base_addresses={"api": cfg.stripe.api_base}, max_network_retries=0)


def test_stripe_payment_intent_approved_on_the_pay_page_sends_a_signed_webhook_and_refunds(sandbox):
    _, cfg = sandbox
    sc = client(cfg)
    receiver = Receiver(b"{}")
    try:
        secret = register_stripe_webhook(cfg, receiver.url)
        intent = sc.v1.payment_intents.create(params={"amount": 19900, "currency": "cny", "metadata": {"order": "st-1"}},
                                              options={"idempotency_key": "booking-st-1"})
        page = httpx.get(stripe_pay_url(cfg, intent.id))
        assert page.status_code == 200 and "¥199.00" in page.text
        httpx.post(stripe_pay_url(cfg, intent.id), data={"decision": "approve"})
        (headers, body), *_ = receiver.wait()
        event = sc.construct_event(body, headers["Stripe-Signature"], secret)
        assert event.type == "payment_intent.succeeded" and event.data.object.id == intent.id
        with pytest.raises(stripe.SignatureVerificationError):
            sc.construct_event(body.replace(b"19900", b"100"), headers["Stripe-Signature"], secret)
        assert sc.v1.payment_intents.retrieve(intent.id).status == "succeeded"
        partial = sc.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5000})
        assert partial.status == "succeeded" and partial.amount == 5000
        # localstripe refunds the whole charge when no amount is given, even after a partial refund: always pass it.
        rest = sc.v1.refunds.create(params={"payment_intent": intent.id, "amount": 14900})
        assert rest.status == "succeeded" and rest.amount == 14900
    finally:
        receiver.close()


def test_stripe_payment_intent_cancelled_before_payment(sandbox):
    _, cfg = sandbox
    sc = client(cfg)
    intent = sc.v1.payment_intents.create(params={"amount": 500, "currency": "cny"})
    assert sc.v1.payment_intents.cancel(intent.id).status == "canceled"


def test_stripe_webhook_endpoints_must_be_on_loopback(sandbox):
    _, cfg = sandbox
    with pytest.raises(httpx.HTTPStatusError):
        register_stripe_webhook(cfg, "https://example.com/hook")


def test_stripe_events_reach_only_their_account_and_the_customer_returns(sandbox):
    _, cfg = sandbox
    sc = client(cfg)
    mine, theirs = Receiver(b"{}"), Receiver(b"{}")
    try:
        register_stripe_webhook(cfg, mine.url, account="alpha")
        register_stripe_webhook(cfg, theirs.url, account="beta")
        intent = sc.v1.payment_intents.create(params={"amount": 2500, "currency": "hkd", "metadata": {"tenant": "alpha"}})
        back = "http://alpha.localhost:8000/orders/20261125-0001"
        shown = httpx.get(stripe_pay_url(cfg, intent.id, return_url=back))
        assert shown.status_code == 200 and "HK$25.00" in shown.text and "¥" not in shown.text  # the intent's currency
        approved = httpx.post(stripe_pay_url(cfg, intent.id), data={"decision": "approve"})
        assert approved.status_code == 302 and approved.headers["location"] == back
        (_, body), *_ = mine.wait()
        assert intent.id.encode() in body
        assert theirs.wait(timeout=0.5) == []
    finally:
        mine.close()
        theirs.close()


def test_localstripe_on_a_port_another_process_holds_fails_to_start_instead_of_passing_for_up():
    """A listener of someone else's on the port must not pass for localstripe: the payments would
    then go to that process (CI once saw it, the tests' payments failing with no cause in sight)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", free_port()))
        holder.listen()
        with pytest.raises(RuntimeError, match="did not start"):
            start_localstripe(holder.getsockname()[1])


def test_test_servers_ports_are_below_the_ephemeral_range_and_each_xdist_worker_has_its_own(monkeypatch):
    """One worker's free port (and the one after it) can not be handed to the other worker or to an
    outgoing connection before its server binds it."""
    slices = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
        ports = {free_port() for _ in range(20)}
        assert len(ports) == 20  # never the same one twice in a process
        slices.append(ports | {port + 1 for port in ports})
    assert not slices[0] & slices[1]
    assert max(slices[0] | slices[1]) < 32768
