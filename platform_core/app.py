"""create_app(settings) -> Litestar. Nothing global at import time."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import signal
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pluggy
from litestar import Litestar, Router
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from .accounts.member import account_tabs
from .accounts.sessions import principal_for, provide_principal
from .catalog.services import sync_every_tenant
from .db import close_pool, start_pool
from .db.checks import check_database_safety
from .db.engine import app_dsn
from .db.replica import close_read_pool, start_read_pool
from .errors import NotFound
from .jobs.worker import Worker, running_worker
from .kv import open_kv
from .lazy import defer_import
from .metrics import prometheus_config
from .notifications.hooks import install_dev_channel
from .orders.services import order_state
from .pluginsys.calls import collect_now
from .pluginsys.manager import is_core
from .runtime import Runtime, RuntimeMiddleware
from .settings import Settings, load_settings
from .tenancy.context import current_tenant_or_none
from .tenancy.middleware import UNSCOPED_PREFIXES, TenantMiddleware
from .tracking.channels import channels_plugin  # tracking: pub/sub across processes
from .training.sync import sync_every_tenant as sync_plugin_courses
from .web import assets
from .web.bounds import InputBoundsMiddleware, PathBoundsMiddleware
from .web.csrf import check_csrf
from .web.errors import EXCEPTION_HANDLERS
from .web.i18n import add_translation_dir
from .web.locale import LocaleMiddleware
from .web.logging import RequestLogMiddleware, configure_logging
from .web.openapi import document_api
from .web.pages import attach_page_notices
from .web.serverio import ServerIOMiddleware
from .web.templating import build_template_config

log = logging.getLogger("hearth")

STATIC_DIR = Path(__file__).parent / "web" / "static"


async def before_request(request) -> None:
    # Files, health and metrics are nobody's: no session is looked up for them, so a page's styles
    # still load while redis is away (the page itself answers 503).
    if request.url.path.startswith(UNSCOPED_PREFIXES):
        return
    # Every page shows who is signed in (the layouts' navigation), guarded or not.
    await principal_for(request)
    await check_csrf(request)


def plugin_enabled_guard(name: str):
    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        tenant = current_tenant_or_none()
        if tenant is None or name not in tenant.enabled_plugins:
            raise NotFound("page")

    return guard


def _collect_routes(pm: pluggy.PluginManager) -> list:
    core: list = []
    by_plugin: dict[str, list] = {}
    for plugin, handler in collect_now(pm.hook.register_routes):
        if is_core(plugin):
            core.append(handler)
        else:
            by_plugin.setdefault(plugin, []).append(handler)
    routers = [
        Router(path=f"/p/{plugin}", route_handlers=handlers, guards=[plugin_enabled_guard(plugin)])
        for plugin, handlers in by_plugin.items()
    ]
    return [*core, *routers]


def _static_routers(pm: pluggy.PluginManager, settings: Settings) -> list:
    routers = [
        create_static_files_router(path="/static/core", directories=[STATIC_DIR], include_in_schema=False),
        create_static_files_router(path="/static/vendor", directories=[assets.vendor_dir(settings)], include_in_schema=False),
    ]
    for _, static in collect_now(pm.hook.register_static_dirs):
        routers.append(create_static_files_router(path=f"/static/p/{static.name}", directories=[static.path], include_in_schema=False))
    return routers


def _plugin_template_dirs(pm: pluggy.PluginManager) -> list[Path]:
    dirs: list[Path] = []
    for _, folder in collect_now(pm.hook.register_template_dirs):
        dirs.append(Path(folder))
        translations = Path(folder).parent / "translations"
        if translations.is_dir():
            add_translation_dir(translations)
    # A plugin without templates (a payment provider) still has labels and settings to translate.
    for name, plugin in pm.list_name_plugin():
        module_file = getattr(plugin, "__file__", None)
        if module_file and not is_core(name) and (Path(module_file).parent / "translations").is_dir():
            add_translation_dir(Path(module_file).parent / "translations")
    return dirs


def release_free_memory() -> None:
    """Start-up leaves freed memory behind (the catalogues parsed and compiled, the plugin registry
    read); glibc keeps it for later allocations unless asked to hand it back (about 1 MB a process
    at start; later growth takes part of it again)."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to hand back this way
        return
    malloc_trim(0)


def create_app(settings: Settings, *, pm: pluggy.PluginManager | None = None) -> Litestar:
    if not settings.db.url:
        raise ValueError("settings.db.url is required: the CLI starts the embedded PostgreSQL and passes its URL")
    configure_logging(settings)
    runtime = Runtime.build(settings, pm)
    pm = runtime.pm
    assets.ensure_vendor_assets(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await start_pool(app_dsn(settings.db.url, settings.db.app_url), min_size=settings.db.pool_min, max_size=settings.db.pool_max)
        try:
            await check_database_safety()
            if settings.db.read_url:
                # db: handlers marked read_only=True read from the standby (db/replica.py).
                await start_read_pool(settings.db.read_url, min_size=settings.db.pool_min, max_size=settings.db.pool_max)
            async with open_kv(settings) as (redis, kv):
                runtime.redis, runtime.kv = redis, kv
                # catalog: plugin categories installed or upgraded since the last start become rows.
                with runtime.scope():
                    await sync_every_tenant()
                    # training: plugin courses likewise (training/sync.py).
                    await sync_plugin_courses()
                # notifications: the dev channel exists only in dev mode (see notifications/channels.py).
                install_dev_channel(runtime)
                # jobs: the in-process worker, unless HEARTH_WORKER=0 leaves it to `hearth worker`.
                async with running_worker(runtime):
                    # What start-up built (modules, routes, plugins, the pool) lives as long as the
                    # app: the collector stops walking it, so a full pass no longer stalls a
                    # request for tens of milliseconds. Handed back when the app stops. Garbage
                    # first, as frozen garbage is never freed.
                    gc.collect()
                    gc.freeze()
                    release_free_memory()
                    try:
                        yield
                    finally:
                        gc.unfreeze()
        finally:
            await close_read_pool()
            await close_pool()

    swagger = SwaggerRenderPlugin(
        js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        css_url="/static/vendor/swagger-ui/swagger-ui.css",
        standalone_preset_js_url="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
        path="/docs",
    )
    app = Litestar(
        route_handlers=[*_collect_routes(pm), *_static_routers(pm, settings)],
        # web: first, so no request's context leaks into the next one on its connection (serverio.py).
        middleware=[ServerIOMiddleware(), prometheus_config().middleware, RequestLogMiddleware(), PathBoundsMiddleware(), TenantMiddleware(base_domain=settings.base_domain, platform_host=settings.platform_host, notify_concurrency=settings.notify_concurrency), LocaleMiddleware(default=settings.default_locale), InputBoundsMiddleware()],
        dependencies={"principal": Provide(provide_principal)},
        before_request=before_request,
        after_request=attach_page_notices,  # pluginsys: compute_page_notices (async hooks)
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        # orders: every page shows a state's label and badge from the machine, plugins' states included;
        # accounts: the account pages' tabs, plugins' included (provide_account_menu, the member centre).
        template_config=build_template_config(_plugin_template_dirs(pm), {"order_state": order_state, "account_tabs": account_tabs},
                                              reload=settings.env == "dev"),
        openapi_config=OpenAPIConfig(
            title="Hearth API", version="1", path="/schema", render_plugins=[swagger],
            description="The customer API of a Hearth franchise. Pick the franchise by Host or the X-Tenant header.",
            components=Components(security_schemes={
                "bearerToken": SecurityScheme(type="http", scheme="bearer", description="The token from POST /api/v1/auth/token"),
            }),
        ),
        lifespan=[lifespan],
        # tracking: live positions cross processes on redis pub/sub or PostgreSQL LISTEN/NOTIFY.
        plugins=[channels_plugin(settings)],
        debug=False,
    )
    app.state.runtime = runtime
    # web: the document lists the JSON API only, with the house error body, built on first use.
    document_api(app)
    # Entered around Litestar's router, not as a route's middleware: the answers the router gives
    # by itself (405 for a method the path lacks) render their error page with the runtime too.
    app.asgi_handler = RuntimeMiddleware(app.asgi_handler, runtime)
    return app


def serving_app(settings: Settings) -> Litestar:
    """The app of a process that only serves HTTP (`hearth serve`). Litestar adds its pydantic
    plugins whenever pydantic can be imported, and it can: piccolo requires it for its pydantic
    helpers, which Hearth does not use (its boundaries are msgspec Structs). Refusing the import
    here saves about 8 MB in every web process; elsewhere (tests, the CLI) pydantic stays as it is.
    Likewise black: Piccolo's app registry imports it at its top to format the migrations that
    `piccolo migrations new` writes, never in a web process, which reads the registry at start
    (the engine, the check for pending migrations): deferred, it keeps about 6 MB out."""
    sys.modules.setdefault("pydantic", None)  # type: ignore[arg-type]  # None: "import pydantic" raises ImportError
    defer_import("black")
    return create_app(settings)


def app_from_environment() -> Litestar:
    """The app of one web process of `hearth serve --workers N`: uvicorn starts each process fresh
    and calls this there, so every process builds its own app, pool and plugins. The settings come
    from the environment, where `hearth serve` put what it resolved (the embedded database's URL)."""
    return serving_app(load_settings())


async def run_worker_process(settings, *, burst: bool = False) -> int:
    """`hearth worker`: the same runtime as a server process (app role, safety checks, the
    store, the dev channel in dev), without HTTP. SIGTERM and SIGINT stop it between jobs.
    With `burst`, run what is due and return how many ran."""
    configure_logging(settings)
    rt = Runtime.build(settings)
    await start_pool(app_dsn(settings.db.url or "", settings.db.app_url), min_size=1, max_size=settings.db.pool_max)
    try:
        await check_database_safety()
        async with open_kv(settings) as (redis, kv):
            rt.redis, rt.kv = redis, kv
            install_dev_channel(rt)
            worker = Worker(rt)
            if burst:
                await worker.cleanup()
                return await worker.run_due()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, worker.stop)
            await worker.run()
            return 0
    finally:
        await close_pool()
