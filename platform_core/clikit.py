"""What every `hearth` subcommand needs, wherever it is declared: settings from the
environment, the database as the app role, and errors printed as a command line prints them."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, TypeVar

import click

from .settings import Settings, SettingsError, load_settings

T = TypeVar("T")


def settings_from_env() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def ready_settings() -> Settings:
    """Settings with a database: the configured one, or the embedded default."""
    from .db.embedded import with_database

    return with_database(settings_from_env())


def run(coro: Callable[[], Awaitable[T]]) -> T:
    from .errors import HearthError

    try:
        return asyncio.run(coro())  # type: ignore[arg-type]
    except HearthError as exc:
        details = "".join(f"\n  {name}: {text}" for name, text in exc.fields.items())
        raise click.ClickException(exc.message % exc.params if exc.params else exc.message + details) from None
