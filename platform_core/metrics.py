"""Prometheus metrics at /metrics: HTTP requests (Litestar's middleware, by route template) and
counters of our own work (jobs, payment notifications). Each process serves its own; scrape each
app and worker process (see docs/operations.md).

Served only with `HEARTH_METRICS_TOKEN` (as a bearer token), or without a token outside
production; the counts say how busy each franchise's routes are, which is nobody else's business.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from litestar import Request, get
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.response import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, generate_latest

from .errors import NotFound, Unauthorized

PAYMENT_NOTIFICATIONS = Counter(
    "hearth_payment_notifications_total", "Payment notifications received, by provider and what became of them",
    ["provider", "outcome"],  # applied, duplicate, ignored (nothing to change), refused
)
JOBS = Counter("hearth_jobs_total", "Jobs run by this process, by kind and outcome", ["kind", "outcome"])  # done, retry, failed


class RequestMetricsMiddleware(PrometheusMiddleware):
    """Litestar's request metrics (the same names, labels and values), with each route's
    labelled series looked up once per process instead of four times per request, and no
    Request object built to read the method and the route."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        # (method, route) -> (in progress, {status: (count, duration, errors or None)})
        self._series: dict[tuple[str, str], tuple[Any, dict[int, tuple[Any, Any, Any]]]] = {}
        self._plain = not (config.labels or config.exemplars or config.excluded_http_methods)

    def _labels(self, method: str, path: str, status: int) -> dict[str, Any]:
        return {"method": method, "path": path, "status_code": status, "app_name": self._config.app_name}

    def _by_status(self, method: str, path: str, status: int) -> tuple[Any, Any, Any]:
        labels = self._labels(method, path, status)
        values = [*labels.values()]
        errors = self.requests_error_count(labels).labels(*values) if status >= 500 else None
        return self.request_count(labels).labels(*values), self.request_time(labels).labels(*values), errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._plain:
            await super().__call__(scope, receive, send)
            return
        method = scope["method"] if scope["type"] == ScopeType.HTTP else scope["type"]
        path = scope["path_template"] if self._config.group_path else scope["path"]
        series = self._series.get((method, path))
        if series is None:
            labels = self._labels(method, path, 200)
            series = self._series[(method, path)] = (self.requests_in_progress(labels).labels(*labels.values()), {})
        in_progress, by_status = series
        started = time.perf_counter()
        span = [200, 0.0]  # status, duration (at the last body message, as Litestar's)

        async def measured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                span[0] = message["status"]
            elif message["type"] == "http.response.body":
                span[1] = time.perf_counter() - started
            await send(message)

        in_progress.inc()
        try:
            await self.app(scope, receive, measured_send)
        finally:
            in_progress.dec()
            status = span[0]
            found = by_status.get(status)
            if found is None:
                found = by_status[status] = self._by_status(method, path, status)
            count, duration, errors = found
            if errors is not None:
                errors.inc()
            count.inc()
            duration.observe(span[1])


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="hearth", prefix="hearth", group_path=True, exclude_unhandled_paths=True,
        exclude=["^/metrics", "^/health/", "^/static/"], middleware_class=RequestMetricsMiddleware,
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
