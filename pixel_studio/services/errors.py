"""Typed errors services raise. Callers (state, api, workers) turn them into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a person can read. `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class AuthFailed(ServiceError):
    pass


class InsufficientCredits(ServiceError):
    pass


class RateLimited(ServiceError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PaymentUnavailable(ServiceError):
    """Payments are not configured, or the payment provider could not be reached."""


class Busy(ServiceError):
    """Too much work is waiting (services/studio/backpressure.py): refused before anything was
    charged or written; the same request may succeed in `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, field="form")
        self.retry_after = retry_after
