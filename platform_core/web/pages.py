"""page(): the one way a view renders a template, with what every layout needs."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from platform_core import clock
from platform_core.pluginsys.calls import collect, collect_now
from platform_core.pluginsys.contexts import MenuEntry, PageContext
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant_or_none

from .csp import content_security_policy
from .csrf import CSRF_COOKIE, csrf_token_for
from .i18n import get_locale


def console_menu(request: Request) -> list[MenuEntry]:
    """Console navigation: the core's entries and those of the tenant's enabled plugins, limited
    to what the signed-in console user may do (their permissions are put in the request state by
    the console guard)."""
    tenant = current_tenant_or_none()
    if tenant is None:
        return []
    permissions = request.scope.get("state", {}).get("permissions", frozenset())
    entries = [entry for _, entry in collect_now(current_runtime().hooks(tenant).provide_console_menu)]
    visible = [e for e in entries if e.permission is None or e.permission in permissions]
    return sorted(visible, key=lambda e: (e.section, e.order, e.label))


def base_context(request: Request) -> dict[str, Any]:
    state = request.scope.get("state", {})
    return {
        "request": request,
        # web-shell: a suspended tenant's error page keeps its branding (set by TenantMiddleware).
        "tenant": current_tenant_or_none() or state.get("suspended_tenant"),
        "principal": state.get("principal"),
        "permissions": state.get("permissions", frozenset()),
        "csrf_token": csrf_token_for(request),
        "locale": get_locale(),
        "dev_mode": current_runtime().settings.dev_mode,
        "path": request.url.path,
    }


def page(request: Request, template: str, *, status_code: int = 200, csp: Mapping[str, Iterable[str]] | None = None,
         same_for_visitors: bool = False, varies_on: tuple[Any, ...] = (), **context: Any) -> Template:
    """`csp`: sources this page needs beyond the site's policy, by directive (see web/csp.py).

    `same_for_visitors`: the page (its `context` included) shows nothing but what the franchise's
    stamp, the path and query, the language and the franchise's local day decide, as read from
    stores kept by the stamp (tenancy/stamped.py), and `varies_on`: what else it was read from
    (e.g. which workers may do the work today). Then, for a visitor who is not signed in, it is
    rendered once per such key and kept (web/templating.KeptPages)."""
    full = base_context(request)
    tenant = full["tenant"]
    if same_for_visitors and full["principal"] is None and tenant is not None:
        full["kept_as"] = (full["path"], request.scope.get("query_string", b""), clock.today(tenant.timezone), varies_on)
    if template.startswith("console/") or context.pop("console", False):
        full["nav"] = console_menu(request)
    full.update(context)
    full.setdefault("notices", [])  # filled by attach_page_notices (pluginsys)
    cookies = []
    new_csrf = request.scope.get("state", {}).get("new_csrf")
    if new_csrf:
        cookies.append(Cookie(key=CSRF_COOKIE, value=new_csrf, httponly=True, secure=current_runtime().settings.cookie_secure, samesite="lax", path="/"))
    return Template(template_name=template, context=full, status_code=status_code, cookies=cookies,
                    headers={"Content-Security-Policy": content_security_policy(request, csp)})


# --- pluginsys: page notices (compute_page_notices) -------------------------------------------


def _surface(context: dict[str, Any]) -> str | None:
    path = context.get("path", "")
    if path.startswith("/platform"):
        return None
    if "nav" in context or path.startswith("/console"):
        return "console"
    return "staff" if path.startswith("/staff") else "customer"


async def attach_page_notices(response: Any) -> Any:
    """after_request: put the banners of the tenant's enabled plugins into a page's context as
    `notices`. Done here rather than in page() because the hook impls may be async (they read
    their config from the database) and page() is sync. A failing plugin costs its banner only
    (pluginsys.calls)."""
    context = getattr(response, "context", None)
    if not isinstance(response, Template) or not context or context.get("tenant") is None:
        return response
    surface = _surface(context)
    if surface is None:
        return response
    tenant = context["tenant"]
    principal = context.get("principal")
    customer_id = principal.user_id if surface == "customer" and principal is not None and principal.kind == "customer" else None
    staff_id = principal.user_id if surface == "staff" and principal is not None and principal.kind == "staff" else None
    page_context = PageContext(tenant=tenant, surface=surface, path=context["path"], locale=context.get("locale", "zh_CN"),
                               customer_id=customer_id, staff_id=staff_id)
    context["notices"] = [notice for _, notice in await collect(current_runtime().hooks(tenant).compute_page_notices, page=page_context)]
    return response
