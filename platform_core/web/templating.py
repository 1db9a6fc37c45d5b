"""The Jinja environment: core templates, plugin templates, gettext, and the page globals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_currency, get_currency_precision
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from . import i18n

CORE_TEMPLATES = Path(__file__).resolve().parent.parent


def template_dirs(extra: list[Path]) -> list[Path]:
    """Each domain keeps `templates/<domain>/`; layouts live in web/templates."""
    core = sorted(p for p in CORE_TEMPLATES.glob("*/templates") if p.is_dir())
    return [*core, *extra]


def translate(value: object, **params: object) -> str:
    """`{{ entry.label|t }}`: translate a msgid held in a variable (menu labels, field errors).
    Unlike `_()` on a literal, the result is not marked safe, so it stays escaped."""
    return i18n.gettext(str(value), **params) if value else ""


def translate_to(locale: str, message: str) -> str:
    """A msgid in a given locale, e.g. the second language on the suspended page."""
    return i18n.translations(locale).ugettext(message)


def money(amount: int, currency: str) -> str:
    """`{{ order.total|money(order.currency) }}`: integer minor units shown in the page's locale."""
    return format_currency(amount / 10 ** get_currency_precision(currency), currency, locale=i18n.get_locale())


def build_environment(extra_dirs: list[Path], extra_globals: dict[str, Any] | None = None) -> Environment:
    """`extra_globals`: what the app adds for every template (e.g. `order_state`, bound to its runtime)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in template_dirs(extra_dirs)]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["get_locale"] = i18n.get_locale
    env.globals["LOCALE_NAMES"] = i18n.LOCALE_NAMES
    env.globals["translate_to"] = translate_to
    # Marks a msgid for extraction without translating it: translate_to(locale, N_("..."))
    env.globals["N_"] = i18n.lazy_gettext
    env.filters["t"] = translate
    env.filters["money"] = money
    env.globals.update(extra_globals or {})
    return env


def build_template_config(extra_dirs: list[Path], extra_globals: dict[str, Any] | None = None) -> TemplateConfig:
    env = build_environment(extra_dirs, extra_globals)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
