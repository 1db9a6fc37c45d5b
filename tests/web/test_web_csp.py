"""Pages are sent with a Content-Security-Policy that refuses inline scripts and styles, and no
template needs them: styles live in the stylesheets, scripts in static .js files (web/csp.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.tenancy.services import set_status
from platform_core.testing.factories import make_booking
from platform_core.testing.pytest_plugin import client_for

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    path for root in ("platform_core", "plugins", "examples") for path in (REPO / root).rglob("*.html") if "templates" in path.parts
)
HTML = {"accept": "text/html"}

# Attributes written in markup, or as keys of the attrs dicts the ui macros render.
INLINE = {
    "a style attribute": re.compile(r"""\sstyle\s*=\s*["']|["']style["']\s*:""", re.I),
    "a <style> element": re.compile(r"<style[\s>]", re.I),
    "an inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<script[^>]*>[^<\s]", re.I),
    "an on*= event handler": re.compile(r"""\son[a-z]+\s*=\s*["']|["']on[a-z]+["']\s*:""", re.I),
    "an hx-on handler": re.compile(r"\bhx-on[:-]", re.I),
}


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";") if part.strip())}


def test_there_are_templates_to_check():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "checkout.html", "greeting.html", "notice.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_template_has_inline_styles_scripts_or_handlers(path):
    text = path.read_text(encoding="utf-8")
    found = [f"{what} on line {text[:m.start()].count(chr(10)) + 1}" for what, pattern in INLINE.items() for m in pattern.finditer(text)]
    assert not found, f"{path.relative_to(REPO)}: move it to a stylesheet or a static .js file: " + ", ".join(found)


async def test_pages_refuse_inline_scripts_and_styles_and_allow_the_tracking_socket(app, make_tenant):
    tenant = await make_tenant()
    host = f"{tenant.slug}.localhost"
    async with client_for(app, host) as client:
        pages = [await client.get(path, headers=HTML) for path in ("/", "/account/sign-in", "/console/sign-in", "/no-such-page")]
    assert [p.status_code for p in pages] == [200, 200, 200, 404]
    for page in pages:
        policy = directives(page.headers["content-security-policy"])
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["img-src"] == ["'self'", "data:", "https:"]
        assert policy["connect-src"] == ["'self'", f"ws://{host}"]


async def test_the_suspended_page_and_the_platform_console_carry_the_policy_too(app, make_tenant, platform_client):
    tenant = await make_tenant()
    await set_status(tenant.slug, "suspended", "test")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        suspended = await client.get("/", headers=HTML)
    await set_status(tenant.slug, "active")
    platform = await platform_client.get("/platform/sign-in", headers=HTML)
    for page in (suspended, platform):
        assert page.headers["content-type"].startswith("text/html")
        assert directives(page.headers["content-security-policy"])["style-src"] == ["'self'"]


async def test_the_api_and_static_files_carry_no_page_policy(app, make_tenant):
    tenant = await make_tenant()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        api = await client.get("/api/v1/catalog/categories")
        css = await client.get("/static/core/css/hearth.css")
    assert api.status_code == 200 and css.status_code == 200
    assert "content-security-policy" not in api.headers and "content-security-policy" not in css.headers


async def test_the_brand_stylesheet_carries_a_franchise_colours_and_is_cached_for_good(app, make_tenant):
    tenant = await make_tenant(branding={"primary_color": "#7b2cbf", "accent_color": "#0ca678"})
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        page = await client.get("/", headers=HTML)
        href = re.search(r'<link rel="stylesheet" href="(/static/brand/[^"]+)">', page.text).group(1)
        css = await client.get(href)
        bad = await client.get("/static/brand/red-blue.css")
    assert href == "/static/brand/7b2cbf-0ca678.css"
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.text.strip() == ":root{--brand:#7b2cbf;--accent:#0ca678}"
    assert "immutable" in css.headers["cache-control"]
    assert bad.status_code == 404


@pytest.mark.browser
async def test_in_chromium_pages_break_no_rule_of_their_policy_and_wear_the_franchise_colours(live_server, browser, runtime, make_tenant):
    tenant = await make_tenant(locale="en", branding={"primary_color": "#7b2cbf", "accent_color": "#0ca678"})
    booking = await make_booking(tenant, state="accepted")
    host = f"{tenant.slug}.localhost"
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    token = await create_session(kind="customer", user_id=booking.customer_id, tenant_id=tenant.id)
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url(host)}])
    # What the browser refused, as the page itself hears it (htmx's own <style>, an inline style, a script).
    await context.add_init_script("""window.__refused = [];
      document.addEventListener("securitypolicyviolation", e => window.__refused.push(e.violatedDirective + " " + e.blockedURI));""")
    page = await context.new_page()
    # The order page follows the worker over the tracking socket.
    for path in ("/", "/services", "/account/addresses", f"/orders/{booking.number}", "/console/sign-in"):
        await page.goto(live_server.url(host, path))
        await page.wait_for_load_state("networkidle")
        if path.startswith("/orders/"):
            await page.locator("[data-track-status]").filter(has_text="The worker has not set off yet").wait_for()
        assert await page.evaluate("window.__refused") == [], path
        brand = await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
        assert brand == "#7b2cbf", path
    await context.close()
