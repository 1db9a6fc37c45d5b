"""The tracked link of a partner channel: `/c/{code}` on the franchise's host counts a visit,
remembers the channel in the browser and lands on the home page. An unknown code (or one of
another franchise: RLS hides it) lands home too, with nothing counted or remembered."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core import clock
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.acquisition import ACQUISITION_COOKIE, acquisition_source, is_bot

from . import channels


@get("/c/{code:str}", name="channel-link", include_in_schema=False)
async def channel_link(request: Request, code: FromPath[str]) -> Response:
    home = Redirect("/", status_code=302)
    channel = await channels.channel_by_code(code)
    if channel is None or is_bot(request.headers.get("user-agent", "")):
        return home
    settings = current_runtime().settings
    now = clock.now()
    today = clock.today(current_tenant().timezone)
    cookies = []
    seen = channels.seen_today(request.cookies.get(channels.VISIT_COOKIE, ""), today)
    if channel.code not in seen:
        await channels.record_visit(channel)
        cookies.append(Cookie(key=channels.VISIT_COOKIE, value=channels.seen_cookie(seen | {channel.code}, today),
                              max_age=36 * 3600, httponly=True, secure=settings.cookie_secure, samesite="lax", path="/"))
    # First touch: a channel remembered within its window is kept; a later link does not replace it.
    if not channels.source_is_current(acquisition_source(request), now):
        cookies.append(Cookie(key=ACQUISITION_COOKIE, value=channels.source_for(channel, now),
                              max_age=settings.channel_cookie_days * 86400, httponly=True, secure=settings.cookie_secure,
                              samesite="lax", path="/"))
    home.cookies.extend(cookies)
    return home


PAGE_HANDLERS = [channel_link]
