"""The web shell: the home page, the language switch, health and metrics. The top floor of the
web; the kit every page is built with (templates, layouts, forms, errors) is `platform_core.web`."""
