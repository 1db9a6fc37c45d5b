"""The web shell: branded pages per tenant, languages, the layouts and macros, error pages."""

from __future__ import annotations

import asyncio
import contextvars
import re

import pytest
from jinja2 import Environment

from platform_core.pluginsys.contexts import MenuEntry
from platform_core.tenancy.services import set_status
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.i18n import set_locale
from platform_core.web.templating import build_environment

HTML = {"accept": "text/html"}


def brand(primary: str, accent: str = "#2b8a3e", **extra: str) -> dict[str, str]:
    return {"primary_color": primary, "accent_color": accent, **extra}


async def with_brand_stylesheet(client, response) -> str:
    """The page and the brand stylesheet it links, as the browser puts them together."""
    href = re.search(r'<link rel="stylesheet" href="(/static/brand/[^"]+)">', response.text).group(1)
    return response.text + (await client.get(href)).text


async def test_home_page_shows_the_franchise_name_and_brand_colours(app, make_tenant):
    tenant = await make_tenant(name="阳光家政", branding=brand("#e8590c", display_name="阳光家政", tagline="专业保洁 · 家电清洗"))
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.get("/", headers=HTML)
        styled = await with_brand_stylesheet(client, response)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>阳光家政</title>" in response.text
    assert ":root{--brand:#e8590c;--accent:#2b8a3e}" in styled
    # The tagline's parts read as what the franchise offers.
    assert "<li>专业保洁</li>" in response.text and "<li>家电清洗</li>" in response.text


async def test_two_tenants_show_their_own_brands(app, make_tenant):
    sunny = await make_tenant(name="Sunny", branding=brand("#e8590c", logo_url="/static/core/img/demo/sunshine.svg"))
    harbour = await make_tenant(name="Harbour", branding=brand("#1c4e80"))
    async with client_for(app, f"{sunny.slug}.localhost") as a, client_for(app, f"{harbour.slug}.localhost") as b:
        page_a = await with_brand_stylesheet(a, await a.get("/", headers=HTML))
        page_b = await with_brand_stylesheet(b, await b.get("/", headers=HTML))
    assert "--brand:#e8590c" in page_a and "#1c4e80" not in page_a
    assert "--brand:#1c4e80" in page_b and "#e8590c" not in page_b
    assert "/static/core/img/demo/sunshine.svg" in page_a
    # No logo: a monogram of the name instead.
    assert '<span class="monogram brand__logo" aria-hidden="true">H</span>' in page_b


async def test_chinese_by_default_for_a_chinese_franchise(app, make_tenant):
    tenant = await make_tenant(locale="zh_CN")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        text = (await client.get("/", headers=HTML)).text
    assert '<html lang="zh-CN">' in text
    assert "使用手机号登录" in text
    assert "Sign in with your phone" not in text


async def test_english_for_an_english_franchise(app, make_tenant):
    tenant = await make_tenant(locale="en", timezone="Asia/Hong_Kong", currency="HKD")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        text = (await client.get("/", headers=HTML)).text
    assert '<html lang="en">' in text
    assert "Sign in with your phone" in text


async def test_the_language_switch_changes_the_language_and_goes_back(app, make_tenant):
    tenant = await make_tenant(locale="zh_CN")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        first = await client.get("/", headers=HTML)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', first.text).group(1)
        switched = await client.post("/locale", data={"locale": "en", "next": "/account", "csrf_token": token})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/account"
        cookie = switched.headers["set-cookie"]
        assert "hearth_locale=en" in cookie and "Max-Age=31536000" in cookie and "SameSite=lax" in cookie
        english = await client.get("/", headers=HTML)
        assert '<html lang="en">' in english.text and "Sign in with your phone" in english.text
        # The switch offers the way back to Chinese.
        assert 'value="zh_CN"' in english.text and "简体中文" in english.text


async def test_the_language_switch_only_returns_to_local_paths(app, make_tenant):
    tenant = await make_tenant()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        async with client_for(app, f"{tenant.slug}.localhost") as client:
            response = await client.post("/locale", data={"locale": "en", "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/"


async def test_the_language_switch_refuses_an_unknown_language(app, make_tenant):
    tenant = await make_tenant()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.post("/locale", data={"locale": "fr", "next": "/"})
    assert response.status_code == 400
    assert "hearth_locale" not in response.headers.get("set-cookie", "")


async def test_the_language_switch_needs_the_csrf_token_once_the_browser_has_cookies(app, make_tenant):
    tenant = await make_tenant()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        await client.get("/", headers=HTML)
        response = await client.post("/locale", data={"locale": "en", "next": "/"}, headers=HTML)
    assert response.status_code == 403


async def test_pages_carry_the_csrf_token_for_htmx(app, make_tenant):
    tenant = await make_tenant()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.get("/", headers=HTML)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text).group(1)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in response.text
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in response.text
    assert f'name="csrf_token" value="{token}"' in response.text
    assert "hearth_csrf=" + token in response.headers["set-cookie"]


async def test_unknown_host_gets_the_404_page(app):
    async with client_for(app, "no-such-franchise.localhost") as client:
        response = await client.get("/", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="error-card__code">404<' in response.text
    # No tenant: Hearth's neutral look, no tenant colours.
    assert "--brand:" not in response.text


async def test_suspended_franchise_shows_a_calm_page_in_its_own_branding(app, make_tenant):
    tenant = await make_tenant(
        name="Harbour Home Care", locale="en", timezone="Asia/Hong_Kong", branding=brand("#1c4e80", display_name="Harbour Home Care")
    )
    await set_status(tenant.slug, "suspended", "unpaid invoice")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.get("/", headers=HTML)
        text = await with_brand_stylesheet(client, response)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Harbour Home Care" in text and "--brand:#1c4e80" in text
    # Both languages, the franchise's first; the reason stays internal.
    assert text.index("This service is temporarily unavailable.") < text.index("服务暂时不可用")
    assert "<title>Temporarily unavailable · Harbour Home Care</title>" in text
    assert "unpaid invoice" not in text
    await set_status(tenant.slug, "active")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        assert (await client.get("/", headers=HTML)).status_code == 200


async def test_platform_host_home_goes_to_the_platform_console(platform_client):
    response = await platform_client.get("/", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/platform/"


async def test_the_design_system_and_demo_logos_are_served(app):
    async with client_for(app, "anything.localhost") as client:
        css = await client.get("/static/core/css/hearth.css")
        logos = [await client.get(f"/static/core/img/{name}.svg") for name in ("demo/sunshine", "demo/harbour", "favicon")]
    assert css.status_code == 200 and "--brand-50: color-mix(" in css.text and '"PingFang SC"' in css.text
    assert all(r.status_code == 200 and r.text.lstrip().startswith("<svg") for r in logos)


# --- layouts and macros, rendered directly: the pages that use them come from other domains ---


@pytest.fixture
def env() -> Environment:
    return build_environment([])


def render(env: Environment, source: str, locale: str = "en", **context) -> str:
    set_locale(locale)
    base = {"tenant": None, "principal": None, "csrf_token": "tok", "locale": locale, "path": "/", "request": None}
    return env.from_string(source).render({**base, **context})


class FakePrincipal:
    def __init__(self, kind: str) -> None:
        self.kind = kind


def test_console_layout_groups_the_menu_by_section_and_translates_labels(env):
    nav = [
        MenuEntry(label="Plugins", href="/console/plugins", icon="puzzle", section="settings", order=50),
        MenuEntry(label="Dashboard", href="/console/", icon="home", section="operations", order=0),
        MenuEntry(label="Users", href="/console/users", icon="users", section="settings", order=10),
    ]
    source = (
        '{% extends "layouts/console.html" %}{% block page_title %}Users{% endblock %}'
        '{% block actions %}<a class="btn" href="/console/users/new">New</a>{% endblock %}{% block content %}body{% endblock %}'
    )
    html = render(env, source, locale="zh_CN", nav=nav, path="/console/users/7", principal=FakePrincipal("console"))
    assert html.index("运营") < html.index("仪表盘") < html.index("设置") < html.index("用户") < html.index("插件")
    assert '<a href="/console/users" aria-current="page">' in html
    assert '<a href="/console/" aria-current="page">' not in html
    assert 'action="/console/sign-out"' in html and 'name="csrf_token" value="tok"' in html
    assert '<h1 class="page-header__title">Users</h1>' in html and 'href="/console/users/new"' in html


def test_platform_layout_has_its_own_identity_and_navigation(env):
    html = render(env, '{% extends "layouts/platform.html" %}{% block content %}x{% endblock %}',
                  path="/platform/tenants", principal=FakePrincipal("operator"))
    assert "Hearth Platform" in html and "surface-platform" in html
    assert '<a href="/platform/tenants" aria-current="page">' in html and 'href="/platform/plugins"' in html
    assert 'action="/platform/sign-out"' in html


def test_customer_layout_shows_account_and_sign_out_only_when_signed_in(env):
    source = '{% extends "layouts/customer.html" %}{% block content %}x{% endblock %}'
    signed_out = render(env, source)
    signed_in = render(env, source, principal=FakePrincipal("customer"), flash=[("success", "Saved.")])
    assert 'href="/account/sign-in"' in signed_out and 'action="/account/sign-out"' not in signed_out
    assert 'action="/account/sign-out"' in signed_in and 'href="/account"' in signed_in
    assert "alert--success" in signed_in and "Saved." in signed_in
    # A console user signed in on the same host is not a customer.
    assert 'action="/account/sign-out"' not in render(env, source, principal=FakePrincipal("console"))


def test_field_macro_puts_the_error_under_the_field_and_links_it(env):
    source = (
        '{% import "macros/ui.html" as ui with context %}'
        '{{ ui.error_summary({"phone": "Enter a valid phone number."}) }}'
        '{{ ui.field("phone", "Phone", value="<b>", error="Enter a valid phone number.", help="We text a code.", required=True, attrs={"autocomplete": "tel"}) }}'
    )
    html = render(env, source)
    assert 'href="#field-phone"' in html
    assert 'aria-describedby="field-phone-help field-phone-error"' in html and 'aria-invalid="true"' in html
    assert 'id="field-phone-error"' in html and 'autocomplete="tel"' in html
    assert 'value="&lt;b&gt;"' in html


def test_code_input_is_one_numeric_one_time_code_input(env):
    html = render(env, '{% import "macros/ui.html" as ui with context %}{{ ui.code_input("code", "Code") }}')
    assert html.count("<input") == 1
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html and 'maxlength="6"' in html
    assert html.count("<span></span>") == 6


def test_translated_variables_stay_escaped(env):
    html = render(env, '{% import "macros/ui.html" as ui with context %}{{ ui.alert("<script>x</script>"|t) }}')
    assert "<script>x" not in html and "&lt;script&gt;" in html


async def test_an_unguarded_page_knows_the_signed_in_customer(app, runtime, make_tenant):
    from platform_core.accounts.sessions import SESSION_COOKIE, create_session
    from platform_core.testing.factories import make_customer

    tenant = await make_tenant(locale="en")
    customer_id = await make_customer(tenant)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        anonymous = await client.get("/services", headers=HTML)
        client.cookies.set(SESSION_COOKIE, token)
        signed_in = await client.get("/services", headers=HTML)
    assert 'href="/account/sign-in"' in anonymous.text
    # The navigation offers the account, not a sign-in, on a page without a guard.
    assert 'href="/account"' in signed_in.text and ">Sign in<" not in signed_in.text


async def test_a_method_the_path_lacks_gets_405_and_the_error_page_as_served(app, make_tenant):
    """Litestar's router answers a method a path lacks before any route's middleware; the page
    must still render with the app's runtime. Run in an empty context, as uvicorn runs a request
    (the test session's own context has a runtime entered)."""
    tenant = await make_tenant()

    async def ask(method: str, path: str):
        async with client_for(app, f"{tenant.slug}.localhost") as client:
            return await client.request(method, path)

    for method, path in (("GET", "/book/deep-cleaning/price"), ("DELETE", "/services"), ("PUT", "/api/v1/orders")):
        response = await asyncio.create_task(ask(method, path), context=contextvars.Context())
        assert response.status_code == 405, (method, path, response.text[:200])
        assert ("<html" in response.text) != path.startswith("/api/")
        assert "此页面不支持这种请求方式。" in response.text  # the franchise's Chinese, not Litestar's English
