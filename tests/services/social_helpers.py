"""Scaffolding for the social service tests: users and images written straight to the DB."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from pixel_studio.events import NotificationEvent
from pixel_studio.models import GenerationJob, Image, ImageSet, JobStatus
from tests.services.generation_helpers import make_user

__all__ = ["Bell", "make_image", "make_user"]


def make_image(
    session: Session, owner: int, *, private: bool = False, prompt: str = "a fox"
) -> int:
    """One finished image of `owner` (with its job and set), committed."""
    job = GenerationJob(id=uuid.uuid4().hex, user_id=owner, status=JobStatus.succeeded, done=1)
    image_set = ImageSet(user_id=owner, job_id=job.id, prompt=prompt, model="local-sketch")
    session.add(job)
    session.add(image_set)
    session.flush()
    fields: dict[str, Any] = {"width": 256, "height": 256, "params": {}}
    image = Image(
        user_id=owner,
        set_id=image_set.id or 0,
        prompt=prompt,
        model="local-sketch",
        private=private,
        original_key=f"k/{uuid.uuid4().hex}.png",
        thumbnail_key=f"k/{uuid.uuid4().hex}.webp",
        **fields,
    )
    session.add(image)
    session.commit()
    assert image.id is not None
    return image.id


class Bell(list[NotificationEvent]):
    """A publish function that records notification events: `publish=bell`."""

    def __call__(self, event: NotificationEvent) -> None:
        self.append(event)

    def last(self, user_id: int) -> int | None:
        counts = [e.unread for e in self if e.user_id == user_id]
        return counts[-1] if counts else None
