"""Structured request logs: one JSON line per request, never bodies, query strings or cookies."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from platform_core.settings import Settings

log = logging.getLogger("hearth.request")


# What every LogRecord carries; anything else on a record came from the caller's `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the caller's `extra` fields beside the message (a provider's
    error type, a payment's number): without them a warning says that something failed, not what."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name != "fields":
                entry[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger("hearth")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


class QuerySecretsHidden(logging.Filter):
    """Blanks the values of some query parameters out of each line, e.g. `client_secret=***`."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names
        self.pattern = re.compile(r"(\b(?:%s)=)[^&\s\"']+" % "|".join(map(re.escape, names)))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(f"{name}=" in message for name in self.names):
            record.msg, record.args = self.pattern.sub(r"\1***", message), ()
        return True


def hide_query_secrets(logger: str, *names: str) -> None:
    """Keep secrets that a provider's protocol puts in a URL's query (QQ Connect's token request
    takes `client_secret` there) out of `logger`'s lines: HTTP clients and servers log URLs
    (httpx at INFO). Once per logger and names, however often it is called."""
    target = logging.getLogger(logger)
    if not any(isinstance(f, QuerySecretsHidden) and f.names == names for f in target.filters):
        target.addFilter(QuerySecretsHidden(names))


class RequestLogMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, capture)
        except Exception as exc:
            # A middleware's refusal (unknown tenant, malformed input) is answered outside.
            status = getattr(exc, "status_code", 500)
            raise
        finally:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            # The path only: query strings can carry codes and tokens.
            log.info("request", extra={"fields": {
                "method": scope.get("method"), "path": scope["path"], "host": host, "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "tenant": (scope.get("state") or {}).get("tenant_slug"),
            }})
