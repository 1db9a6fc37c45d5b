"""The customers of the load test (bench/loadtest/run.py starts the app, the sandbox and this).

Each simulated customer belongs to one franchise (picked at random from the plan that run.py
writes: HEARTH_LOAD_PLAN) and comes from its own address (X-Forwarded-For, a loopback address,
as the load balancer would send it). Most of the time they browse; now and then they book: sign
in with a phone code, ask for a day's slots and the price, place the order, pay it through the
sandbox's Alipay and wait for the payment to be credited; and they follow their orders. Each
request is named by its step ("book: place order"), so locust reports p50/p99 and errors per step.

A slot taken by another customer between the availability and the placement is the answer a
customer must get (409 or 400 on `slot_start`): it counts as done, under "book: slot taken
meanwhile", not as a failure.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import re
import secrets
import time
from datetime import date, timedelta

from locust import HttpUser, between, events, task
from locust.clients import HttpSession, LocustHttpAdapter
from urllib3.util.retry import Retry

PLAN = json.loads(open(os.environ["HEARTH_LOAD_PLAN"], encoding="utf-8").read())["franchises"]
SANDBOX = os.environ["HEARTH_SANDBOX_URL"]
CONFIRM_WITHIN = 15.0  # seconds from the approval to the payment read as succeeded
# One phone and one client address per simulated customer (unique within this locust process).
SERIAL = itertools.count(1)
OUTBOX_ENTRY = re.compile(r'<span class="mono">\s*(\+\d+)\s*</span>.*?<p class="outbox__body">(.*?)</p>', re.S)
CODE = re.compile(r"\b(\d{6})\b")
# The app closes a keep-alive connection idle for 5 s (uvicorn's default); a request sent on it at
# that very moment is reset before the app sees it, and a browser sends such a GET again.
RESEND_GET = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=frozenset({"GET"}), raise_on_status=False)
ADDRESS = {"contact_name": "陈女士", "contact_phone": "13700137000", "city": "上海", "district": "黄浦区",
           "street": "人民大道 200 号", "detail": "8 号楼 501", "lat": 31.2304, "lng": 121.4737}


class _Interrupted(Exception):
    """A step failed (already reported under its name): the rest of the task depends on it."""


def interruptible(method):
    """A task that stops at its first failed step; the customer goes on with the next task (an
    exception escaping a task would also be counted as a crash of the test itself)."""
    @functools.wraps(method)
    def run(self) -> None:
        try:
            method(self)
        except _Interrupted:
            pass
    return run


class Customer(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        n = next(SERIAL)
        self.franchise = random.choice(PLAN)
        self.phone = f"136{n:08d}"
        # The site in a browser (cookies) and the app on the phone (bearer token, no cookies).
        self.api = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        for session in (self.client, self.api):
            session.mount("http://", LocustHttpAdapter(pool_manager=None, max_retries=RESEND_GET))
            session.headers.update({"Host": self.franchise["host"], "X-Forwarded-For": f"127.{n // 65536 % 256}.{n // 256 % 256}.{n % 256 or 1}"})
        self.token: str | None = None
        self.address_id: int | None = None
        self.item_id: int | None = None
        self.orders: list[str] = []
        # A customer's first visit is the whole journey, so that every step runs in a short run
        # too (the CI smoke); afterwards the weighted mix below.
        self.browse()
        self.book_and_pay()
        self.follow()

    # ------------------------------------------------------------------ browse

    @task(6)
    @interruptible
    def browse(self) -> None:
        self.get("/", "browse: home")
        self.get("/services", "browse: services")
        self.get(f"/services/{random.choice(self.franchise['items'])}", "browse: item")
        if self.franchise["workers"]:
            self.get(f"/workers/{random.choice(self.franchise['workers'])}", "browse: worker")

    @task(2)
    @interruptible
    def catalog_api(self) -> None:
        self.get("/api/v1/catalog/items", "api: catalog items", session=self.api)

    # ------------------------------------------------------------------ book and pay

    @task(2)
    @interruptible
    def book_and_pay(self) -> None:
        if self.token is None:
            self.sign_in()
        if self.item_id is None:
            self.item_id = self.get(f"/api/v1/catalog/items/{self.franchise['book_item']}", "api: catalog item", session=self.api).json()["item"]["id"]
        slot = self.find_slot()
        if slot is None:
            events.request.fire(request_type="INFO", name="quote: no free day found", response_time=0, response_length=0,
                                exception=None, context={})
            return
        quote = self.post("/api/v1/quotes", "quote: price", {"item_id": self.item_id, "slot_start": slot})
        with self.api.post("/api/v1/orders", name="book: place order", catch_response=True, headers=self.auth(secrets.token_hex(12)),
                           json={"item_id": self.item_id, "slot_start": slot, "address_id": self.address_id}) as answer:
            if answer.status_code in (400, 409) and "slot_start" in answer.text:
                answer.success()
                events.request.fire(request_type="INFO", name="book: slot taken meanwhile", response_time=0, response_length=0,
                                    exception=None, context={})
                return
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            order = answer.json()
        if order["total"] != quote.json()["total"]:
            events.request.fire(request_type="CHECK", name="book: total as quoted", response_time=0, response_length=0,
                                exception=AssertionError(f"quoted {quote.json()['total']}, placed {order['total']}"), context={})
        self.orders.append(order["number"])
        self.pay(order["number"])

    def sign_in(self) -> None:
        self.post("/api/v1/auth/code", "sign in: send code", {"phone": self.phone}, expect=202)
        code = None
        deadline = time.monotonic() + 15
        while code is None:
            # The code goes out through the outbox job; in dev the franchise's outbox page is the phone.
            page = self.get("/dev/outbox", "sign in: read code", headers={"HX-Request": "true"}).text
            code = next((CODE.search(body).group(1) for to, body in OUTBOX_ENTRY.findall(page)
                         if to.endswith(self.phone) and CODE.search(body)), None)
            if code is None:
                if time.monotonic() > deadline:
                    self.fail("sign in: code arrived", f"no code for {self.phone} on /dev/outbox")
                time.sleep(0.3)
        self.token = self.post("/api/v1/auth/token", "sign in: token", {"phone": self.phone, "code": code, "accept_terms": True}).json()["token"]
        self.address_id = self.post("/api/v1/me/addresses", "sign in: add address", ADDRESS, expect=201).json()["id"]

    def find_slot(self) -> str | None:
        """A start offered on one of the next 3 weeks' days (a few days tried, as a person would)."""
        for _ in range(4):
            day = date.today() + timedelta(days=random.randint(1, 21))
            slots = self.get(f"/api/v1/availability?item={self.franchise['book_item']}&date={day.isoformat()}",
                             "quote: availability", session=self.api).json()["slots"]
            if slots:
                return random.choice(slots)["start"]
        return None

    def pay(self, number: str) -> None:
        payment = self.post(f"/api/v1/orders/{number}/payments", "pay: start", {"provider": "alipay"}, expect=201).json()
        # The app sends the customer to Alipay's gateway (the sandbox's), which shows its pay page.
        with self.api.get(payment["action"]["url"], name="pay: sandbox gateway", allow_redirects=False, catch_response=True,
                          headers={"Host": SANDBOX.split("//", 1)[1]}) as answer:
            if answer.status_code != 302:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            page = answer.headers["location"]
        approved_at = time.monotonic()
        with self.api.post(SANDBOX + page if page.startswith("/") else page, name="pay: sandbox approve",
                           data={"decision": "approve"}, allow_redirects=False, catch_response=True,
                           headers={"Host": SANDBOX.split("//", 1)[1]}) as answer:
            if answer.status_code not in (302, 303):
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
        # The sandbox notifies the app on its own; the customer's app polls the payment meanwhile.
        while True:
            status = self.get(f"/api/v1/payments/{payment['payment_no']}", "pay: status", headers=self.auth(), session=self.api).json()["status"]
            if status == "succeeded":
                events.request.fire(request_type="WAIT", name="pay: until confirmed", response_time=(time.monotonic() - approved_at) * 1000,
                                    response_length=0, exception=None, context={})
                return
            if time.monotonic() - approved_at > CONFIRM_WITHIN:
                self.fail("pay: until confirmed", f"payment {payment['payment_no']} still {status} after {CONFIRM_WITHIN:.0f} s")
            time.sleep(0.25)

    # ------------------------------------------------------------------ follow

    @task(2)
    @interruptible
    def follow(self) -> None:
        if not self.orders:
            return
        self.get(f"/api/v1/orders/{random.choice(self.orders)}", "follow: order", headers=self.auth(), session=self.api)
        self.get("/api/v1/orders", "follow: my orders", headers=self.auth(), session=self.api)

    # ------------------------------------------------------------------ plumbing

    def auth(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, name: str, *, headers: dict[str, str] | None = None, expect: int = 200, session: HttpSession | None = None):
        with (session or self.client).get(path, name=name, headers=headers, catch_response=True, allow_redirects=False) as answer:
            return self.checked(answer, expect)

    def post(self, path: str, name: str, body: dict, *, expect: int = 200):
        headers = self.auth() if self.token else None
        with self.api.post(path, name=name, json=body, headers=headers, catch_response=True, allow_redirects=False) as answer:
            return self.checked(answer, expect)

    def checked(self, answer, expect: int):
        if answer.status_code != expect:
            answer.failure(f"{answer.status_code}: {answer.text[:200] if answer.status_code else repr(answer.error)[:200]}")
            # The rest of this task depends on the answer: this customer starts the next task.
            raise _Interrupted
        return answer

    def fail(self, name: str, message: str) -> None:
        events.request.fire(request_type="CHECK", name=name, response_time=0, response_length=0, exception=AssertionError(message), context={})
        raise _Interrupted
