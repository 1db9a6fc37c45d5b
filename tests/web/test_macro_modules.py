"""Macro files are imported without context, so Jinja builds each module once per process and
keeps it (web/templating.py): what a macro shows of the page (csrf token, locale, path, time
zone) comes from `page_value()`, the variables of the render in progress, never from the first
page that imported the module."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import meta, pass_context

from platform_core.testing.factories import (
    CSRF,
    console_client,
    make_worker,
    with_session,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.templating import template_dirs

HTML = {"accept": "text/html"}
# Globals that read the calling template's context (Litestar's csrf_token(), url_for(), ...): in a
# module imported without context they would read the module's, not the page's. Jinja's gettext
# callables read only its autoescape setting (the locale is i18n's), the same in both.
PAGE_BOUND = pass_context(lambda context: None).jinja_pass_arg
CONTEXT_SAFE = {"gettext", "ngettext", "pgettext", "npgettext"}
IMPORT = re.compile(r'{%-?\s*(?:import|from)\s+"([^"]+)"[^%]*?(with context)?\s*-?%}')


def imported_templates() -> dict[str, bool]:
    """Each template some template imports, and whether any import of it is `with context`."""
    imports: dict[str, bool] = {}
    for folder in template_dirs([*Path("plugins").glob("*/templates")]):
        for path in folder.rglob("*.html"):
            for name, with_context in IMPORT.findall(path.read_text()):
                imports[name] = imports.get(name, False) or bool(with_context)
    return imports


def test_macro_files_imported_without_context_read_no_page_variable(app):
    env = app.template_engine.engine
    imports = imported_templates()
    # Parsed without those globals, so a macro that reads one is reported like a page variable.
    probe = env.overlay()
    probe.globals = {k: v for k, v in env.globals.items()
                     if k in CONTEXT_SAFE or getattr(v, "jinja_pass_arg", None) is not PAGE_BOUND}
    assert "macros/ui.html" in imports
    for name, with_context in imports.items():
        if with_context:
            continue
        source = env.loader.get_source(env, name)[0]
        assigned = set(re.findall(r"{%-?\s*set\s+(\w+)", source))
        # A page variable read here would be the empty Undefined: the module never sees the page.
        assert meta.find_undeclared_variables(probe.parse(source)) - assigned == set(), name


def test_each_render_shows_its_own_page_values(app):
    template = app.template_engine.engine.from_string(
        '{% import "macros/ui.html" as ui %}{{ ui.csrf() }}{{ ui.locale_switch() }}')
    first = template.render(csrf_token="token-a", locale="en", path="/services")
    second = template.render(csrf_token="token-b", locale="zh_CN", path="/console/users")
    assert 'name="csrf_token" value="token-a"' in first and "token-b" not in first
    assert 'name="next" value="/services"' in first and 'name="locale" value="zh_CN"' in first
    assert 'name="csrf_token" value="token-b"' in second and "token-a" not in second
    assert 'name="next" value="/console/users"' in second and 'name="locale" value="en"' in second


def post_forms(html: str) -> list[str]:
    forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
    return [form for form in forms if re.match(r'<form\b[^>]*method="post"', form)]


async def test_every_post_form_of_console_and_staff_pages_carries_the_pages_csrf_token(app, make_tenant):
    tenant = await make_tenant()
    host = f"{tenant.slug}.localhost"
    worker = await make_worker(tenant)
    async with client_for(app, host) as console, client_for(app, host) as staff:
        await console_client(console, tenant, "owner")
        await with_session(staff, tenant, "staff", worker)
        for client, path in [(console, "/console/users"), (console, "/console/plugins"), (staff, "/staff")]:
            page = await client.get(path, headers=HTML)
            assert page.status_code == 200, path
            forms = post_forms(page.text)
            assert forms, path
            for form in forms:
                assert f'name="csrf_token" value="{CSRF}"' in form, (path, form[:200])
            assert f'<input type="hidden" name="next" value="{path}">' in page.text, path
