"""Plugins pages: the franchise console (turn on/off, settings) and the platform console (the
catalog, who has what on, platform defaults). Settings forms are generated from each plugin's
config Struct (see config.config_fields)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_console, require_operator
from platform_core.errors import ValidationFailed
from platform_core.pluginsys import config as cfg
from platform_core.pluginsys import services
from platform_core.pluginsys.schemas import ConfigField
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

# English msgids, translated where shown.
CATEGORY_LABELS = {
    "payments": N_("Payments"),
    "marketing": N_("Marketing and loyalty"),
    "services": N_("Services"),
    "dispatch": N_("Dispatch"),
    "notifications": N_("Notifications"),
    "login": N_("Sign-in"),
    "other": N_("Other"),
}
NOTICES = {
    "enabled": N_("%(title)s is on. Customers and staff see it from their next page."),
    "disabled": N_("%(title)s is off. Its settings are kept for when you turn it on again."),
    "saved": N_("The settings of %(title)s have been saved."),
    "reset": N_("%(title)s uses the default settings again."),
}
CONSOLE_GUARDS = [require_console("plugins.manage")]
PLATFORM_GUARDS = [require_operator]


def _grouped(states: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for state in states:
        groups.setdefault(state.plugin.category, []).append(state)
    order = list(CATEGORY_LABELS)
    return [(CATEGORY_LABELS.get(c, c), groups[c]) for c in sorted(groups, key=lambda c: order.index(c) if c in order else 99)]


def _flash(request: Request) -> list[tuple[str, str]]:
    done, name = request.query_params.get("done", ""), request.query_params.get("plugin", "")
    if done not in NOTICES:
        return []
    title = next((p.title for p in services.plugin_catalog(current_runtime().pm) if p.name == name), name)
    return [("success", _(NOTICES[done], title=_(title)))]


async def _form_values(request: Request, fields: list[ConfigField]) -> tuple[dict[str, Any], bool]:
    """The posted settings as strings for validation. A checkbox that is not ticked is false; a
    blank secret keeps the current one. Second item: whether "use the defaults" was pressed."""
    form = await request.form()
    values: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            values[f.name] = "true" if form.get(f.name) else "false"
        elif f.secret:
            if form.get(f.name):
                values[f.name] = form.get(f.name)
        elif f.name in form:
            values[f.name] = form.get(f.name)
    return values, form.get("action") == "reset"


def _changed(config_type: type[msgspec.Struct] | None, values: dict[str, Any], current: msgspec.Struct | None) -> dict[str, Any]:
    """Only the fields the user changed become overrides; untouched ones keep inheriting."""
    clean = cfg.validate_values(config_type, values)
    now = msgspec.to_builtins(current) if current is not None else {}
    return {k: v for k, v in clean.items() if cfg.is_secret(k) or now.get(k) != v}


# --------------------------------------------------------------------------- franchise console


async def _console_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    tenant = current_tenant()
    states = await services.tenant_plugins(tenant.id)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("flash", _flash(request))
    return page(
        request, "plugin_admin/console_plugins.html", status_code=status_code, console=True,
        groups=_grouped(states), **context,
    )


@get("/console/plugins", guards=CONSOLE_GUARDS, include_in_schema=False, name="console-plugins")
async def console_plugins(request: Request) -> Response:
    return await _console_page(request)


@post("/console/plugins/{name:str}/toggle", guards=CONSOLE_GUARDS, include_in_schema=False, name="console-plugins-toggle")
async def console_toggle(request: Request, name: FromPath[str]) -> Response:
    form = await request.form()
    enabled = form.get("enabled") == "on"
    tenant = current_tenant()
    user = request.scope["state"]["console_user"]
    actor = f"console:{user.id}"
    result = await (services.enable_plugin if enabled else services.disable_plugin)(tenant.id, name, actor)
    done = "enabled" if result.enabled else "disabled"
    if request.headers.get("hx-request"):
        # htmx swaps just this card; the navigation catches up on the next page.
        state = await services.tenant_plugin(tenant.id, name)
        title = _(state.plugin.title)
        return page(
            request, "plugin_admin/_console_card.html", console=True, state=state, errors={}, values={},
            card_flash=_(NOTICES[done], title=title),
        )
    return Redirect(f"/console/plugins?done={done}&plugin={name}#plugin-{name}", status_code=303)


@post("/console/plugins/{name:str}/config", guards=CONSOLE_GUARDS, include_in_schema=False, name="console-plugins-config")
async def console_config(request: Request, name: FromPath[str]) -> Response:
    tenant = current_tenant()
    state = await services.tenant_plugin(tenant.id, name)
    values, reset = await _form_values(request, state.plugin.fields)
    actor = f"console:{request.scope['state']['console_user'].id}"
    try:
        if reset:
            await services.set_plugin_config(tenant.id, name, {}, reset=tuple(state.overridden), actor=actor)
        else:
            current = await services.get_plugin_config(tenant.id, name)
            changed = _changed(services.plugin_info(current_runtime().pm, name).config, values, current)
            await services.set_plugin_config(tenant.id, name, changed, actor=actor)
    except ValidationFailed as exc:
        errors = {field: _(text) for field, text in exc.fields.items()}
        return await _console_page(
            request, status_code=400, errors={name: errors}, values={name: values}, open_plugin=name,
            flash=[("error", _(exc.message))])
    return Redirect(f"/console/plugins?done={'reset' if reset else 'saved'}&plugin={name}#plugin-{name}", status_code=303)


# --------------------------------------------------------------------------- platform console


async def _platform_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    states = await services.platform_plugins()
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("flash", _flash(request))
    return page(request, "plugin_admin/platform_plugins.html", status_code=status_code, states=states,
                category_labels=CATEGORY_LABELS, **context)


@get("/platform/plugins", guards=PLATFORM_GUARDS, include_in_schema=False, name="platform-plugins")
async def platform_plugins(request: Request) -> Response:
    return await _platform_page(request)


@post("/platform/plugins/{name:str}/defaults", guards=PLATFORM_GUARDS, include_in_schema=False, name="platform-plugins-defaults")
async def platform_defaults(request: Request, name: FromPath[str]) -> Response:
    state = next((s for s in await services.platform_plugins() if s.plugin.name == name), None)
    if state is None:
        raise ValidationFailed({"plugin": services.UNKNOWN_PLUGIN})
    values, reset = await _form_values(request, state.plugin.fields)
    actor = f"operator:{request.scope['state']['operator'].id}"
    try:
        if reset:
            await services.set_platform_default(name, {}, reset=tuple(state.overridden), actor=actor)
        else:
            current = await services.get_platform_default(name)
            changed = _changed(services.plugin_info(current_runtime().pm, name).config, values, current)
            await services.set_platform_default(name, changed, actor=actor)
    except ValidationFailed as exc:
        errors = {field: _(text) for field, text in exc.fields.items()}
        return await _platform_page(
            request, status_code=400, errors={name: errors}, values={name: values}, open_plugin=name,
            flash=[("error", _(exc.message))])
    return Redirect(f"/platform/plugins?done={'reset' if reset else 'saved'}&plugin={name}#plugin-{name}", status_code=303)
