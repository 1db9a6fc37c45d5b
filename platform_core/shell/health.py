from __future__ import annotations

from litestar import Request, get
from litestar.response import Response

from platform_core.db import get_engine


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False)
async def ready(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        async with get_engine().pool.acquire() as conn:  # type: ignore[union-attr]
            await conn.fetchval("select 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    redis = request.app.state.runtime.redis
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if healthy else "unavailable", "checks": checks}, status_code=200 if healthy else 503)
