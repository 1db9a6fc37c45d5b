"""With redis unreachable, requests that need it (sessions, rate limits) answer 503 with a
translated message to try again, never a 500, and /health/ready says which check fails."""

from __future__ import annotations

import socket

import msgspec
import pytest

from platform_core.accounts.sessions import SESSION_COOKIE
from platform_core.kv import open_kv
from platform_core.testing.pytest_plugin import client_for

ZH = "系统的部分服务暂时没有响应，暂时无法处理您的请求，请稍后再试。"
EN = "We can not handle this right now: part of our system is not answering. Please try again in a minute."


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@pytest.fixture
async def redis_gone(app, hearth_settings):
    """The running app's store pointed at a port where no redis answers, as REDIS_URL would put it
    (or as a redis that went away mid-run leaves it); put back afterwards."""
    runtime = app.state.runtime
    saved = runtime.redis, runtime.kv
    dead = msgspec.structs.replace(hearth_settings, redis_url=f"redis://127.0.0.1:{_dead_port()}/0")
    async with open_kv(dead) as (redis, kv):
        runtime.redis, runtime.kv = redis, kv
        try:
            yield
        finally:
            runtime.redis, runtime.kv = saved


async def test_asking_for_a_sign_in_code_answers_503_with_a_message(app, redis_gone, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        response = await client.post("/api/v1/auth/code", json={"phone": "13800138000"})
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "service_unavailable", "message": ZH, "fields": {}}
    assert int(response.headers["retry-after"]) > 0


async def test_a_signed_in_page_answers_503_in_the_franchise_language(app, redis_gone, make_tenant):
    tenant = await make_tenant(locale="en")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        client.cookies.set(SESSION_COOKIE, "a-session-token")
        response = await client.get("/account")
        # The page's styles still load: files need no session.
        stylesheet = await client.get("/static/core/css/hearth.css")
    assert response.status_code == 503
    assert "text/html" in response.headers["content-type"]
    assert EN in response.text and 'href="/static/core/css/hearth.css"' in response.text
    assert stylesheet.status_code == 200


async def test_health_ready_names_redis_as_the_failing_check(app, redis_gone):
    async with client_for(app, "nowhere.example") as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"].startswith("error: ")


async def test_pages_that_need_no_redis_still_answer(app, redis_gone, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        response = await client.get("/services")
    assert response.status_code == 200
