"""What the QQ sign-in tests share (the isolation suite too): QQ Connect's stand-in in a thread,
franchises with QQ sign-in on against it, and a browser's way through the sign-in."""

from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest

from platform_core.db import current_connection
from platform_core.sandbox.config import tenant_config
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import post_form, random_phone, with_csrf
from platform_core.testing.pytest_plugin import client_for
from plugins.login_qq import plugin

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture
def qq_franchise(make_tenant, enable_plugin, sandbox):
    """`await qq_franchise()`: a franchise with QQ sign-in on, its app at the sandbox (as the demo
    sets it, through register_sandbox_config)."""
    _sb, data_dir, port = sandbox

    async def make(**fields):
        tenant = await make_tenant(**fields)
        config = plugin.register_sandbox_config(tenant_config(tenant.slug, data_dir=data_dir, port=port))
        await enable_plugin(tenant, "login_qq", **msgspec.to_builtins(config))
        return tenant, config

    return make


@pytest.fixture
async def franchise(qq_franchise):
    return await qq_franchise(prefix="qq")


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


@pytest.fixture
def every_log(caplog):
    """Every log line of the process at DEBUG, the app's own `hearth` loggers (which do not
    propagate) included: `"\n".join(every_log.lines)`."""
    kept = _Kept()
    hearth = logging.getLogger("hearth")
    level = hearth.level
    caplog.set_level(logging.DEBUG)
    hearth.setLevel(logging.DEBUG)
    for logger in (logging.getLogger(), hearth):
        logger.addHandler(kept)
    yield kept
    for logger in (logging.getLogger(), hearth):
        logger.removeHandler(kept)
    hearth.setLevel(level)


class Journey:
    """One browser's way through QQ sign-in: the site's pages in-process, QQ's over HTTP."""

    def __init__(self, site: httpx.AsyncClient):
        self.site = site
        self.code = ""
        self.qq_url = ""

    async def to_qq(self, user_agent: str = DESKTOP) -> str:
        start = await self.site.get("/account/sign-in/login_qq?next=/account/addresses", headers={"User-Agent": user_agent})
        assert start.status_code == 303, start.text
        self.qq_url = start.headers["location"]
        return self.qq_url

    async def decide(self, decision: str = "approve", user: str = "sunny", user_agent: str = DESKTOP) -> str:
        """QQ's consent page, then Approve or Deny: where QQ sends the browser back to."""
        qq_url = self.qq_url or await self.to_qq(user_agent)
        async with httpx.AsyncClient(timeout=10) as qq:
            consent = await qq.get(qq_url)
            assert consent.status_code == 200, consent.text
            fields = {name: unescape(value) for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', consent.text)}
            back = await qq.post(urlsplit(qq_url)._replace(query="").geturl(), data={**fields, "user": user, "decision": decision})
        assert back.status_code == 302
        self.code = parse_qs(urlsplit(back.headers["location"]).query).get("code", [""])[0]
        return back.headers["location"]

    async def back_at_site(self, location: str) -> httpx.Response:
        parts = urlsplit(location)
        assert parts.path == "/account/sign-in/login_qq/callback"
        return await self.site.get(f"{parts.path}?{parts.query}")

    async def sign_in(self, user: str = "sunny") -> httpx.Response:
        return await self.back_at_site(await self.decide(user=user))

    async def first_sign_in(self, sms, user: str = "sunny", phone: str | None = None) -> httpx.Response:
        """A QQ user new to the franchise: QQ, then the phone number linked by a texted code."""
        asked = await self.sign_in(user)
        assert asked.status_code == 303 and asked.headers["location"] == "/account/sign-in?link=login_qq", asked.text
        e164 = phone or random_phone()
        sent = await post_form(self.site, "/account/sign-in/code", {"phone": e164, "link": "login_qq"})
        assert sent.status_code == 200, sent.text
        return await post_form(self.site, "/account/sign-in/verify",
                               {"phone": e164, "code": sms.code_for(e164), "link": "login_qq", "next": "/account/addresses"})


def site(app, tenant) -> httpx.AsyncClient:
    return with_csrf(client_for(app, f"{tenant.slug}.localhost"))


async def customers(tenant) -> list[dict]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select c.id, c.display_name, i.subject from core_customer c left join core_login_identity i on i.customer_id = c.id "
            "and i.provider = 'login_qq' order by c.id")
    return [dict(r) for r in rows]
