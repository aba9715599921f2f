"""One job as a client polls it: its row, its set and the images made so far.

The REST API's `GET /api/v1/generations/{id}` reads this; the pages read the same rows through
state/job_views.py. Only the job's owner gets it (NotFound for anyone else).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from pixel_studio.models import GenerationJob, Image, ImageSet
from pixel_studio.services.studio.job_state import get_job, job_message


@dataclass(frozen=True)
class JobStatusView:
    job: GenerationJob
    set_id: int | None  # None once the owner deleted the set
    images: list[Image]  # in the order they were made
    message: str  # the sentence the pages show for a finished job ("" while it runs)


def job_status(session: Session, user_id: int, job_id: str) -> JobStatusView:
    """The user's job as it is now. NotFound if it is not theirs or does not exist."""
    job = get_job(session, user_id, job_id)
    set_id = session.exec(select(ImageSet.id).where(col(ImageSet.job_id) == job.id)).first()
    images: list[Image] = []
    if set_id is not None:
        images = list(
            session.exec(
                select(Image).where(col(Image.set_id) == set_id).order_by(col(Image.id))
            ).all()
        )
    return JobStatusView(job, set_id, images, job_message(job))
