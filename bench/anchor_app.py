"""The anchor of bench/http_pages.py: the least a page of Hearth's could cost on the same stack.

A minimal Litestar app (the same Litestar, uvicorn, asyncpg, Jinja2, msgspec and Babel) on the
same database, as the same app role under the same row-level security: per request one
transaction that sets the tenant and runs one query (`BEGIN`, `set_config`, the query, `COMMIT`),
then a Jinja template with a small layout (or msgspec JSON). The franchise is looked up once at
start, by its slug. No sessions, CSRF, plugins, banners or translations: what Hearth adds on top
of this is what the ratio measures.

    .venv/bin/python -m uvicorn --factory anchor_app:create --app-dir bench --port 8001
    (reads HEARTH_ANCHOR_DSN: the app role's DSN; HEARTH_ANCHOR_SLUG, default sunshine)
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from functools import lru_cache

import asyncpg
import msgspec
from babel import Locale
from babel.numbers import format_currency
from jinja2 import DictLoader, Environment, select_autoescape
from litestar import Litestar, Response, get
from litestar.exceptions import NotFoundException

LAYOUT = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{% block title %}{% endblock %} · {{ brand }}</title>
<link rel="stylesheet" href="/static/core/css/app.css"></head>
<body><header class="site-header"><a href="/" class="brand">{{ brand }}</a>
<nav><a href="/services">Services</a> <a href="/orders">Orders</a> <a href="/account">Account</a></nav></header>
<main>{% block content %}{% endblock %}</main><footer>{{ brand }}</footer></body></html>"""

TEMPLATES = {
    "layout.html": LAYOUT,
    "home.html": """{% extends "layout.html" %}{% block title %}Home{% endblock %}{% block content %}
<section class="hero"><h1>{{ brand }}</h1><p>{{ tagline }}</p><a class="button" href="/services">Book</a></section>
{% endblock %}""",
    "services.html": """{% extends "layout.html" %}{% block title %}Services{% endblock %}{% block content %}
<h1>Services</h1>{% for category, items in groups %}<section id="cat-{{ category }}"><h2>{{ items[0].category_title }}</h2>
<ul>{% for item in items %}<li><a class="card" href="/services/{{ item.slug }}">
<p class="title">{{ item.title }}</p>{% if item.summary %}<p>{{ item.summary }}</p>{% endif %}
<span class="price">{{ item.price|money(item.currency) }}</span> <span>{{ item.duration_minutes }} min</span></a></li>{% endfor %}
</ul></section>{% endfor %}{% endblock %}""",
    "item.html": """{% extends "layout.html" %}{% block title %}{{ item.title }}{% endblock %}{% block content %}
<p><a href="/services">{{ item.category_title }}</a></p><h1>{{ item.title }}</h1><p>{{ item.summary }}</p>
<p class="price">{{ item.price|money(item.currency) }} · {{ item.duration_minutes }} min</p>
<a class="button" href="/book/{{ item.slug }}">Book</a>{% endblock %}""",
}

ITEM_SQL = (
    "select i.id, i.slug, i.title, i.summary, i.cover_url, i.duration_minutes, i.pricing_model, i.price, "
    "i.min_quantity, i.max_quantity, i.currency, c.code as category_code, c.title as category_title "
    "from core_service_item i join core_service_category c on c.id = i.category_id where i.active and c.active "
)


class Item(msgspec.Struct):
    id: int
    slug: str
    title: str
    summary: str
    cover_url: str
    duration_minutes: int
    pricing_model: str
    price: int
    min_quantity: int
    max_quantity: int
    currency: str
    category_code: str
    category_title: str


@lru_cache(maxsize=4096)
def money(amount: int, currency: str) -> str:
    return format_currency(amount / 100, currency, locale=LOCALE)


LOCALE = Locale.parse("zh_CN")
ENV = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
ENV.filters["money"] = money


class State:
    pool: asyncpg.Pool
    tenant_id: str
    brand: str
    tagline: str


async def _one_query(sql: str, *args, fetch: str = "fetch"):
    async with State.pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('app.tenant_id', $1, true)", State.tenant_id)
        return await getattr(conn, fetch)(sql, *args)


def _html(template: str, **context) -> Response:
    body = ENV.get_template(template).render(brand=State.brand, lang="zh-CN", **context)
    return Response(body, media_type="text/html")


@get("/")
async def home() -> Response:
    row = await _one_query("select name, branding->>'tagline' as tagline from core_tenant where id = $1", int(State.tenant_id), fetch="fetchrow")
    return _html("home.html", tagline=row["tagline"] or "")


@get("/services")
async def services() -> Response:
    rows = await _one_query(ITEM_SQL + "order by c.sort_order, i.sort_order, i.title")
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["category_code"], []).append(row)
    return _html("services.html", groups=list(groups.items()))


@get("/services/{slug:str}")
async def item(slug: str) -> Response:
    row = await _one_query(ITEM_SQL + "and i.slug = $1", slug, fetch="fetchrow")
    if row is None:
        raise NotFoundException()
    return _html("item.html", item=row)


@get("/api/v1/catalog/items")
async def api_items() -> Response:
    rows = await _one_query(ITEM_SQL + "order by c.sort_order, i.sort_order, i.title")
    return Response(msgspec.json.encode([Item(**dict(r)) for r in rows]), media_type="application/json")


def create() -> Litestar:
    dsn = os.environ["HEARTH_ANCHOR_DSN"]
    slug = os.environ.get("HEARTH_ANCHOR_SLUG", "sunshine")

    @asynccontextmanager
    async def lifespan(_app: Litestar):
        State.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=int(os.environ.get("HEARTH_ANCHOR_POOL", "10")))
        row = await State.pool.fetchrow("select id, name, branding->>'display_name' as display_name from core_tenant where slug = $1", slug)
        State.tenant_id, State.brand = str(row["id"]), row["display_name"] or row["name"]
        try:
            yield
        finally:
            await State.pool.close()

    return Litestar(route_handlers=[home, services, item, api_items], lifespan=[lifespan])
