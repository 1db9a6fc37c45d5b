"""A large request body must not poison its keep-alive connection: the next requests on the same
connection (any franchise) are answered as if they came on a fresh one (web/serverio.py)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# Read by the handler (a sign-in code), and refused before the body is read (no session).
@pytest.mark.parametrize("path", ["/api/v1/auth/code", "/api/v1/me/addresses"])
@pytest.mark.parametrize("size", [70_000, 300_000])
async def test_a_large_body_then_ordinary_requests_on_the_same_connection(live_server, make_tenant, path, size):
    first = await make_tenant(prefix="ka")
    second = await make_tenant(prefix="kb")
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=live_server.url("127.0.0.1"), limits=limits, timeout=20) as client:
        big = await client.post(
            path, content=b'{"phone": "' + b"1" * size + b'"}',
            headers={"content-type": "application/json", "host": f"{first.slug}.localhost"},
        )
        assert 400 <= big.status_code < 500
        for tenant in (first, second, first):
            answer = await client.get("/api/v1/catalog/categories", headers={"host": f"{tenant.slug}.localhost"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == []
    assert "released back to the pool" not in live_server.log()
