"""/metrics: Prometheus text with the HTTP requests by route and our own counters; a token when
one is set, and nothing in production without one."""

from __future__ import annotations

import msgspec

from platform_core.testing.pytest_plugin import client_for


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition, 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_and_refused_notifications(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        before = (await client.get("/metrics")).text
        for _ in range(3):
            assert (await client.get("/services")).status_code == 200
        await client.post(f"/payments/notify/nopay/{tenant_a.slug}", content=b"forged")
        after = await client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    text = after.text
    assert sample(text, "hearth_requests_total", path="/services", method="GET") - sample(before, "hearth_requests_total", path="/services", method="GET") == 3
    assert sample(text, "hearth_payment_notifications_total", provider="unknown", outcome="refused") >= 1
    assert 'path="/metrics"' not in text  # the scrape itself is not counted


async def test_metrics_need_the_token_when_one_is_set_and_are_off_in_production_without(app, runtime):
    configured = runtime.settings
    try:
        runtime.settings = msgspec.structs.replace(configured, metrics_token="scrape-secret-123")
        async with client_for(app, "platform.localhost") as client:
            assert (await client.get("/metrics")).status_code == 401
            assert (await client.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 401
            assert (await client.get("/metrics", headers={"authorization": "Bearer scrape-secret-123"})).status_code == 200
        runtime.settings = msgspec.structs.replace(configured, env="prod")
        async with client_for(app, "platform.localhost") as client:
            assert (await client.get("/metrics")).status_code == 404
    finally:
        runtime.settings = configured
