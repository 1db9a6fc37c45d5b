"""The notify endpoint every provider calls: /payments/notify/{provider}/{tenant}.

The tenant comes from the path (see tenancy.middleware); there is no session and no CSRF token,
the provider's signature is the authentication. The answer is exactly what the provider expects."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import FromPath

from . import services


@post("/payments/notify/{provider:str}/{tenant_slug:str}", operation_id="paymentNotify", include_in_schema=False, status_code=200)
async def payment_notify(request: Request, provider: FromPath[str], tenant_slug: FromPath[str]) -> Response:
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    remote = request.client.host if request.client else ""
    reply = await services.handle_notification(provider, headers, body, remote)
    return Response(content=reply.body, status_code=reply.status_code, media_type=reply.media_type)


HANDLERS = [payment_notify]
