"""Live tracking: the worker's positions while on the way reach the customer's socket (also from
another process, through redis or PostgreSQL), with the ETA; sharing stops on arrival; only the
assigned worker may share and only the order's customer may watch."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.geo import distance_m
from platform_core.pluginsys import hookimpl
from platform_core.testing.factories import (
    CSRF,
    bearer_for,
    make_booking,
    make_customer,
    make_worker,
    set_order_state,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for, settings_env
from platform_core.tracking.channels import channel_for


class SocketClient:
    def __init__(self, app, host: str, path: str, *, cookies: dict[str, str] | None = None, origin: str | None = None) -> None:
        headers = [(b"host", host.encode())]
        if cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        if origin:
            headers.append((b"origin", origin.encode()))
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "http_version": "1.1", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": (host, 80), "subprotocols": [],
        }
        self.to_app: asyncio.Queue = asyncio.Queue()
        self.from_app: asyncio.Queue = asyncio.Queue()
        self.to_app.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.to_app.get, self.from_app.put))

    async def message(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.from_app.get(), timeout)

    async def accepted(self) -> bool:
        return (await self.message())["type"] == "websocket.accept"

    async def receive_json(self, timeout: float = 5) -> dict:
        message = await self.message(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message.get("text") or message["bytes"])

    async def close(self) -> None:
        self.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


HOME = (31.2304, 121.4737)
NEARBY = {"lat": 31.2404, "lng": 121.4737, "accuracy": 12.0}  # 0.01° north: about 1.1 km


async def _customer_socket(app, tenant, booking, customer_id: int | None = None, **kwargs) -> SocketClient:
    token = await create_session(kind="customer", user_id=customer_id or booking.customer_id, tenant_id=tenant.id)
    return SocketClient(app, booking.host, f"/ws/orders/{booking.number}/track", cookies={SESSION_COOKIE: token}, **kwargs)


async def test_customer_follows_the_worker_from_on_my_way_to_arrival(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="accepted")
    socket = await _customer_socket(app, tenant_a, booking)
    assert await socket.accepted()
    assert (await socket.receive_json())["type"] == "waiting"
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        page = await worker.get(f"/staff/visits/{booking.order_id}")
        assert page.status_code == 200 and "On my way" in page.text
        assert (await worker.post(f"/staff/visits/{booking.order_id}/depart", data={"csrf_token": CSRF})).status_code == 303
        sharing = await worker.get(f"/staff/visits/{booking.order_id}")
        assert "data-track-share" in sharing.text and "Arrived" in sharing.text

        shared = await worker.post(f"/api/v1/staff/orders/{booking.order_id}/position", json=NEARBY, headers={"x-csrf-token": CSRF})
        assert shared.status_code == 202, shared.text
        update = await socket.receive_json()
        assert update["type"] == "position" and (update["lat"], update["lng"]) == (NEARBY["lat"], NEARBY["lng"])
        expected = distance_m((NEARBY["lat"], NEARBY["lng"]), HOME)
        assert update["distance_m"] == round(expected)
        # 25 km/h, the tenant's default travel speed.
        assert update["eta_s"] == round(expected / (25 / 3.6))

        assert (await worker.post(f"/staff/visits/{booking.order_id}/arrive", data={"csrf_token": CSRF})).status_code == 303
        assert (await socket.receive_json())["type"] == "ended"
        assert (await socket.message())["type"] == "websocket.close"
        late = await worker.post(f"/api/v1/staff/orders/{booking.order_id}/position", json=NEARBY, headers={"x-csrf-token": CSRF})
        assert late.status_code == 409
        assert (await worker.post(f"/staff/visits/{booking.order_id}/complete", data={"csrf_token": CSRF})).status_code == 303
        assert "Service completed" in (await worker.get(f"/staff/visits/{booking.order_id}?done=complete")).text
    await socket.close()
    # A socket opened after arrival says so and closes.
    after = await _customer_socket(app, tenant_a, booking)
    assert await after.accepted()
    assert (await after.receive_json())["type"] == "ended"
    await after.close()


async def test_a_new_socket_gets_the_last_position_at_once(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="en_route")
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        assert (await worker.post(f"/api/v1/staff/orders/{booking.order_id}/position", json=NEARBY, headers={"x-csrf-token": CSRF})).status_code == 202
    socket = await _customer_socket(app, tenant_a, booking)
    assert await socket.accepted()
    first = await socket.receive_json()
    assert first["type"] == "position" and first["lat"] == NEARBY["lat"]
    await socket.close()
    # The same through the API, for app clients; another customer's order is not found.
    stranger = await make_customer(tenant_a, name="张三")
    async with client_for(app, booking.host) as api:
        mine = await api.get(f"/api/v1/orders/{booking.number}/track", headers=await bearer_for(tenant_a, "customer", booking.customer_id))
        assert mine.json()["destination"] == list(HOME) and mine.json()["last"]["lng"] == NEARBY["lng"]
        other = await api.get(f"/api/v1/orders/{booking.number}/track", headers=await bearer_for(tenant_a, "customer", stranger))
        assert other.status_code == 404


async def test_only_the_assigned_worker_on_the_way_may_share_a_position(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="accepted")
    other_worker = await make_worker(tenant_a, name="赵师傅")
    url = f"/api/v1/staff/orders/{booking.order_id}/position"
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        assert (await worker.post(url, json=NEARBY, headers={"x-csrf-token": CSRF})).status_code == 409  # not on the way yet
        await set_order_state(tenant_a, booking.order_id, "en_route")
        bad = await worker.post(url, json={"lat": 91, "lng": 0}, headers={"x-csrf-token": CSRF})
        assert bad.status_code == 400 and "lat" in bad.json()["error"]["fields"]
        assert (await worker.post(url, json=NEARBY, headers={"x-csrf-token": CSRF})).status_code == 202
    async with await signed_in(app, tenant_a, "staff", other_worker) as stranger:
        assert (await stranger.post(url, json=NEARBY, headers={"x-csrf-token": CSRF})).status_code == 404
        assert (await stranger.get(f"/staff/visits/{booking.order_id}")).status_code == 404
        assert (await stranger.post(f"/staff/visits/{booking.order_id}/arrive", data={"csrf_token": CSRF})).status_code == 404
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
        assert (await customer.post(url, json=NEARBY, headers={"x-csrf-token": CSRF})).status_code == 401


async def test_another_customers_socket_is_refused(app, runtime, tenant_a, tenant_b):
    booking = await make_booking(tenant_a, state="en_route")
    stranger = await make_customer(tenant_a, name="张三")
    token = await create_session(kind="customer", user_id=booking.customer_id, tenant_id=tenant_a.id)
    refused = [
        await _customer_socket(app, tenant_a, booking, customer_id=stranger),
        SocketClient(app, booking.host, f"/ws/orders/{booking.number}/track"),
        await _customer_socket(app, tenant_a, booking, origin="https://evil.example"),
        # The owner's session presented on another franchise's host.
        SocketClient(app, f"{tenant_b.slug}.localhost", f"/ws/orders/{booking.number}/track", cookies={SESSION_COOKIE: token}),
    ]
    for socket in refused:
        assert await socket.message() == {"type": "websocket.close", "code": 4403, "reason": ""}
    owner = await _customer_socket(app, tenant_a, booking, origin=f"http://{booking.host}")
    assert await owner.accepted()
    await owner.close()


async def test_route_eta_plugin_answer_wins(app, runtime, tenant_a):
    class FixedEta:
        @hookimpl
        def select_route_eta(self, route):
            return 420

    runtime.pm.register(FixedEta(), name="core.test_eta")
    try:
        booking = await make_booking(tenant_a, state="en_route")
        async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
            shared = await worker.post(f"/api/v1/staff/orders/{booking.order_id}/position", json=NEARBY, headers={"x-csrf-token": CSRF})
        assert shared.json()["eta_s"] == 420
    finally:
        runtime.pm.unregister(name="core.test_eta")


PUBLISHER = """
import asyncio, sys
from platform_core.settings import load_settings
from platform_core.tracking.channels import make_backend

async def main():
    backend = make_backend(load_settings())
    await backend.on_startup()
    await backend.publish(sys.argv[2].encode(), [sys.argv[1]])
    await backend.on_shutdown()

asyncio.run(main())
"""


async def test_a_position_published_by_another_process_reaches_the_socket(app, runtime, hearth_settings, tenant_a):
    booking = await make_booking(tenant_a, state="en_route")
    socket = await _customer_socket(app, tenant_a, booking)
    assert await socket.accepted()
    assert (await socket.receive_json())["type"] == "waiting"
    message = '{"type":"position","state":"en_route","lat":31.25,"lng":121.48,"distance_m":2200,"eta_s":317}'
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", PUBLISHER, channel_for(hearth_settings, tenant_a.id, booking.order_id), message],
        env=settings_env(hearth_settings), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    update = await socket.receive_json(timeout=10)
    assert (update["lat"], update["eta_s"]) == (31.25, 317)
    await socket.close()


async def test_sharing_ends_for_the_customer_however_the_order_leaves_the_way(app, runtime, tenant_a, monkeypatch):
    from platform_core.tracking import views

    monkeypatch.setattr(views, "STATE_CHECK_SECONDS", 0.1)
    booking = await make_booking(tenant_a, state="en_route")
    socket = await _customer_socket(app, tenant_a, booking)
    assert await socket.accepted()
    assert (await socket.receive_json())["type"] == "waiting"
    await set_order_state(tenant_a, booking.order_id, "no_show")
    assert await socket.receive_json() == {"type": "ended", "state": "no_show"}
    assert (await socket.message())["type"] == "websocket.close"
    await socket.close()


async def test_a_runaway_worker_page_is_throttled(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="en_route")
    url = f"/api/v1/staff/orders/{booking.order_id}/position"
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        codes = [(await worker.post(url, json=NEARBY, headers={"x-csrf-token": CSRF})).status_code for _ in range(31)]
    assert codes[:30] == [202] * 30 and codes[30] == 429


async def test_the_customers_order_page_carries_the_live_map_while_the_worker_comes(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="en_route")
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as client:
        page = await client.get(f"/orders/{booking.number}")
        assert page.status_code == 200
        assert f'data-socket="/ws/orders/{booking.number}/track"' in page.text and 'data-lat="31.2304"' in page.text
        assert (await client.get("/static/core/js/tracking.js")).status_code == 200
        await set_order_state(tenant_a, booking.order_id, "in_service")
        assert "data-track-map" not in (await client.get(f"/orders/{booking.number}")).text


def test_redis_channels_of_installations_sharing_a_redis_never_meet(hearth_settings):
    import msgspec

    ours = msgspec.structs.replace(hearth_settings, redis_url="redis://127.0.0.1:6379/0", key_prefix="hearth-a")
    theirs = msgspec.structs.replace(ours, key_prefix="hearth-b")
    assert channel_for(ours, 5, 12) != channel_for(theirs, 5, 12)
    assert channel_for(msgspec.structs.replace(ours, redis_url=None), 5, 12) == "hearth_track_5_12"
