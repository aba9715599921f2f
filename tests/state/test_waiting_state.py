"""A job held back by its model's limit (provider_limits.py) says so live: the worker's running
event carries "Waiting for <model>…", which the listener lays over the job as read from the
database, and the next event without it clears it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col

from pixel_studio.db import get_engine
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, JobStatus
from pixel_studio.provider_limits import waiting_message
from pixel_studio.services.studio import generation
from pixel_studio.state import live
from tests.state.test_account_state import app_db, new_user  # noqa: F401
from tests.state.test_jobs_state import jobs_state, live_db  # noqa: F401


def test_waiting_for_the_model_shows_live_and_clears(live_db: Path) -> None:  # noqa: F811
    user = new_user("wendy")
    assert user.id is not None
    data = {"model": "local-sketch", "prompt": "a fox", "size": "256x256", "count": 2}
    with Session(get_engine(), expire_on_commit=False) as session:
        job = generation.create_job(session, user.id, data, enqueue=lambda _id: None)
        session.execute(
            update(GenerationJob)
            .where(col(GenerationJob.id) == job.id)
            .values(status=JobStatus.running)
        )
        session.commit()
    message = waiting_message("local-sketch")
    assert message == "Waiting for Local sketch — offline, procedural…"

    def event(text: str) -> JobEvent:
        return JobEvent(job_id=job.id, user_id=user.id or 0, status="running", done=0, total=2,
                        message=text)  # fmt: skip

    state = jobs_state(user.id)
    waiting = live.read_update(event(message))
    assert waiting.view is not None and waiting.view.message == message
    state._apply_event(waiting.event, waiting.view)
    assert [j.message for j in state.jobs] == [message]
    turn = live.read_update(event(""))
    state._apply_event(turn.event, turn.view)
    assert [(j.message, j.label) for j in state.jobs] == [("", "Running 0/2")]
