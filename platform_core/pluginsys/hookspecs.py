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
    make them idempotent. A handler with ``daily_at`` (a local time) also runs once a day at that
    time in each franchise that has the plugin on (docs/plugins.md).

    :return: a list of :class:`~platform_core.pluginsys.contexts.JobHandler`, or None.
    """


@hookspec
def provide_login_providers():
    """Offer third-party sign-in (WeChat, QQ).

    Called per request through the tenant's relay, sync, when the sign-in page and the sign-in
    methods page render and when a provider's flow starts or its callback arrives. The core keeps
    the state (single use, bound to the browser), links the identity to a customer (asking for a
    phone number the first time when the provider vouches for none) and starts the session.

    :return: a list of :class:`~platform_core.pluginsys.contexts.LoginProvider`, or None. Its
        ``complete`` returns a :class:`~platform_core.pluginsys.contexts.LoginIdentity` and
        raises on a refusal (a denied consent, a used or expired code); ``authorize``, when
        given, receives a :class:`~platform_core.pluginsys.contexts.LoginStart`.
    """


@hookspec
def provide_console_menu():
    """Add entries to the franchise console's navigation.

    Called per request through the tenant's relay, sync, so entries of plugins the tenant has
    off never show. Entries with a ``permission`` show only to console users who hold it.

    :return: a list of :class:`~platform_core.pluginsys.contexts.MenuEntry`, or None.
    """


@hookspec
def provide_account_menu():
    """Add tabs to the customer's account pages (beside Profile, Addresses, My coupons...).

    Called through the tenant's relay, sync, whenever an account page renders, so tabs of plugins
    the tenant has off never show. Keep it cheap: no I/O.

    :return: a list of :class:`~platform_core.pluginsys.contexts.MenuEntry` (``label`` an English
        msgid, ``href``, ``icon``, ``order``: the core's tabs are 10 to 70, apart by 10), or
        None. ``permission`` and ``section`` are not used here.
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

    Called through the tenant's relay, sync: per request for an item's booking fields, and where
    the categories become the franchise's category rows (once made, a row stays): when the
    franchise turns a plugin on, and for every franchise when the app starts, so a category a new
    version adds appears after the restart that installs it.

    :return: a list of :class:`~platform_core.pluginsys.contexts.ServiceCategorySpec`, or None.
    """


@hookspec
def provide_training_courses():
    """Ship training courses with a plugin (elder care's carer course).

    Called through the tenant's relay, sync, where the courses become the franchise's course rows
    (the training domain): when the franchise turns the plugin on, and for every franchise with
    the plugin on when the app starts. A course once made stays the franchise's (its office may
    edit it); a plugin's later version updates only the courses the office has not edited.

    :return: a list of :class:`~platform_core.pluginsys.contexts.CourseSpec`, or None.
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



@hookspec
def provide_segment_filters():
    """Offer filters for marketing segments (registered in the last N days, dormant, member tier).

    Called through the tenant's relay, sync, when the console's segment builder renders, when a
    segment is saved and whenever a segment's members are read (its size, its preview, a
    campaign's batches), so the filters of a plugin the tenant has turned off are neither offered
    nor applied. A spec's ``members`` builds SQL only (no I/O) and is called inside the request's
    transaction; its subquery selects customer ids from the contributor's OWN tables (table
    ownership, docs/architecture.md) under the tenant's RLS. Marketing combines the filters of a
    segment with ``INTERSECT`` (``EXCEPT`` for an ``exclude`` part) and leaves out customers
    whose account is frozen or closed.

    :return: a list of :class:`~platform_core.pluginsys.contexts.SegmentFilterSpec`, or None.
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
def on_tenant_file_applied(event):
    """A tenant file's ``[plugins.<name>.data]`` table is to be applied: records a plugin keeps in
    its own tables (loyalty's rewards shop, elder care's plans), so a demo franchise or a
    franchise kept as code gets them from its file.

    Called by ``hearth tenants apply`` (and the demo) once per plugin that has a ``data`` table,
    after the plugin was turned on, inside the tenant's transaction, through the tenant's relay:
    every enabled plugin hears it, and each applies only ``event.data`` of its own
    ``event.plugin_name``. Sync or async. Apply idempotently (match records by a name or a code):
    applying the same file twice must change nothing. Raise ValidationFailed naming the field for
    data that is not valid; the apply command reports a plugin's failure and exits non-zero.

    :param event: :class:`~platform_core.pluginsys.contexts.TenantFileEvent`.
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
def on_customer_anonymised(event):
    """A closed account's retention period ran out and accounts cleared its personal data (name,
    phone, email, addresses, linked sign-ins, sign-in records), in the same transaction, by the
    daily job ``accounts.anonymise_closed``. Clear what your plugin keeps about the person (a
    delivery address, ID documents); keep amounts and ledger rows.

    Called through the tenant's relay once per account. Sync or async; a failure is logged and
    the anonymisation stands (a plugin that must not miss it should make its clean-up idempotent
    and also sweep closed accounts itself).

    :param event: :class:`~platform_core.pluginsys.contexts.CustomerEvent` (``attribution`` empty).
    :return: None.
    """


@hookspec
def on_customer_profile_updated(event):
    """A customer changed their profile (name, email, service preferences) or their address book
    (an address added or changed), in the same transaction as the change. Loyalty's "complete
    your profile" task is completed here.

    Called by accounts after the change is written, through the tenant's relay. Sync or async; a
    failure is logged and the change stands.

    :param event: :class:`~platform_core.pluginsys.contexts.CustomerProfileEvent`: the customer
        and the parts of the profile filled in now (``filled``).
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
def on_coupon_redeemed(event):
    """A customer's coupon was redeemed: the order holding it was paid, or (an order paid after
    the service) completed. Loyalty and referral programmes count redemptions here.

    Called through the tenant's relay, inside the transaction of the order's transition, after
    the coupon's row is marked used. Sync or async; a failure is logged and the redemption stands.
    A cancelled order may later give the coupon back (by its template's rule); no hook is called
    for that.

    :param event: :class:`~platform_core.pluginsys.contexts.CouponEvent` (tenant, coupon,
        template, customer, order, when).
    :return: None.
    """


@hookspec
def on_review_submitted(event):
    """A customer posted a review of their completed order (once per order). Loyalty's "review an
    order" task and its tiers' activity count it here.

    Called by reviews right after the review and the worker's new rating are written, in the same
    transaction, through the tenant's relay. Sync or async; a failure is logged and the review
    stands.

    :param event: :class:`~platform_core.pluginsys.contexts.ReviewEvent` (review, order,
        customer, item, worker, mean score).
    :return: None.
    """


@hookspec
def on_refund_succeeded(event):
    """A refund was confirmed by its provider. Loyalty claws back points here.

    :param event: :class:`~platform_core.pluginsys.contexts.RefundEvent`.
    :return: None.
    """


@hookspec
def on_payout_finished(event):
    """A payout (a withdrawal, or a worker's pay statement paid by transfer) was paid by its
    provider or failed for good; a failed one's money is already back in the earnings.

    Called through the tenant's relay, in the transaction that applied the provider's answer
    (the transfer's reply, a notification or a query), sync or async. The core's pay statements
    mark a statement paid here, or open it for paying again.

    :param event: :class:`~platform_core.pluginsys.contexts.PayoutEvent`.
    :return: None.
    """


@hookspec
def on_course_passed(event):
    """A worker passed a training course's quiz (or a course without a quiz was finished).

    Called through the tenant's relay in the transaction that recorded the pass, sync or async.
    The core's qualifications record the pass here, so the work the course unlocks is offered to
    the worker from then on; a plugin may welcome the worker to it.

    :param event: :class:`~platform_core.pluginsys.contexts.CourseEvent`.
    :return: None.
    """


# ---------------------------------------------------------------------------------------------
# Contributions and single answers


@hookspec
def compute_price_adjustments(quote):
    """Contribute lines to a price quote (member discounts, coupons, surcharges).

    Called through the tenant's relay for every quote (the booking page's price, the quote API,
    and the placement itself), sync or async, inside the request's transaction. The core's
    promotions answer here too: the best automatic discount rule and the customer's chosen
    coupon, as named lines. Keep it cheap: it runs on every price shown.

    :param quote: :class:`~platform_core.pluginsys.contexts.PriceQuote`: the item, its base and
        add-on lines, the customer (None for a visitor), and what the booking says so far
        (each optional): ``slot_start`` (the visit's start, aware), ``district`` (the
        address's) and ``coupon_id`` (the coupon the customer chose).
    :return: a list of :class:`~platform_core.pluginsys.contexts.PriceAdjustment`, or None. A
        negative amount is a discount; its ``funded_by`` (``"franchise"``, the default, or
        ``"platform"``) is stored on the order's line and decides at settlement who pays for it
        (docs/ledger.md). A core impl may raise ValidationFailed naming a field (``coupon_id``).
    """


@hookspec
def compute_booking_window(query):
    """Widen or narrow one customer's booking window for one item: priority booking (loyalty's
    reward) lets its holders book further ahead and keeps workers free for them.

    Called through the tenant's relay, async or sync, inside the request's transaction, wherever
    the slot engine answers a customer: the availability API and the booking page's days and
    times, the placement's capacity check under the day's lock (so a refusal holds on the server,
    not only on the page), and the times offered for a new time. Not called when no enabled plugin
    implements it, so it costs nothing then; an impl reads at most what it must (one statement).

    The engine takes the largest ``extra_horizon_days`` and the largest ``held_back_workers`` of
    all answers: the horizon becomes the franchise's plus the extra days, and a slot is offered
    only while the workers free for it outnumber the orders waiting for them by more than the
    held-back count. An answer's ``closed`` (the first given) closes booking for this customer
    and item: no times, and placement refuses with it at the time field (elder care: take the
    care assessment first). A visitor (no customer) is not refused: they sign in to book.

    :param query: :class:`~platform_core.pluginsys.contexts.BookingWindowQuery` (tenant, customer
        or None for a visitor, item id, category code).
    :return: a :class:`~platform_core.pluginsys.contexts.BookingWindow`, or None.
    """


@hookspec
def compute_dispatch_scores(candidate):
    """Score (or rule out) a worker for an order: member priority, elder-care eligibility.

    Called through the tenant's relay for every candidate, sync or async (an async impl may read
    its own tables; keep it cheap, or cache per order: it runs once per order and worker).

    :param candidate: :class:`~platform_core.pluginsys.contexts.DispatchCandidate`.
    :return: a list of :class:`~platform_core.pluginsys.contexts.DispatchScore`, or None. A
        score with ``eligible=False`` removes the worker from this order's candidates. A score's
        ``priority`` (default 0) is about the order, not the worker: in a batch, orders with a
        higher priority (the highest any score of the order gave) choose their workers first.
    """


@hookspec
def compute_order_requirements(query):
    """Add what a worker must hold to be offered a piece of work (elder care: the care level's
    certificates and the carer course), on top of the franchise's own rules for the category and
    item.

    Called through the tenant's relay, sync or async (an async impl may read its own tables),
    once per order when it is dispatched and once per item and customer when times are offered;
    the core joins every answer with its own rules. A worker lacking any named credential or
    course is not offered the work, is not counted for its free times, and "why not this worker"
    shows the requirement's ``reason``.

    :param query: :class:`~platform_core.pluginsys.contexts.RequirementQuery`.
    :return: a :class:`~platform_core.pluginsys.contexts.Requirement`, or None.
    """


@hookspec
def compute_page_notices(page):
    """Contribute banners to a page of the customer site, the staff app or the console.

    Called through the tenant's relay once per page rendered with ``platform_core.web.pages.page()``
    on a tenant host (not the platform console), after the view returns and before the template
    renders, inside the request's transaction. Sync or async: an async impl may read its config. Keep it cheap, it runs on every page; an impl that raises is
    logged and the page renders without notices. Layouts show the notices as ``notices``.

    :param page: :class:`~platform_core.pluginsys.contexts.PageContext` (tenant, surface
        ``"customer"``, ``"staff"`` or ``"console"``, path, locale, and ``customer_id``: the
        signed-in customer on the customer site, else None). Read your config with
        ``await plugin_config(YourConfig)`` from :mod:`platform_core.plugin_api`.
    :return: a list of :class:`~platform_core.pluginsys.contexts.PageNotice`, or None.
    """


@hookspec
def compute_member_panels(member):
    """Contribute panels to a customer's member centre (``/account/member``) and its JSON twin
    (``GET /api/v1/account/member``): loyalty's points and tier, referral's earnings.

    Called through the tenant's relay once per view of the page or the API, inside the request's
    transaction, for a signed-in, active customer. Sync or async: an async impl may read its
    config and its tables (scoped to ``member.customer_id``). An impl that raises is logged and
    the page shows the other panels. With no panel at all the page and the API answer 404; the
    account tabs show "Member centre" only to franchises with a plugin that implements this hook
    on.

    :param member: :class:`~platform_core.pluginsys.contexts.MemberContext` (tenant,
        customer_id, locale).
    :return: a list of :class:`~platform_core.pluginsys.contexts.MemberPanel`, or None. Panels
        are shown by ``order``, then ``key``; ``context`` must be plain values (a Struct or a
        dict), since the API sends it as JSON.
    """


@hookspec
def compute_earnings_panels(earnings):
    """Contribute something beside a person's earnings balance: loyalty's "points worth ¥x" on
    the customer's "my earnings" (``/account/earnings``, ``GET /api/v1/me/earnings``), the
    "withdraw" entry on the worker's earnings page (``/staff/earnings``).

    Called through the tenant's relay once per view of the page or the API, inside the request's
    transaction, for a signed-in, active customer or worker. Sync or async: an async impl may read
    its config and its tables (scoped to ``earnings.holder_id``). An impl that raises is logged
    and the page shows the others.

    :param earnings: :class:`~platform_core.pluginsys.contexts.EarningsContext` (tenant, holder
        ``"customer"`` or ``"staff"``, holder_id, currency, locale).
    :return: a list of :class:`~platform_core.pluginsys.contexts.EarningsPanel`, or None: ``key``
        unique on the page, ``title`` and ``note`` English msgids, ``value`` already formatted,
        ``href`` an in-app page or None. Panels are shown by ``order``, then ``key``.
    """


@hookspec
def compute_customer_console_panels(customer):
    """Contribute panels to a customer's page in the franchise console
    (``/console/customers/{id}``): loyalty's points and tier.

    Called through the tenant's relay once per view of the page, inside the request's
    transaction, for an office user holding ``customers.view``; also for frozen and closed
    accounts. Sync or async: an async impl may read its config and its tables (scoped to
    ``customer.customer_id``). An impl that raises is logged and the page shows the other panels.

    :param customer: :class:`~platform_core.pluginsys.contexts.CustomerConsoleContext` (tenant,
        customer_id, console_user_id, the office user's permissions, locale).
    :return: a list of :class:`~platform_core.pluginsys.contexts.MemberPanel`, or None: ``key``
        unique on the page (``"loyalty.console"``), ``title`` an English msgid, ``template`` a
        partial of the plugin's templates rendered in a card with ``panel`` bound to ``context``
        (plain values), ``href`` a console page of the plugin about this customer, if any.
        Panels are shown by ``order``, then ``key``.
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
def select_feedback_assignee(feedback):
    """Who in the franchise's console should answer a customer's feedback (loyalty's dedicated
    support agent of a member's tier).

    Called through the tenant's relay when feedback arrives, in its transaction, before it is
    stored; sync or async; the first non-None answer wins. Without one the feedback is nobody's
    in particular (the inbox shows it to everyone who answers feedback). An id that is not an
    active console user of the franchise is ignored.

    :param feedback: :class:`~platform_core.pluginsys.contexts.FeedbackEvent` (tenant, customer,
        kind, the order it is about or None).
    :return: a console user's id (int), or None to let the next plugin answer.
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
