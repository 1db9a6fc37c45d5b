"""`ngettext` in a template takes variables besides `num` ({{ ngettext(..., n, amount=...) }}),
as Jinja's newstyle gettext promises: the translation is formatted once, with all of them."""

from __future__ import annotations

from platform_core.web import i18n


def test_a_templates_ngettext_fills_in_num_and_its_other_variables(app):
    engine = app.template_engine.engine
    i18n.set_locale("en")
    template = engine.from_string('{{ ngettext("%(num)d visit by %(who)s", "%(num)d visits by %(who)s", n, who=who) }}')
    assert template.render(n=1, who="Wang") == "1 visit by Wang"
    assert template.render(n=3, who="Li") == "3 visits by Li"
    assert engine.from_string('{{ ngettext("%(num)d review", "%(num)d reviews", 2) }}').render() == "2 reviews"
