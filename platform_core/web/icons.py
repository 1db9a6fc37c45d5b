"""The design system's icons: SVG paths on a 24×24 grid, drawn as strokes in the text colour.

`svg_icon` is `ui.icon` (and `ui._svg`) in templates: a Python function rather than a macro,
because a page draws a dozen icons and each macro call costs a Jinja frame; each distinct icon is
drawn once per process.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

ICONS = {
  "home": '<path d="M3.5 10.5 12 3.5l8.5 7"/><path d="M5.5 9v10.5a1 1 0 0 0 1 1H10v-6h4v6h3.5a1 1 0 0 0 1-1V9"/>',
  "user": '<circle cx="12" cy="8" r="4"/><path d="M4.5 20.5c.6-3.9 3.7-6.5 7.5-6.5s6.9 2.6 7.5 6.5"/>',
  "users": '<circle cx="9" cy="8.5" r="3.5"/><path d="M2.5 20c.5-3.4 3.1-5.7 6.5-5.7s6 2.3 6.5 5.7"/><path d="M15.5 5.2a3.5 3.5 0 0 1 0 6.6"/><path d="M17.5 14.6c2.2.6 3.7 2.6 4 5.4"/>',
  "shield": '<path d="M12 3 4.5 6v5.6c0 4.5 3.1 8.2 7.5 9.4 4.4-1.2 7.5-4.9 7.5-9.4V6Z"/><path d="m9 12 2 2 4-4"/>',
  "puzzle": '<path d="M4 6a2 2 0 0 1 2-2h3.5a2.5 2.5 0 0 1 5 0H18a2 2 0 0 1 2 2v3.5a2.5 2.5 0 0 1 0 5V18a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2Z"/>',
  "settings": '<path d="M4 6.5h9M17 6.5h3M4 12h3M11 12h9M4 17.5h11M19 17.5h1"/><circle cx="15" cy="6.5" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="17.5" r="2"/>',
  "chart": '<path d="M3.5 20.5h17"/><rect x="5" y="11" width="3.5" height="6.5" rx="1"/><rect x="10.25" y="5.5" width="3.5" height="12" rx="1"/><rect x="15.5" y="13.5" width="3.5" height="4" rx="1"/>',
  "calendar": '<rect x="3.5" y="5" width="17" height="15.5" rx="2.5"/><path d="M3.5 10h17M8 3v4M16 3v4"/>',
  "map-pin": '<path d="M12 21s-7-6-7-11.5a7 7 0 0 1 14 0C19 15 12 21 12 21Z"/><circle cx="12" cy="9.5" r="2.5"/>',
  "phone": '<rect x="6.5" y="2.5" width="11" height="19" rx="2.5"/><path d="M10.5 18h3"/>',
  "log-out": '<path d="M9.5 20.5h-4a2 2 0 0 1-2-2v-13a2 2 0 0 1 2-2h4"/><path d="m15.5 16.5 4.5-4.5-4.5-4.5"/><path d="M20 12H9.5"/>',
  "plus": '<path d="M12 5v14M5 12h14"/>',
  "check": '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
  "x": '<path d="M6.5 6.5l11 11M17.5 6.5l-11 11"/>',
  "alert": '<path d="M10.3 4 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 4a2 2 0 0 0-3.4 0Z"/><path d="M12 9.5v4M12 17h.01"/>',
  "building": '<rect x="4.5" y="3" width="15" height="18" rx="1.5"/><path d="M9.5 21v-4h5v4M8.5 7h1M14.5 7h1M8.5 11h1M14.5 11h1"/>',
  "inbox": '<path d="M21.5 12.5h-5.5l-2 3h-4l-2-3H2.5"/><path d="M5.5 5.2 2.5 12.5v5a2 2 0 0 0 2 2h15a2 2 0 0 0 2-2v-5l-3-7.3a1.5 1.5 0 0 0-1.4-.9H6.9a1.5 1.5 0 0 0-1.4.9Z"/>',
  "key": '<circle cx="8" cy="15" r="4.5"/><path d="m11.2 11.8 8.3-8.3M16.5 6.5l2.5 2.5M14 9l2 2"/>',
  "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18"/><path d="M12 3c2.4 2.5 3.6 5.5 3.6 9s-1.2 6.5-3.6 9c-2.4-2.5-3.6-5.5-3.6-9S9.6 5.5 12 3Z"/>',
  "menu": '<path d="M4 6.5h16M4 12h16M4 17.5h16"/>',
  "chevron-down": '<path d="m6 9 6 6 6-6"/>',
  "chevron-right": '<path d="m9 6 6 6-6 6"/>',
  "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.5h.01"/>',
  "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3.5 2"/>',
  "star": '<path d="m12 3.5 2.6 5.4 5.9.8-4.3 4.1 1.1 5.8L12 16.8l-5.3 2.8 1.1-5.8-4.3-4.1 5.9-.8Z"/>',
  "mail": '<rect x="3" y="5" width="18" height="14" rx="2.5"/><path d="m3.5 7 8.5 6 8.5-6"/>',
  "edit": '<path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16Z"/><path d="m13.5 6.5 4 4"/>',
  "trash": '<path d="M4 7h16M9.5 7V4.5h5V7M6 7l1 13h10l1-13"/><path d="M10 11v5M14 11v5"/>',
  "external": '<path d="M14 4h6v6M20 4l-9 9"/><path d="M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>',
  "eye": '<path d="M2.5 12S6 5 12 5s9.5 7 9.5 7-3.5 7-9.5 7-9.5-7-9.5-7Z"/><circle cx="12" cy="12" r="3"/>',
}


@lru_cache(maxsize=2048)
def svg_icon(name: str, size: object = 20, label: object = None, class_: object = "", **extra: object) -> Markup:
    """`{{ ui.icon("clock", 14) }}`, `{{ ui.icon("alert", label=_("Error"), class="x") }}`."""
    css = escape(extra.get("class", class_))
    size = escape(size)
    described = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true" focusable="false"'
    return Markup(
        f'<svg class="icon {css}" width="{size}" height="{size}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        f'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" {described}>{ICONS.get(name, ICONS["puzzle"])}</svg>'
    )
