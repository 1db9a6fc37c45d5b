"""Fixed-window limits on sending and checking codes, counted in rt.kv so every process shares
them (redis INCR, or an upsert on the core_kv table) and a rolled-back request still counts.

The client address is `request.client.host`. Behind a proxy that is the proxy, so the proxy must
set X-Forwarded-For and uvicorn must run with `--proxy-headers --forwarded-allow-ips=<proxy>`;
otherwise all clients share the proxy's address limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_core.errors import RateLimited
from platform_core.kv import KeyValue
from platform_core.web.i18n import lazy_gettext


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: int  # seconds
    message: str = lazy_gettext("Too many attempts. Try again in %(seconds)s seconds.")


WAIT_MESSAGE = lazy_gettext("Please wait %(seconds)s seconds before requesting another code.")

TOO_MANY_CODES = lazy_gettext("Too many codes were requested for this number. Try again in %(seconds)s seconds.")

SEND_PER_PHONE = (
    Limit("send-1m", 1, 60, WAIT_MESSAGE),
    Limit("send-1h", 5, 3600, TOO_MANY_CODES),
    Limit("send-1d", 10, 86400, TOO_MANY_CODES),
)
SEND_PER_ADDRESS = (Limit("send-1h", 20, 3600),)
VERIFY_PER_PHONE = (Limit("verify-1h", 15, 3600),)
VERIFY_PER_ADDRESS = (Limit("verify-1h", 60, 3600),)


async def enforce(kv: KeyValue, key: str, limits: tuple[Limit, ...]) -> None:
    """Count one attempt against each limit, shortest window first; RateLimited on the first
    exceeded. Stopping there keeps a refused burst from eating the longer windows."""
    for limit in limits:
        count, left = await kv.incr(f"{key}:{limit.name}", limit.window)
        if count > limit.count:
            raise RateLimited(retry_after=max(left, 1), message=limit.message)





async def limit_attempts(name: str, subject: str, limits: tuple[Limit, ...]) -> None:
    """Count one attempt of `subject` (a client address, a customer id) at `name` (a plugin's
    "referral.landing") against `limits`, in the current tenant's keys; RateLimited (429, with the
    wait in seconds) when one is exceeded. For plugins, through plugin_api."""
    from platform_core.runtime import current_runtime
    from platform_core.tenancy.context import current_tenant

    await enforce(current_runtime().kv, current_tenant().key("limit", name, subject), limits)
