"""Domain exceptions. One handler turns them into JSON (API), another into a page (UI)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            detail["field"] = self.field
        detail.update(self.extra)
        return {"detail": detail}


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_error"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 60, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The database or queue is unreachable or busy: the client should retry."""

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 2, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class StorageFailed(DomainError):
    """A file could not be written (disk full, read-only folder, size limit); nothing was left."""

    status_code = 507
    code = "storage_failed"
