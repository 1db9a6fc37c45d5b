"""The franchise's legal documents as pages: /legal/terms and /legal/privacy on the franchise
site, and the console page where the owner writes and publishes them (settings.manage)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import HearthError, NotFound
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import done_notice, error_context, form_data
from platform_core.web.i18n import get_locale
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import legal
from .guards import require_console
from .schemas import LEGAL_KINDS, LEGAL_TITLES, LegalDocument, LegalDocumentPublish

NOTICES = {"published": N_("The new version is published. Customers accept it when they next sign in.")}


def blocks(body: str) -> list[tuple[str, str]]:
    """The text as ("h", heading) and ("p", paragraph) blocks: blank lines part paragraphs, a
    line starting with # is a heading. Plain text in, escaped by the template: no markup runs."""
    out: list[tuple[str, str]] = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().split("\n") if line.strip()]
        while lines and lines[0].startswith("#"):
            out.append(("h", lines.pop(0).lstrip("#").strip()))
        if lines:
            out.append(("p", "\n".join(lines)))
    return out


def _body(document: LegalDocument) -> str:
    return document.body_en if get_locale() == "en" and document.body_en else document.body_zh


def _kind(kind: str) -> str:
    if kind not in LEGAL_KINDS:
        raise NotFound("page")
    return kind


@get("/legal/{kind:str}", include_in_schema=False, name="legal-document")
async def document_page(request: Request, kind: FromPath[str]) -> Response:
    document = await legal.current_document(_kind(kind))
    return page(request, "accounts/legal.html", document=document, title=LEGAL_TITLES[kind], blocks=blocks(_body(document)),
                other=("privacy" if kind == "terms" else "terms"), titles=LEGAL_TITLES, tz=ZoneInfo(current_tenant().timezone))


async def _console_page(request: Request, kind: str, *, status_code: int = 200, **context: Any) -> Response:
    versions = await legal.document_versions(kind)
    current = versions[0] if versions else None
    context.setdefault("values", {"body_zh": current.body_zh, "body_en": current.body_en} if current else {})
    context.setdefault("errors", {})
    return page(request, "console/legal.html", status_code=status_code, kind=kind, kinds=LEGAL_KINDS, titles=LEGAL_TITLES,
                versions=versions, current=current, tz=ZoneInfo(current_tenant().timezone),
                flash=done_notice(request, NOTICES), **context)


@get("/console/legal", guards=[require_console("settings.manage")], include_in_schema=False, name="console-legal")
async def console_legal(request: Request) -> Response:
    return Redirect("/console/legal/terms", status_code=303)


@get("/console/legal/{kind:str}", guards=[require_console("settings.manage")], include_in_schema=False,
     name="console-legal-document")
async def console_document(request: Request, kind: FromPath[str]) -> Response:
    return await _console_page(request, _kind(kind))


@post("/console/legal/{kind:str}", guards=[require_console("settings.manage")], include_in_schema=False,
      name="console-legal-publish")
async def console_publish(request: Request, kind: FromPath[str]) -> Response:
    values = await form_data(request)
    user = request.scope["state"]["console_user"]
    try:
        await legal.publish_document(
            current_tenant(), _kind(kind), LegalDocumentPublish(body_zh=values.get("body_zh", ""), body_en=values.get("body_en", "")),
            by=user.display_name or user.email,
        )
    except HearthError as exc:
        return await _console_page(request, kind, status_code=exc.status_code, values=values, **error_context(exc))
    return Redirect(f"/console/legal/{kind}?done=published", status_code=303)


LEGAL_HANDLERS = [document_page, console_legal, console_document, console_publish]
