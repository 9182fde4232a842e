"""One error tree for all of Sluice.

Every failure a user can see is a :class:`SluiceError`. Each carries a stable
machine code (``dataset_not_found``), an HTTP status, and whether retrying the
same call may succeed. Front doors map errors in exactly one place each:
``sluice.api.errors`` (HTTP) and ``sluice.cli.output`` (exit codes); the remote
client turns the JSON error shape back into the same class.

::

    SluiceError                      500  internal
    ├── InvalidInput                 400  invalid_input
    │   ├── PayloadTooLarge          413  payload_too_large
    │   └── Unprocessable            422  unprocessable
    ├── Unauthorized                 401  unauthorized
    ├── Forbidden                    403  forbidden
    ├── NotFound                     404  not_found
    ├── AlreadyExists                409  already_exists
    ├── Conflict                     409  conflict
    ├── Cancelled                    409  cancelled
    ├── RateLimited                  429  rate_limited     (retryable)
    ├── Timeout                      504  timeout          (retryable)
    ├── ExternalService              502  external_service (retryable)
    └── Unavailable                  503  unavailable      (retryable)

The JSON error shape, pinned by ``tests/api/test_error_shape.py``::

    {"error": {"code": "dataset_not_found", "type": "NotFound",
               "message": "...", "retryable": false, "details": {...}}}
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "Cancelled",
    "Conflict",
    "ExternalService",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "SluiceError",
    "Timeout",
    "Unauthorized",
    "Unavailable",
    "Unprocessable",
    "error_from_payload",
]


class SluiceError(Exception):
    """Root of every error Sluice raises on purpose.

    Args:
        message: what went wrong and what to do about it, for a person.
        code: a stable snake_case code for programs; defaults to the class code.
        details: extra JSON-able facts (the name that was not found, limits...).
    """

    default_code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}

    def to_payload(self) -> dict[str, Any]:
        """The pinned JSON error shape."""
        return {
            "error": {
                "code": self.code,
                "type": type(self).__name__,
                "message": self.message,
                "retryable": self.retryable,
                "details": self.details,
            }
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InvalidInput(SluiceError):
    """The request is malformed or names something impossible."""

    default_code = "invalid_input"
    http_status = 400


class PayloadTooLarge(InvalidInput):
    """A body, file or batch exceeds a configured limit."""

    default_code = "payload_too_large"
    http_status = 413


class MethodNotAllowed(InvalidInput):
    """The route exists, but not with this HTTP method."""

    default_code = "method_not_allowed"
    http_status = 405


class Unprocessable(InvalidInput):
    """The request is well formed but contradicts what it refers to (an idempotency key
    sent again with another body)."""

    default_code = "unprocessable"
    http_status = 422


class Unauthorized(SluiceError):
    """No valid credentials were given."""

    default_code = "unauthorized"
    http_status = 401


class Forbidden(SluiceError):
    """The credentials are valid but do not allow this action."""

    default_code = "forbidden"
    http_status = 403


class NotFound(SluiceError):
    """The named thing does not exist."""

    default_code = "not_found"
    http_status = 404


class AlreadyExists(SluiceError):
    """A thing with that name exists already."""

    default_code = "already_exists"
    http_status = 409


class Conflict(SluiceError):
    """The action clashes with the current state (a concurrent writer, a busy job)."""

    default_code = "conflict"
    http_status = 409


class Cancelled(SluiceError):
    """The work was cancelled before it finished."""

    default_code = "cancelled"
    http_status = 409


class RateLimited(SluiceError):
    """The caller used up its share (requests, failed logins, model time); retry later.

    ``details["retry_after"]`` says how many seconds to wait.
    """

    default_code = "rate_limited"
    http_status = 429
    retryable = True


class Timeout(SluiceError):
    """The work took longer than its limit and was stopped."""

    default_code = "timeout"
    http_status = 504
    retryable = True


class ExternalService(SluiceError):
    """A service Sluice depends on (S3, Redis, a model endpoint) failed."""

    default_code = "external_service"
    http_status = 502
    retryable = True


class Unavailable(SluiceError):
    """Sluice cannot serve this right now (starting, shutting down, overloaded)."""

    default_code = "unavailable"
    http_status = 503
    retryable = True


_BY_TYPE: dict[str, type[SluiceError]] = {
    cls.__name__: cls
    for cls in (
        SluiceError,
        InvalidInput,
        PayloadTooLarge,
        Unprocessable,
        Unauthorized,
        Forbidden,
        NotFound,
        AlreadyExists,
        Conflict,
        Cancelled,
        RateLimited,
        Timeout,
        ExternalService,
        Unavailable,
    )
}


def error_from_payload(payload: dict[str, Any], status: int) -> SluiceError:
    """Rebuild the error a server sent in the pinned JSON shape."""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return SluiceError(f"server answered HTTP {status} without an error body")
    cls = _BY_TYPE.get(str(body.get("type")), SluiceError)
    return cls(
        str(body.get("message", "")),
        code=str(body.get("code") or cls.default_code),
        details=body.get("details") or {},
    )
