"""Images with chosen prompts, titles, times and likes, written straight to the DB."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from pixel_studio.models import GenerationJob, Image, ImageSet, JobStatus


def add_image(
    session: Session,
    owner: int,
    prompt: str,
    *,
    at: datetime | None = None,
    private: bool = False,
    title: str | None = None,
    likes: int = 0,
    model: str = "local-sketch",
    params: dict[str, Any] | None = None,
) -> int:
    job = GenerationJob(id=uuid.uuid4().hex, user_id=owner, status=JobStatus.succeeded, done=1)
    image_set = ImageSet(user_id=owner, job_id=job.id, prompt=prompt, model=model)
    session.add(job)
    session.add(image_set)
    session.flush()
    extra: dict[str, Any] = {} if at is None else {"created_at": at}
    image = Image(
        user_id=owner,
        set_id=image_set.id or 0,
        prompt=prompt,
        title=title,
        model=model,
        params=params or {},
        width=256,
        height=256,
        private=private,
        like_count=likes,
        original_key=f"k/{uuid.uuid4().hex}.png",
        thumbnail_key=f"k/{uuid.uuid4().hex}.webp",
        **extra,
    )
    session.add(image)
    session.commit()
    assert image.id is not None
    return image.id
