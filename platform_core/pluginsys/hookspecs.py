"""Every hook of Hearth, in one module. Each docstring is the hook's contract.

Families, by the name's first word. Every hook is called by :mod:`platform_core.pluginsys.calls`,
which applies the family's order and error policy; no call site chooses its own.

- ``register_*``: startup, on the full manager (every installed plugin, on or off). Sync. A
  failure stops the start.
- ``provide_*``: what a tenant's enabled plugins offer right now (menu entries, sign-in
  providers, payment providers, channels, categories), per request through the tenant's relay.
  Sync. A plugin that raises is logged and left out.
- ``compute_*``: contributions to an answer the core is working out (price lines, dispatch
  scores, page notices, booking fields), per request through the relay, every enabled plugin.
  A plugin that raises is logged and left out.
- ``select_*``: one answer; the first that is not None wins. A plugin that raises is logged and
  the next one is asked.
- ``on_*``: told after a fact, per tenant, only for plugins the tenant has on, in the
  transaction of the fact. Sync or async. A plugin's impl runs in a savepoint; its failure is
  logged and never undoes the fact. The core's own impls are part of the fact: their failure
  rolls it back.

In every family impls are called in pluggy's order (last registered first; ``tryfirst`` and
``trylast`` move an impl), and the core's own domains register through the same hooks. Hooks
take one context argument, a Struct from :mod:`platform_core.pluginsys.contexts`, and answer
with Structs (or objects that implement a Protocol), never dicts.
"""

from __future__ import annotations

from .markers import hookspec

# ---------------------------------------------------------------------------------------------
# Startup: what a plugin brings


@hookspec
def register_plugin_info():
    """Describe the plugin: title, description, category and its config Struct.

    Called at startup and whenever a console lists plugins, on the full manager.

    :return: a :class:`~platform_core.pluginsys.contexts.PluginInfo`. The config Struct must be
        ``frozen=True`` and every field must have a default; fields whose name ends in
        ``_secret`` or ``_key`` are encrypted at rest and never shown back in full.
    """


@hookspec
def register_routes():
    """Contribute HTTP route handlers (Litestar handlers, Controllers or Routers).

    Called once at startup, sync. A plugin's handlers are mounted under ``/p/{plugin_name}``
    behind a guard that answers 404 for tenants that do not have the plugin on. The core's own
    modules are mounted at the root.

    :return: a list of route handlers, or None.
    """


@hookspec
def register_piccolo_apps():
    """Name the plugin's Piccolo apps (dotted paths of ``piccolo_app`` modules).

    Called at startup, sync, before any app exists (it feeds ``piccolo_conf``). Plugin tables
    exist for every tenant and carry ``tenant_id`` under forced RLS; enabling a plugin never
    runs DDL.

    :return: a list of dotted module paths, or None.
    """


@hookspec
def register_template_dirs():
    """Add template folders. Templates of a plugin live in ``templates/{plugin_name}/``.

    Called once at startup, sync.

    :return: a list of folder paths (str or Path), or None.
    """


@hookspec
def register_static_dirs():
    """Add static folders, served at ``/static/p/{name}/``.

    Called once at startup, sync.

    :return: a list of :class:`~platform_core.pluginsys.contexts.StaticDir`, or None.
    """


@hookspec
def register_cli_commands(cli):
    """Add commands to the ``hearth`` command line.

    Called once when the CLI starts, sync.

    :param cli: the root ``click.Group``; add commands or groups to it.
    :return: None.
    """


@hookspec
def provide_notification_channels():
    """Offer ways to send messages (SMS gateways, WeChat template messages).

    Called per send through the tenant's relay, so only enabled plugins are asked. Channels
    whose ``channel`` matches the message's are tried in ascending ``priority`` until one
    ``send`` returns without raising. In dev mode the core's dev channel (priority 1000, the
    last resort) writes messages to the server log and to the dev outbox; it does not exist in
    production.

    :return: a list of :class:`~platform_core.pluginsys.contexts.NotificationChannel`, or None.
    """


@hookspec
def register_sandbox_config(sandbox):
    """Configure the plugin against the local payment sandbox (``hearth demo``, tests).

    Called on the full manager when the demo starts, sync, never in production. A provider
    plugin answers with merchant settings that point at the sandbox's stand-in of its provider,
    signed with the keys the sandbox generated; the demo saves them as each demo franchise's
    config and turns the plugin on.

    :param sandbox: :class:`~platform_core.sandbox.config.SandboxConfig`: one franchise's
        merchant accounts and keys at each provider's stand-in.
    :return: an instance of the plugin's own config Struct (fields left at their defaults are
        not saved), or None.
    """


@hookspec
def register_job_handlers():
    """Name the background jobs a plugin runs, by kind.

    Called once when a job worker starts (the in-process worker of the server, or
    ``hearth worker``), on the full manager, sync. Kinds are global: prefix them with the
    plugin's name (``loyalty.expire_points``); a kind registered twice stops the worker.
    Jobs are created with ``platform_core.jobs.services.enqueue(kind, payload, run_at=, key=)``
    inside a transaction, and exist only if it commits.

    A handler is ``async def handler(ctx, payload) -> None``: ``ctx`` is a
    :class:`~platform_core.jobs.schemas.JobContext` (``tenant``, ``job_id``,
    ``attempt``), ``payload`` the dict given to ``enqueue`` (ids, never personal data). It runs
    inside ``tenant_scope(job's tenant)``: one transaction under that tenant's RLS, in which the
    job is also marked done, so its writes and its completion commit together. Raising rolls
    the writes back and retries later with exponential backoff, up to the job's
    ``max_attempts``. A plugin's job whose tenant has turned the plugin off is dropped, not
    run. Effects outside the database (an SMS, a provider call) may repeat after a crash, so
    make them idempotent.

    :return: a list of :class:`~platform_core.pluginsys.contexts.JobHandler`, or None.
    """


@hookspec
def provide_login_providers():
    """Offer third-party sign-in (WeChat, QQ).

    Called per request through the tenant's relay when the sign-in page renders and when a
    provider's callback arrives.

    :return: a list of :class:`~platform_core.pluginsys.contexts.LoginProvider`, or None.
    """


@hookspec
def provide_console_menu():
    """Add entries to the franchise console's navigation.

    Called per request through the tenant's relay, sync, so entries of plugins the tenant has
    off never show. Entries with a ``permission`` show only to console users who hold it.

    :return: a list of :class:`~platform_core.pluginsys.contexts.MenuEntry`, or None.
    """


@hookspec
def provide_payment_providers():
    """Offer payment providers (WeChat Pay, Alipay, Stripe).

    Called sync. Checkout calls it through the tenant's relay, so it offers only the providers of
    plugins the tenant has on; notifications, queries and refunds ask every installed plugin,
    so money that moved is applied even after a tenant turns the plugin off. A provider whose
    customers complete a payment on our payment page (a code to scan, a card form) brings that
    part of the page itself: ``checkout_page(action)`` names a template of the plugin (its
    scripts served from the plugin's static folder, never inline) and the page's extra
    Content-Security-Policy sources; the core's page names no provider.

    :return: a list of objects implementing ``platform_core.payments.PaymentProvider``, or None.
    """


@hookspec
def provide_service_categories():
    """Contribute service categories with their own booking fields (elder care).

    Called per request through the tenant's relay, sync.

    :return: a list of :class:`~platform_core.pluginsys.contexts.ServiceCategorySpec`, or None.
    """


@hookspec
def register_order_states():
    """Declare extra order states for a category (elder care's trial period).

    Called on the full manager, once per process (the answer is kept); the states apply to
    orders of the named category of tenants that have the plugin on. Each spec's ``label`` and
    ``tone`` are how every page (the customer's orders, the console's list, filter and detail)
    shows the state.

    :return: a list of :class:`~platform_core.pluginsys.contexts.OrderStateSpec`, or None.
    """


@hookspec
def provide_dispatch_strategies():
    """Name dispatch strategies the tenant may choose in its dispatch settings.

    Called through the tenant's relay when the dispatch settings page renders, sync.

    :return: a list of strategy names (str) whose scores come through
        :func:`compute_dispatch_scores`, or None.
    """


# ---------------------------------------------------------------------------------------------
# After a fact, per tenant


@hookspec
def on_plugin_enabled(event):
    """A tenant turned a plugin on (``event.plugin_name`` says which).

    Called by ``enable_plugin`` right after the row is written, in the same transaction and
    with the tenant context already showing the new enabled set; through the relay of that new
    set, so the core, the plugin just enabled and the tenant's other enabled plugins hear it.
    Not called when the plugin was already on. Sync or async; a failure is logged and the
    change stands.

    :param event: :class:`~platform_core.pluginsys.contexts.PluginToggleEvent`.
    :return: None.
    """


@hookspec
def on_plugin_disabled(event):
    """A tenant turned a plugin off.

    Called by ``disable_plugin`` right after the row is written, in the same transaction; only
    the core and the plugin that was disabled hear it (the tenant's other plugins do not). Not
    called when the plugin was already off. Sync or async; a failure is logged and the change
    stands. The plugin's data and config stay, for when it is turned on again.

    :param event: :class:`~platform_core.pluginsys.contexts.PluginToggleEvent`.
    :return: None.
    """


@hookspec
def on_customer_registered(event):
    """A customer signed up (phone code or a login provider), in the same transaction as the
    new account. Referral binds the invite here.

    Sync or async; a failure is logged and the registration stands.

    :param event: :class:`~platform_core.pluginsys.contexts.CustomerEvent`.
    :return: None.
    """


@hookspec
def on_order_paid(event):
    """An order's payment was confirmed (online, from the wallet, or marked paid).

    :param event: :class:`~platform_core.pluginsys.contexts.OrderEvent`.
    :return: None.
    """


@hookspec
def on_order_ready_for_dispatch(event):
    """An order entered the state ``paid`` by any event: paid online, "pay after the service"
    chosen at booking, a declined or expired offer, or an exception sent back to dispatch.
    Dispatch starts (or restarts) finding a worker here.

    Called through the tenant's relay, inside the transaction of the transition, after its
    timeline row is written. Sync or async; a failure is logged and the transition stands.

    :param event: :class:`~platform_core.pluginsys.contexts.OrderEvent`.
    :return: None.
    """


@hookspec
def on_order_completed(event):
    """An order was completed by its worker. Loyalty awards points here.

    :param event: :class:`~platform_core.pluginsys.contexts.OrderEvent`.
    :return: None.
    """


@hookspec
def on_order_cancelled(event):
    """An order was cancelled, by the customer or by the franchise.

    :param event: :class:`~platform_core.pluginsys.contexts.OrderEvent`.
    :return: None.
    """


@hookspec
def on_refund_succeeded(event):
    """A refund was confirmed by its provider. Loyalty claws back points here.

    :param event: :class:`~platform_core.pluginsys.contexts.RefundEvent`.
    :return: None.
    """


# ---------------------------------------------------------------------------------------------
# Contributions and single answers


@hookspec
def compute_price_adjustments(quote):
    """Contribute lines to a price quote (member discounts, coupons, surcharges).

    Called through the tenant's relay for every quote, sync, inside the request's transaction.

    :param quote: :class:`~platform_core.pluginsys.contexts.PriceQuote`.
    :return: a list of :class:`~platform_core.pluginsys.contexts.PriceAdjustment`, or None.
    """


@hookspec
def compute_dispatch_scores(candidate):
    """Score (or rule out) a worker for an order: member priority, elder-care eligibility.

    Called through the tenant's relay for every candidate, sync.

    :param candidate: :class:`~platform_core.pluginsys.contexts.DispatchCandidate`.
    :return: a list of :class:`~platform_core.pluginsys.contexts.DispatchScore`, or None. A
        score with ``eligible=False`` removes the worker from this order's candidates.
    """


@hookspec
def compute_page_notices(page):
    """Contribute banners to a page of the customer site, the staff app or the console.

    Called through the tenant's relay once per page rendered with ``platform_core.web.pages.page()``
    on a tenant host (not the platform console), after the view returns and before the template
    renders, inside the request's transaction. Sync or async: an async impl may read its config. Keep it cheap, it runs on every page; an impl that raises is
    logged and the page renders without notices. Layouts show the notices as ``notices``.

    :param page: :class:`~platform_core.pluginsys.contexts.PageContext` (tenant, surface
        ``"customer"``, ``"staff"`` or ``"console"``, path, locale). Read your config with
        ``await plugin_config(YourConfig)`` from :mod:`platform_core.plugin_api`.
    :return: a list of :class:`~platform_core.pluginsys.contexts.PageNotice`, or None.
    """


@hookspec
def compute_booking_fields(form):
    """Add fields to the booking form of a category.

    Called through the tenant's relay when the form renders and when it is submitted, sync. A
    field whose name is already taken (by the item's own fields or an earlier plugin) is left out.

    :param form: :class:`~platform_core.pluginsys.contexts.BookingForm` (tenant, category code).
    :return: a list of :class:`~platform_core.pluginsys.contexts.BookingFieldSpec`, or None.
    """


@hookspec(firstresult=True)
def select_privacy_number(call):
    """A privacy number (隐私号, a masked-number binding) for one call on an order.

    Called through the tenant's relay when the worker or the customer taps "Call" on the order;
    sync or async; the first non-None answer wins. Without one, the franchise's relay line is
    shown if it set one, else the two talk through the order's messages.

    :param call: :class:`~platform_core.pluginsys.contexts.CallRequest` (tenant, order, who
        calls, both phones in E.164, until when the binding is needed).
    :return: the number to dial (str), or None to let the next plugin (or the core) answer.
    """


@hookspec(firstresult=True)
def select_route_eta(route):
    """Estimate travel time for live tracking (a routing provider).

    Called through the tenant's relay; the first non-None answer wins; without one the core
    uses straight-line distance over the tenant's configured speed.

    :param route: :class:`~platform_core.pluginsys.contexts.RouteQuery` (tenant, origin and
        destination as (lat, lng) pairs).
    :return: seconds (int), or None to let the next plugin (or the core) answer.
    """


@hookspec(firstresult=True)
def select_map_provider(maps):
    """Choose the franchise's map service (AMap): input tips while an address is typed,
    geocoding an address to coordinates, and the tiles of the maps people see.

    Called through the tenant's relay when an address is saved, when the address form or a
    worker's home base asks for suggestions, and when a page draws a map. The first non-None
    answer wins. Without one the core places an address at its district's centre (the bundled
    省/市/区 data), offers no suggestions, and draws maps as the offline grid. A provider that
    also knows driving times answers ``select_route_eta`` for live tracking.

    :param maps: :class:`~platform_core.pluginsys.contexts.MapQuery` (tenant).
    :return: an object implementing :class:`platform_core.geo.MapProvider`, or None.
    """
