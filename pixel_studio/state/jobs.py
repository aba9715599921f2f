"""The signed-in user's recent jobs, live: what the "Your jobs" panel shows.

`load` reads the jobs from the database and registers this tab for live events; after that
the backend's listener (state/live.py) calls `_apply_event` on this state of every tab of the
user. The database stays the truth: a reload, or a tab opened later, reads the same state.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.events import JobEvent
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.studio import generation
from pixel_studio.state.auth import (
    AuthState,
    checked_user_id,
    per_user,
    register_tab,
    session_ended,
)
from pixel_studio.state.job_views import (
    RECENT_JOBS,
    JobView,
    balance_of,
    end_message,
    from_event,
    job_view,
    merge,
    recent_jobs,
)
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

# Finished jobs beyond this many drop off the panel; active ones always stay.
MAX_SHOWN = 12


def read_recent_jobs(user_id: int) -> list[JobView]:
    with session_scope() as session:
        return recent_jobs(session, get_storage(), user_id, RECENT_JOBS)


def cancel_and_read(user_id: int, job_id: str) -> tuple[JobView | None, int | None]:
    """Cancel the job (refunding what was not made); the job and balance as they are now."""
    with session_scope() as session:
        generation.cancel(session, user_id, job_id)
        return job_view(session, get_storage(), user_id, job_id), balance_of(session, user_id)


def place(jobs: list[JobView], view: JobView) -> list[JobView]:
    """`jobs` with `view` merged in: a job already shown keeps its place, a new one goes first."""
    out = list(jobs)
    for index, shown in enumerate(out):
        if shown.job_id == view.job_id:
            out[index] = merge(shown, view)
            return out
    out.insert(0, view)
    excess = len(out) - MAX_SHOWN
    if excess <= 0:
        return out
    drop = set([j.job_id for j in out if not j.active][-excess:])  # the oldest finished ones
    return [j for j in out if j.job_id not in drop]


@per_user
class JobsState(rx.State):
    """Recent jobs of the user this tab belongs to."""

    jobs: rx.Field[list[JobView]] = rx.field(default_factory=list)
    # Whose jobs these are. The listener checks it: a tab keeps its client token across a
    # log-out and a log-in as someone else, and must never be shown the first user's jobs.
    _user_id: int | None = None

    @rx.var
    def has_jobs(self) -> bool:
        return len(self.jobs) > 0

    @rx.var
    def active_count(self) -> int:
        return sum(1 for job in self.jobs if job.active)

    def _belongs_to(self, user_id: int) -> bool:
        return self._user_id is not None and self._user_id == user_id

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user`): read the jobs, register this tab."""
        auth = await self.get_state(AuthState)
        user_id = auth._user_id
        self._user_id = user_id
        if user_id is None:
            self.jobs = []
            return
        # A few indexed queries, in a thread so the event loop keeps serving other tabs.
        self.jobs = await asyncio.to_thread(read_recent_jobs, user_id)
        await register_tab(self, user_id)

    def _show_job(self, view: JobView) -> None:
        """Put a job the page itself just started (or changed) into the panel."""
        self.jobs = place(self.jobs, view)

    def _apply_event(self, event: JobEvent, view: JobView | None) -> str | None:
        """Apply one job event. `view` is the job as read from the database for this event
        (None if that read failed). Returns a toast message when, for this tab, the job has
        just ended; None otherwise (including an old event arriving after a newer one).
        """
        if not self._belongs_to(event.user_id):
            return None
        before = next((j for j in self.jobs if j.job_id == event.job_id), None)
        if view is None:
            if before is None:
                return None  # nothing to show it with (no prompt); a reload will read it
            view = from_event(before, event)
        self.jobs = place(self.jobs, view)
        after = next(j for j in self.jobs if j.job_id == event.job_id)
        if not after.active and (before is None or before.active):
            return end_message(after)
        return None

    @rx.event(background=True)
    async def cancel_job(self, job_id: str) -> Any:
        async with self:
            # The session, not the id cached at page load: it may have been revoked since.
            user_id = await checked_user_id(self)
            path = str(self.router.url.path or "")
        if user_id is None:
            return session_ended(path)
        try:
            view, balance = await asyncio.to_thread(cancel_and_read, user_id, job_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("cancel of job %s failed", job_id)
            return rx.toast.error("The job could not be cancelled. Please try again.")
        async with self:
            if view is not None:
                self._show_job(view)
            if balance is not None:
                auth = await self.get_state(AuthState)
                auth.credits = balance
        # This tab shows the end now, so the listener's event will not toast it again here.
        message = view.message if view is not None and view.message else "Cancelled."
        return rx.toast.info(message)
