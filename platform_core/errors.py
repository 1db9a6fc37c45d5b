"""One error type, mapped to HTTP in one place (web/errors.py).

Messages are English gettext msgids, translated when rendered in the request's locale.
"""

from __future__ import annotations


class HearthError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str = "The request is not valid.",
        *,
        fields: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
        message_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.params = params or {}
        self.message_id = message_id


class ValidationFailed(HearthError):
    status_code = 400
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str = "Please correct the marked fields.") -> None:
        super().__init__(message, fields=fields)


class Unauthorized(HearthError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Please sign in.", *, sign_in_path: str | None = None) -> None:
        super().__init__(message)
        # Pages answer with a redirect here (and ?next=) instead of an error page.
        self.sign_in_path = sign_in_path


class Forbidden(HearthError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)


class NotFound(HearthError):
    status_code = 404
    code = "not_found"

    def __init__(self, what: str = "page", *, message_id: str | None = None) -> None:
        super().__init__("We could not find that.", params={"what": what}, message_id=message_id)


class Conflict(HearthError):
    status_code = 409
    code = "conflict"


class RateLimited(HearthError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, message: str = "Too many attempts. Try again in %(seconds)s seconds.") -> None:
        super().__init__(message, params={"seconds": retry_after})
        self.retry_after = retry_after


class TenantSuspended(HearthError):
    status_code = 403
    code = "tenant_suspended"

    def __init__(self) -> None:
        super().__init__("This service is temporarily unavailable.")


class ServiceUnavailable(HearthError):
    """A service the request needs (redis) does not answer: 503, and the client may try again."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, retry_after: int = 30) -> None:
        super().__init__("We can not handle this right now: part of our system is not answering. Please try again in a minute.")
        self.retry_after = retry_after
