from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Union

import msgspec

if TYPE_CHECKING:
    from platform_core.tenancy.schemas import TenantContext

# Ids, flags and short codes: a payload is stored in clear and outlives the request, so it
# names rows, it never copies personal data into the queue.
PayloadValue = Union[int, bool, None, str, list[int | str]]
Payload = dict[str, PayloadValue]
DEFAULT_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class JobContext:
    """What a job handler gets besides its payload."""

    tenant: "TenantContext"
    job_id: int
    attempt: int  # 1 on the first run


JobFunction = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class JobRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One job asked for with others in one statement (`enqueue_many`); the fields are
    `enqueue`'s arguments."""

    kind: str
    payload: Payload = {}
    run_at: datetime | None = None
    key: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


class Job(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant_id: int
    kind: str
    payload: dict[str, Any]
    key: str | None
    run_at: datetime
    attempts: int
    max_attempts: int
    last_error: str | None
    done_at: datetime | None
    failed_at: datetime | None

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "done"
        if self.failed_at is not None:
            return "failed"
        return "pending"
