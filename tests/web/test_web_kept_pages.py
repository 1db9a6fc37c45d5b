"""Whole pages kept for visitors who are not signed in (web/templating.KeptPages): the home page,
the services list and an item page are rendered once per franchise stamp, language and day, yet
each visitor gets their own csrf token and the notices of the moment, and a change shows at once."""

from __future__ import annotations

import re

from platform_core.pluginsys.contexts import PageNotice
from platform_core.pluginsys.markers import hookimpl
from platform_core.testing.factories import make_item, make_worker
from platform_core.testing.pytest_plugin import client_for


def _kept(app) -> dict:
    return app.template_engine.engine.kept_pages.kept


def _token_free(html: str, token: str) -> str:
    return html.replace(token, "TOKEN")


class CountingNotices:
    """A plugin whose banner changes on every page, as a plugin's may (by the hour, by visitor)."""

    def __init__(self) -> None:
        self.shown = 0

    @hookimpl
    def compute_page_notices(self, page):
        self.shown += 1
        return [PageNotice(title=f"Banner number {self.shown}", body="<b>not markup</b>")]


async def test_each_visitor_gets_their_own_token_on_a_kept_page(app, tenant_a):
    host = f"{tenant_a.slug}.localhost"
    pages = {}
    for name in ("first", "second"):
        async with client_for(app, host) as visitor:
            response = await visitor.get("/")
            token = visitor.cookies.get("hearth_csrf")
            assert response.status_code == 200 and token
            html = response.text
            assert f'<meta name="csrf-token" content="{token}">' in html
            assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in html
            # The language switch posts with the visitor's token.
            assert re.search(rf'action="/locale">\s*<input type="hidden" name="csrf_token" value="{token}">', html)
            pages[name] = (html, token)
    (first, first_token), (second, second_token) = pages["first"], pages["second"]
    assert first_token != second_token and first_token not in second
    assert _token_free(first, first_token) == _token_free(second, second_token)
    assert [key for key in _kept(app) if key[0] == "shell/home.html" and key[1] == tenant_a.id]


async def test_a_token_that_is_not_one_of_ours_is_escaped_not_pasted(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as visitor:
        await visitor.get("/")
        visitor.cookies.set("hearth_csrf", '"><script>alert(1)</script>')
        html = (await visitor.get("/")).text
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_notices_are_the_moments_on_every_kept_page(app, runtime, tenant_a):
    plugin = CountingNotices()
    runtime.pm.register(plugin, name="core.test_counting_notices")
    try:
        async with client_for(app, f"{tenant_a.slug}.localhost") as visitor:
            pages = [(await visitor.get(path)).text for path in ("/", "/", "/services")]
    finally:
        runtime.pm.unregister(name="core.test_counting_notices")
    for number, html in enumerate(pages, start=1):
        assert html.count("Banner number") == 1 and f"Banner number {number}" in html
        assert "&lt;b&gt;not markup&lt;/b&gt;" in html
        # Where the layout puts them: first in the main column.
        main = html.index('id="main"')
        assert main < html.index('<div class="flash-stack">') < html.index("Banner number") < html.index("</main>")
        assert "<section" not in html[main:html.index("Banner number")]
    async with client_for(app, f"{tenant_a.slug}.localhost") as visitor:
        assert "Banner number" not in (await visitor.get("/")).text


async def test_a_signed_in_customer_never_gets_a_kept_page(app, tenant_a, customer):
    from platform_core.testing.factories import signed_in

    async with client_for(app, f"{tenant_a.slug}.localhost") as visitor, await signed_in(app, tenant_a, "customer", customer) as signed:
        await visitor.get("/services")
        theirs = (await signed.get("/services")).text
        assert 'action="/account/sign-out"' in theirs and 'href="/account/sign-in"' not in theirs
        assert 'action="/account/sign-out"' not in (await visitor.get("/services")).text


async def test_a_kept_item_page_follows_its_workers_and_query(app, tenant_a):
    await make_item(tenant_a, title="Window cleaning", slug="windows-kept")
    async with client_for(app, f"{tenant_a.slug}.localhost") as visitor:
        assert "周阿姨" not in (await visitor.get("/services/windows-kept")).text
        await make_worker(tenant_a, "周阿姨")
        assert "周阿姨" in (await visitor.get("/services/windows-kept")).text
        visitor.cookies.set("hearth_locale", "en")
        assert "Book now" in (await visitor.get("/services/windows-kept")).text
        visitor.cookies.set("hearth_locale", "zh_CN")
        assert "Book now" not in (await visitor.get("/services/windows-kept")).text
        # Kept apart by query too: a page that reads its query never answers for another.
        assert (await visitor.get("/services/windows-kept?ref=x")).status_code == 200
    assert len({key[4][1] for key in _kept(app) if key[0] == "booking/item.html"}) == 2
