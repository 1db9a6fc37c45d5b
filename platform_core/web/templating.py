"""The Jinja environment: core templates, plugin templates, gettext, and the page globals."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.numbers import format_currency, get_currency_precision
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    Template,
    pass_context,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from platform_core.tenancy.context import current_tenant_or_none
from platform_core.tenancy.schemas import TenantContext

from . import i18n
from .icons import svg_icon

CORE_TEMPLATES = Path(__file__).resolve().parent.parent


def template_dirs(extra: list[Path]) -> list[Path]:
    """Each domain keeps `templates/<domain>/`; layouts live in web/templates."""
    core = sorted(p for p in CORE_TEMPLATES.glob("*/templates") if p.is_dir())
    return [*core, *extra]


# The variables of the page being rendered. Macro files are imported without context, so Jinja
# builds each one once per process instead of re-running it in every template that imports it;
# the few page values a macro shows (the csrf token, the locale, the path) come from here.
_page_vars: ContextVar[Mapping[str, Any]] = ContextVar("page_vars", default={})


class PageTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        page_vars = dict(*args, **kwargs)
        kept = getattr(self.environment, "kept_pages", None)
        if kept is not None and page_vars.get("kept_as") is not None:
            return kept.render(self, page_vars)
        return self.render_page(page_vars)

    def render_page(self, page_vars: dict[str, Any]) -> str:
        token = _page_vars.set(page_vars)
        try:
            return super().render(page_vars)
        finally:
            _page_vars.reset(token)

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        # Jinja checks on every import whether the importing page has globals the imported
        # template lacks (a set difference over every global name). Here no template has globals
        # of its own beyond the environment's, so the one module built per process always serves.
        if ctx is not None and (self.globals.maps[0] or len(ctx.globals_keys) != len(self.environment.globals)):
            return super()._get_default_module(ctx)
        if self._module is None:
            self._module = self.make_module()
        return self._module


def page_value(name: str) -> Any:
    """`page_value("csrf_token")` in a macro: the page's variable, "" when the page has none."""
    return _page_vars.get().get(name, "")


@pass_eval_context
def page_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """`_()` in templates, a page's most frequent call: what Jinja's newstyle gettext does
    (translate, mark safe when autoescaping, then fill `%(name)s` with the values escaped),
    without its two indirections per string (`_` resolving `gettext` in the context, then
    calling the translation through the context)."""
    text = i18n.translations().ugettext(message)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def translate(value: object, **params: object) -> str:
    """`{{ entry.label|t }}`: translate a msgid held in a variable (menu labels, field errors).
    Unlike `_()` on a literal, the result is not marked safe, so it stays escaped."""
    return i18n.gettext(str(value), **params) if value else ""


def translate_to(locale: str, message: str) -> str:
    """A msgid in a given locale, e.g. the second language on the suspended page."""
    return i18n.translations(locale).ugettext(message)


@lru_cache(maxsize=None)
def _minor_units(currency: str) -> int:
    return 10 ** get_currency_precision(currency)


@lru_cache(maxsize=4096)
def _money(amount: int, currency: str, locale: str) -> str:
    return format_currency(amount / _minor_units(currency), currency, locale=i18n.babel_locale(locale))


def money(amount: int, currency: str) -> str:
    """`{{ order.total|money(order.currency) }}`: integer minor units shown in the page's locale.
    A page shows the same few prices again and again: each is formatted once per process."""
    return _money(amount, currency, i18n.get_locale())


@lru_cache(maxsize=1024)
def _duration(minutes: int, locale: str) -> str:
    if minutes >= 1440 and minutes % 1440 == 0:
        return i18n.ngettext("%(num)s day", "%(num)s days", minutes // 1440)
    if minutes >= 60 and minutes % 60 == 0:
        return i18n.ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    return i18n.ngettext("%(num)s minute", "%(num)s minutes", minutes)


def duration(minutes: int) -> str:
    """`{{ item.duration_minutes|duration }}`: "3 hours", "26 days", "90 minutes" in the page's
    language; a list of services shows the same few, each worded once per process."""
    return _duration(minutes, i18n.get_locale())


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`{{ review.created_at|local_time }}`: an instant on the franchise's clock (its time zone),
    never the server's UTC; "—" when there is none."""
    if moment is None:
        return "—"
    tenant = current_tenant_or_none()
    return moment.astimezone(ZoneInfo(tenant.timezone) if tenant else None).strftime(fmt)


def day(value: date, form: str = "long") -> str:
    """`{{ today|day }}`: a calendar day in the page's language ("2026年12月2日", "December 2,
    2026"); `form="short"` gives month and day ("12月2日", "Dec 2")."""
    locale = i18n.babel_locale(i18n.get_locale())
    if form == "short":
        return format_skeleton("MMMd", value, locale=locale)
    return babel_format_date(value, "long", locale=locale)


class Fragments:
    """`{% call fragment("name", key...) %}markup{% endcall %}`: markup that depends only on the
    page's franchise, its language and the values named in the key (whether someone is signed
    in, which tab is current) is rendered once and then reused: a layout's top bar, footer and tab
    bar, the home page's body. A fragment must not show anything else of the request (the csrf
    token, the path, notices): those stay outside it.

    Kept by the tenant's stamp (`TenantContext.version`, renewed by any change to the tenant's row,
    domains, plugins or catalog), so a changed franchise renders afresh with its first request
    (a page that renders in a transaction that wrote its catalog must not use one); an entry
    also holds the tenant and the catalogue it was rendered with, and is used only for the same
    ones. Without a stamped tenant (the platform's pages, a tenant built by hand) the markup is
    rendered every time. One per environment (per app)."""

    MAX_ENTRIES = 2048

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.kept: dict[tuple[Any, ...], tuple[TenantContext, object, Markup]] = {}

    @pass_context
    def render(self, context: Context, name: str, *key: Any, caller: Any) -> Markup:
        tenant = context.get("tenant")
        if not self.enabled or not isinstance(tenant, TenantContext) or not tenant.version:
            return caller()
        locale = i18n.get_locale()
        catalogue = i18n.translations(locale)
        full = (name, tenant.id, tenant.version, locale, key)
        found = self.kept.get(full)
        if found is not None and found[1] is catalogue and (found[0] is tenant or found[0] == tenant):
            return found[2]
        markup = Markup(caller())
        if len(self.kept) >= self.MAX_ENTRIES:
            self.kept.clear()
        self.kept[full] = (tenant, catalogue, markup)
        return markup


class KeptPages:
    """Whole pages kept for visitors who are not signed in: a page that shows nothing but what
    the franchise's stamp, its path and query, the language and the franchise's local day decide
    (`page(..., same_for_visitors=True)`, web/pages.py) is rendered once per such key and then
    served from here, as Fragments keeps parts of pages.

    Two things differ between two visitors of such a page, and are filled in per request: the
    csrf token (rendered as a placeholder, then replaced; a token of other characters than
    token_urlsafe's is rendered the ordinary way) and the messages above the content (the
    plugins' notices and flash, which may depend on the time or the visitor: the layout renders
    `messages_hole` in their place). Kept by the tenant's stamp like Fragments, so a change to
    the franchise, its catalog, workers, reviews or credentials renders afresh. Bounded in
    characters kept per process; without a stamped tenant nothing is kept."""

    MAX_CHARS = 2_000_000
    CSRF_HOLE = "hearthcsrf" + secrets.token_hex(12)
    MESSAGES_HOLE = Markup(f"<!--hearth-messages-{secrets.token_hex(12)}-->")
    SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.kept: dict[tuple[Any, ...], tuple[TenantContext, object, str]] = {}
        self.chars = 0

    def render(self, template: PageTemplate, page_vars: dict[str, Any]) -> str:
        tenant, token = page_vars.get("tenant"), page_vars.get("csrf_token", "")
        if (not self.enabled or not isinstance(tenant, TenantContext) or not tenant.version
                or page_vars.get("principal") is not None or not self.SAFE_TOKEN.fullmatch(token)):
            return template.render_page(page_vars)
        locale = i18n.get_locale()
        catalogue = i18n.translations(locale)
        key = (template.name, tenant.id, tenant.version, locale, page_vars["kept_as"])
        found = self.kept.get(key)
        if found is not None and found[1] is catalogue and (found[0] is tenant or found[0] == tenant):
            html = found[2]
        else:
            html = template.render_page({**page_vars, "csrf_token": self.CSRF_HOLE, "notices": [], "flash": [],
                                         "messages_hole": self.MESSAGES_HOLE})
            if self.chars + len(html) > self.MAX_CHARS:
                self.kept.clear()
                self.chars = 0
            self.kept[key] = (tenant, catalogue, html)
            self.chars += len(html)
        messages = ""
        if page_vars.get("notices") or page_vars.get("flash"):
            ui = template.environment.get_template("macros/ui.html")
            messages = ui.module.page_messages(page_vars.get("notices"), page_vars.get("flash"))  # type: ignore[attr-defined]
        return html.replace(self.CSRF_HOLE, token).replace(self.MESSAGES_HOLE, messages)


class PageEnvironment(Environment):
    """The Jinja environment of the app's pages, with the pages it keeps (KeptPages)."""

    kept_pages: KeptPages


def build_environment(extra_dirs: list[Path], extra_globals: dict[str, Any] | None = None, *, reload: bool = True) -> Environment:
    """`extra_globals`: what the app adds for every template (e.g. `order_state`, bound to its runtime).
    `reload`: look for edited template files on every render (development); otherwise a template,
    and every template it imports, is compiled once per process and never checked again."""
    env = PageEnvironment(
        auto_reload=reload,
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in template_dirs(extra_dirs)]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.template_class = PageTemplate
    env.install_gettext_callables(i18n.gettext, i18n.plural_form, newstyle=True, pgettext=i18n.pgettext)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"] = page_gettext
    env.globals["get_locale"] = i18n.get_locale
    env.globals["page_value"] = page_value
    env.globals["LOCALE_NAMES"] = i18n.LOCALE_NAMES
    env.globals["translate_to"] = translate_to
    # Marks a msgid for extraction without translating it: translate_to(locale, N_("..."))
    env.globals["N_"] = i18n.lazy_gettext
    env.filters["t"] = translate
    env.filters["money"] = money
    env.filters["local_time"] = local_time
    env.filters["day"] = day
    env.filters["duration"] = duration
    env.globals["svg_icon"] = svg_icon
    # A template edited in development shows at once: fragments are kept only when templates are.
    env.globals["fragment"] = Fragments(enabled=not reload).render
    env.kept_pages = KeptPages(enabled=not reload)
    env.globals.update(extra_globals or {})
    return env


def build_template_config(extra_dirs: list[Path], extra_globals: dict[str, Any] | None = None, *, reload: bool = True) -> TemplateConfig:
    env = build_environment(extra_dirs, extra_globals, reload=reload)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
