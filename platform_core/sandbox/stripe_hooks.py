"""Stripe: the API itself is localstripe's (its own process); the sandbox adds webhook endpoints,
a pay page that confirms the PaymentIntent, and signed payment_intent.succeeded deliveries."""

from __future__ import annotations

from aiohttp import web

from .server import SANDBOX, Sandbox, _is_loopback

routes = web.RouteTableDef()


@routes.post("/_sandbox/stripe/webhook_endpoints")
async def add_endpoint(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    data = await request.json()
    url, account = data.get("url", ""), data.get("account") or None
    if not _is_loopback(url):
        return web.json_response({"error": "url must point at 127.0.0.1"}, status=400)
    if (url, account) not in sandbox.stripe_webhooks:
        sandbox.stripe_webhooks.append((url, account))
    return web.json_response({"url": url, "secret": sandbox.keys.stripe_webhook_secret})
