"""A sandbox playing WeChat (its real HTTP endpoints), and a person's WeChat driving it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_core.sandbox.config import tenant_config
from platform_core.testing.factories import with_csrf
from platform_core.testing.pytest_plugin import client_for
from plugins.login_wechat.plugin import NAME, sandbox_values

IN_WECHAT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"


@pytest.fixture
def wechat_on(sandbox, enable_plugin):
    """`await wechat_on(tenant)`: WeChat sign-in on for the franchise, pointed at the sandbox; its SandboxConfig."""

    async def turn_on(tenant):
        _, data_dir, port = sandbox
        cfg = tenant_config(tenant.slug, data_dir=data_dir, port=port)
        await enable_plugin(tenant, NAME, **sandbox_values(cfg))
        return cfg

    return turn_on


class WeChatUser:
    """A person with WeChat on their phone (the sandbox's cookie says who is signed in to WeChat)."""

    def __init__(self, name: str) -> None:
        self.http = httpx.AsyncClient(follow_redirects=False, timeout=10)
        self.http.cookies.set("sandbox_wechat_user", name)
        self.name = name

    async def authorize(self, url: str, decision: str = "approve") -> str:
        """Open WeChat's authorise address; approve (or deny) where WeChat asks; the callback address it returns to."""
        url = url.split("#")[0]  # "#wechat_redirect" stays in the browser
        answer = await self.http.get(url)
        if answer.status_code == 302:  # snsapi_base: nothing to approve
            return answer.headers["location"]
        assert answer.status_code == 200, answer.text
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        decided = await self.http.post(f"{base}/connect/decide", data={
            "appid": q["appid"], "redirect_uri": q["redirect_uri"], "scope": q["scope"], "state": q.get("state", ""),
            "user": self.name, "decision": decision})
        assert decided.status_code == 302, decided.text
        return decided.headers["location"]

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def wechat_user():
    made: list[WeChatUser] = []

    def make(name: str = "amy") -> WeChatUser:
        made.append(WeChatUser(name))
        return made[-1]

    yield make
    for user in made:
        await user.close()


def local(url: str) -> str:
    """A callback address on the franchise's host, as the test client asks for it."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def sign_in_through_wechat(client, person: WeChatUser, *, ua: str = IN_WECHAT, query: str = "", decision: str = "approve"):
    """Start on the franchise's site, pass WeChat, come back: the callback's answer."""
    started = await client.get(f"/account/sign-in/wechat?{query}", headers={"User-Agent": ua})
    assert started.status_code == 303, started.text
    back = await person.authorize(started.headers["location"], decision)
    return await client.get(local(back), headers={"User-Agent": ua})


@pytest.fixture
def browser_for(app):
    """`async with browser_for(tenant) as client`: a fresh browser (cookies of its own) on the franchise's site, in English."""

    def open_for(tenant):
        return _Browser(app, tenant)

    return open_for


class _Browser:
    def __init__(self, app, tenant) -> None:
        self.client = client_for(app, f"{tenant.slug}.localhost")

    async def __aenter__(self):
        client = with_csrf(await self.client.__aenter__())
        return client

    async def __aexit__(self, *exc):
        await self.client.__aexit__(*exc)
