"""Typed provider errors: the worker decides retry-or-fail from `transient` alone.

Every provider translates its client's exceptions into these, so the worker never imports
`openai` or `huggingface_hub` to make a decision, and the message is always one a person can
read on the job page (never a stack trace or a raw JSON body).
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider call failed. `transient` means the same call may succeed if tried later."""

    default_message = "The image service failed."
    default_transient = False

    def __init__(
        self,
        message: str | None = None,
        transient: bool | None = None,
        *,
        detail: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.transient = self.default_transient if transient is None else transient
        # What the service said, for logs only: it may be long or technical.
        self.detail = detail
        # Seconds the service asked us to wait (Retry-After), a hint for the worker's backoff.
        self.retry_after = retry_after
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, transient={self.transient})"


class ModerationRefused(ProviderError):
    default_message = (
        "The image service refused this prompt under its content policy. Try rewording it."
    )


class QuotaExceeded(ProviderError):
    default_message = (
        "The image service account has run out of quota or billing credit. "
        "An administrator needs to top it up."
    )


class RateLimited(ProviderError):
    default_message = "The image service is busy (rate limited). The job will be retried shortly."
    default_transient = True


class ProviderTimeout(ProviderError):
    default_message = "The image service took too long to answer."
    default_transient = True


class InvalidRequest(ProviderError):
    default_message = "The image service rejected these settings."


class ProviderUnavailable(ProviderError):
    default_message = "The image service is unavailable right now."
    default_transient = True


class AuthRefused(ProviderError):
    """The key or token was refused: nothing a retry can fix, an administrator must act."""

    default_message = "The image service refused the server's credentials."


class NotConfigured(ProviderError):
    """The model needs a key, token, folder or package this server does not have."""

    default_message = "This model is not set up on this server."
