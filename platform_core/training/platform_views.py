"""Head office's courses in the platform console (operators): written once, published to every
franchise (sync.py copies them in)."""

from __future__ import annotations

from platform_core.accounts.guards import require_operator

from . import services
from .editor_views import Author, editor_handlers

AUTHOR = Author(base="/platform/training", name="platform", guards=[require_operator], store=services.HEAD_OFFICE,
                layout="layouts/platform.html")

PLATFORM_HANDLERS = editor_handlers(AUTHOR)
