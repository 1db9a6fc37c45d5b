"""One msgspec Struct tree read from the environment and passed in; never cached at import."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal, Mapping

import msgspec


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    # The owner's DSN: migrations run with it. None means the embedded PostgreSQL.
    url: str | None = None
    # The DSN the server uses; by default `url` with the user swapped for the app role hearth_app.
    app_url: str | None = None
    pool_min: int = 1
    pool_max: int = 10
    # A streaming standby for the read-only routes (`read_only=True` on a handler,
    # db/replica.py); None: they read from the primary like every other route.
    read_url: str | None = None


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["dev", "test", "prod"] = "dev"
    secret_key: str
    base_domain: str = "localhost"
    platform_host: str = "platform.localhost"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = ".hearth"
    redis_url: str | None = None
    # Prefixes every shared key (redis, the kv table), so deployments can share one redis.
    key_prefix: str = "hearth"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    session_max_age: int = 14 * 24 * 3600
    # Run the job worker inside each server process; off when `hearth worker` processes do it.
    # With several web processes `hearth serve` runs it in one process of its own instead.
    worker: bool = True
    # Web processes of `hearth serve` (uvicorn's workers; docs/scaling.md).
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # Where payment providers reach this server (e.g. https://pay.example.com); empty: the URL of
    # the request that started the payment.
    notify_base_url: str = ""
    # Provider notifications a web process works on at once; the rest wait their turn before
    # their transaction starts, so a burst of them leaves most of the process to people's
    # requests (providers wait seconds for an answer and retry; docs/payments.md).
    notify_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 2
    # The bearer token Prometheus sends to /metrics; without one /metrics answers only outside production.
    metrics_token: str = ""
    # How long a partner channel's link is remembered in the visitor's browser: a sign-up within
    # this many days of the first visit is attributed to the channel (marketing/channels.py).
    channel_cookie_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    db: DatabaseSettings = DatabaseSettings()

    @property
    def dev_mode(self) -> bool:
        return self.env != "prod"

    @property
    def cookie_secure(self) -> bool:
        return self.env == "prod"


# (variable, path in the tree). The env var is the public name of each setting.
_VARIABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HEARTH_ENV", ("env",)),
    ("HEARTH_SECRET_KEY", ("secret_key",)),
    ("HEARTH_BASE_DOMAIN", ("base_domain",)),
    ("HEARTH_PLATFORM_HOST", ("platform_host",)),
    ("HEARTH_HOST", ("host",)),
    ("HEARTH_PORT", ("port",)),
    ("HEARTH_DATA_DIR", ("data_dir",)),
    ("REDIS_URL", ("redis_url",)),
    ("HEARTH_KEY_PREFIX", ("key_prefix",)),
    ("HEARTH_DEFAULT_LOCALE", ("default_locale",)),
    ("HEARTH_SESSION_MAX_AGE", ("session_max_age",)),
    ("HEARTH_WORKER", ("worker",)),
    ("HEARTH_WORKERS", ("workers",)),
    ("HEARTH_NOTIFY_BASE_URL", ("notify_base_url",)),
    ("HEARTH_NOTIFY_CONCURRENCY", ("notify_concurrency",)),
    ("HEARTH_METRICS_TOKEN", ("metrics_token",)),
    ("HEARTH_CHANNEL_COOKIE_DAYS", ("channel_cookie_days",)),
    ("DATABASE_URL", ("db", "url")),
    ("HEARTH_APP_DATABASE_URL", ("db", "app_url")),
    ("HEARTH_DB_POOL_MIN", ("db", "pool_min")),
    ("HEARTH_DB_POOL_MAX", ("db", "pool_max")),
    ("HEARTH_READ_DATABASE_URL", ("db", "read_url")),
)


def _dev_secret(data_dir: Path) -> str:
    """Dev and test keep a generated secret in the data folder so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from HEARTH_* (and DATABASE_URL, REDIS_URL) variables.

    Each variable is validated on its own, so an error names the variable that is wrong.
    """
    environ = os.environ if environ is None else environ
    tree: dict[str, dict | object] = {"db": {}}
    for variable, path in _VARIABLES:
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        field_type = _field_type(path)
        try:
            value = msgspec.convert(raw, field_type, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"{variable}={raw!r} is not valid: {exc}") from None
        target = tree if len(path) == 1 else tree["db"]
        target[path[-1]] = value  # type: ignore[index]
    for key, value in overrides.items():
        tree[key] = value
    env = tree.get("env", "dev")
    if "secret_key" not in tree:
        if env == "prod":
            raise SettingsError("HEARTH_SECRET_KEY must be set in production (HEARTH_ENV=prod)")
        tree["secret_key"] = _dev_secret(Path(str(tree.get("data_dir", ".hearth"))))
    if len(str(tree["secret_key"])) < 32:
        raise SettingsError("HEARTH_SECRET_KEY must be at least 32 characters")
    if env == "prod" and not tree["db"].get("url"):  # type: ignore[union-attr]
        raise SettingsError("DATABASE_URL must be set in production (HEARTH_ENV=prod)")
    try:
        return msgspec.convert(tree, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(str(exc)) from None


def _field_type(path: tuple[str, ...]) -> object:
    struct: type[msgspec.Struct] = Settings if len(path) == 1 else DatabaseSettings
    hints = msgspec.structs.fields(struct)
    return next(f.type for f in hints if f.name == path[-1])
