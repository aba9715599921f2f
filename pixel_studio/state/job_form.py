"""What the two paid job forms share (/create's CreateState, /compare's CompareState): open a
submission under the lock, turn a refusal into errors at the form's fields, and show the
started jobs and the new balance on the page.

A mixin, like account.FormMixin: each form keeps its own fields (its own `errors` keys).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import reflex as rx

from pixel_studio.services.errors import ServiceError
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.state.auth import AuthState, checked_user_id, session_ended
from pixel_studio.state.create_form import field_errors
from pixel_studio.state.job_views import JobView
from pixel_studio.state.jobs import JobsState

log = logging.getLogger(__name__)


def refusal(exc: Exception, failure: str) -> dict[str, str]:
    """A failed submission's errors by field: every field problem of a RequestErrors, a
    ServiceError at its field (or the form), anything else logged and `failure` on the form."""
    if isinstance(exc, RequestErrors):
        return exc.errors
    if isinstance(exc, ServiceError):
        return {exc.field or "form": exc.message}
    log.exception("submission failed: %s", failure, exc_info=exc)
    return {"form": failure}


class JobFormMixin(rx.State, mixin=True):
    if TYPE_CHECKING:  # each form declares these fields, with its own error keys
        errors: dict[str, str]
        form_error: str
        submitting: bool
        style_preset: str
        size: str
        count: str
        seed: str

        def _clear_error(self, name: str, /) -> None: ...

    @rx.event
    def set_style_preset(self, value: str) -> None:
        self.style_preset = value
        self._clear_error("style_preset")

    @rx.event
    def set_size(self, value: str) -> None:
        self.size = value
        self._clear_error("size")

    @rx.event
    def set_count(self, value: str) -> None:
        self.count = value
        self._clear_error("count")

    @rx.event
    def set_seed(self, value: str) -> None:
        self.seed = value.strip()
        self._clear_error("seed")

    def _no_errors(self) -> dict[str, str]:
        """The form's fields, each without an error."""
        raise NotImplementedError

    def _typed_fields(self) -> dict[str, str]:
        """The form's text boxes: field name in the form -> field of this state."""
        return {"prompt": "prompt"}

    def _take_typed(self, form: dict[str, Any]) -> None:
        """The text boxes as the form sent them. Their changes reach the state debounced, so
        text typed just before the click may not be here yet: seeds "7, 7" corrected to
        "7, 42" and sent at once were refused as the old "7, 7"."""
        for name, field in self._typed_fields().items():
            if isinstance(typed := form.get(name), str):
                setattr(self, field, typed)

    async def _open_submission(self, form: dict[str, Any] | None = None) -> tuple[int | None, Any]:
        """Under the lock: (the user submitting, None), the form marked busy and its old
        errors cleared; or (None, what to answer instead): nothing while a submission is
        under way, the signed-out view if the session has ended. `form`: what the form sent
        (`_take_typed`)."""
        if self.submitting:
            return None, None
        self._take_typed(form or {})
        # The session, not the id cached at page load: it may have been revoked since.
        user_id = await checked_user_id(self)
        if user_id is None:
            return None, session_ended(str(self.router.url.path or ""))
        self.submitting = True
        self.errors, self.form_error = self._no_errors(), ""
        return user_id, None

    async def _refused(self, errors: dict[str, str]) -> Any:
        """Each problem at its field; nothing was charged (the service wrote nothing)."""
        shown, other = field_errors(errors, self._no_errors())
        async with self:
            self.submitting = False
            self.errors, self.form_error = shown, other
        first = next((m for m in shown.values() if m), other)
        return rx.toast.error(first or "Please check the form.")

    async def _show_started(self, views: Iterable[JobView], balance: int | None) -> None:
        """Under the lock: the new jobs in the jobs panel at once, the new balance in the
        header (the live listener's events follow)."""
        self.submitting = False
        jobs = await self.get_state(JobsState)
        for view in views:
            jobs._show_job(view)
        if balance is not None:
            auth = await self.get_state(AuthState)
            auth.credits = balance
