"""Prometheus metrics at /metrics: HTTP requests (Litestar's middleware, by route template) and
counters of our own work (jobs, payment notifications). Each process serves its own; scrape each
app and worker process (see docs/operations.md).

Served only with `HEARTH_METRICS_TOKEN` (as a bearer token), or without a token outside
production; the counts say how busy each franchise's routes are, which is nobody else's business.
"""

from __future__ import annotations

import hmac

from litestar import Request, get
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, generate_latest

from .errors import NotFound, Unauthorized

PAYMENT_NOTIFICATIONS = Counter(
    "hearth_payment_notifications_total", "Payment notifications received, by provider and what became of them",
    ["provider", "outcome"],  # applied, duplicate, ignored (nothing to change), refused
)
JOBS = Counter("hearth_jobs_total", "Jobs run by this process, by kind and outcome", ["kind", "outcome"])  # done, retry, failed


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="hearth", prefix="hearth", group_path=True, exclude_unhandled_paths=True,
        exclude=["^/metrics", "^/health/", "^/static/"],
    )


@get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    settings = request.app.state.runtime.settings
    if settings.metrics_token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            raise Unauthorized()
    elif not settings.dev_mode:
        raise NotFound()
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
