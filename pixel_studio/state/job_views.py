"""Jobs as the pages show them: small frozen records built from the database, and the merge
rule that keeps them right whatever order events arrive in.

No Reflex import: these are plain data and functions, unit-tested without a browser. The
database is the truth (DESIGN.md, "The generation flow"): a page load reads the user's recent
jobs here, and the live listener reads one job here for every event, so an event that was
missed or arrives late never leaves a page wrong for long.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from pixel_studio.catalog import UnknownModelError, get_model
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, Image, ImageSet, JobStatus, User
from pixel_studio.services.studio.images import image_url
from pixel_studio.services.studio.job_state import job_message
from pixel_studio.storage import Storage

RECENT_JOBS = 6
TERMINAL = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})
# Progress only moves forward: a late "running 1/2" must never undo a "succeeded 2/2" that a
# second backend process applied first (with Redis, each event goes to one of several).
_RANK: dict[str, int] = {JobStatus.queued: 0, JobStatus.running: 1}
_COLORS: dict[str, str] = {
    JobStatus.queued: "gray",
    JobStatus.running: "violet",
    JobStatus.succeeded: "green",
    JobStatus.failed: "red",
    JobStatus.cancelled: "amber",
}


@dataclasses.dataclass(frozen=True)
class Thumb:
    """One finished image of a job: a small picture, its alt text, where it links."""

    image_id: int
    url: str
    alt: str


@dataclasses.dataclass(frozen=True)
class JobView:
    """One job in the "Your jobs" panel. Display fields are derived, never set by hand."""

    job_id: str
    prompt: str
    model_name: str
    status: str
    done: int
    total: int
    message: str = ""
    thumbnails: list[Thumb] = dataclasses.field(default_factory=list)
    set_id: int = 0
    # Derived in __post_init__, so dataclasses.replace() keeps them in step.
    active: bool = dataclasses.field(init=False, default=False)
    percent: int = dataclasses.field(init=False, default=0)
    label: str = dataclasses.field(init=False, default="")
    color: str = dataclasses.field(init=False, default="gray")
    # One entry per image still to come while the job runs: the panel's placeholder tiles.
    pending: list[int] = dataclasses.field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        total = max(self.total, 1)
        set_ = object.__setattr__  # frozen: derived fields are written once, here
        set_(self, "active", self.status not in TERMINAL)
        set_(self, "percent", min(100, round(self.done * 100 / total)))
        set_(self, "label", status_label(self.status, self.done, self.total))
        set_(self, "color", status_color(self.status))
        missing = self.total - len(self.thumbnails) if self.status not in TERMINAL else 0
        set_(self, "pending", list(range(max(missing, 0))))


def status_label(status: str, done: int, total: int) -> str:
    if status == JobStatus.queued:
        return "Queued"
    if status == JobStatus.running:
        return f"Running {done}/{total}"
    if status == JobStatus.succeeded:
        return "Done"
    if status == JobStatus.failed:
        return "Failed"
    return "Cancelled"


def status_color(status: str) -> str:
    return _COLORS.get(status, "gray")  # StrEnum keys match plain strings


def model_name(model_id: str) -> str:
    try:
        return get_model(model_id).display_name
    except UnknownModelError:
        return model_id  # a model since removed from the catalog: its id is still honest


def _rank(view: JobView) -> tuple[int, int]:
    return (_RANK.get(view.status, 2), view.done)


def _union(old: Sequence[Thumb], new: Sequence[Thumb]) -> list[Thumb]:
    # The first URL seen for an image stays: a private image's signed URL changes on every
    # read, and a changed src would make the browser fetch the same picture again.
    by_id = {t.image_id: t for t in new}
    by_id.update({t.image_id: t for t in old})
    return [by_id[i] for i in sorted(by_id)]


def merge(old: JobView | None, new: JobView) -> JobView:
    """The newer of two views of one job; thumbnails are the union of both."""
    if old is None:
        return new
    newest = new if _rank(new) >= _rank(old) else old
    return dataclasses.replace(
        newest,
        thumbnails=_union(old.thumbnails, new.thumbnails),
        set_id=new.set_id or old.set_id,
    )


def from_event(old: JobView, event: JobEvent) -> JobView:
    """What an event alone says about a job already shown (when its DB read failed)."""
    return dataclasses.replace(
        old,
        status=event.status,
        done=event.done,
        total=event.total,
        message=event.message or old.message,
    )


def end_message(view: JobView) -> str:
    """The toast for a job that has just ended."""
    if view.status == JobStatus.succeeded:
        noun = "image is" if view.total == 1 else f"{view.total} images are"
        return f"Your {noun} ready."
    if view.status == JobStatus.failed:
        return f"The job failed. {view.message}".strip()
    return view.message or "The job was cancelled."


# ------------------------------------------------------------------ reading the database


def _thumbs(storage: Storage, images: Iterable[Image], viewer_id: int) -> list[Thumb]:
    return [
        Thumb(
            image_id=image.id or 0,
            url=image_url(storage, image, viewer_id, thumbnail=True),
            alt=image.prompt,
        )
        for image in images
    ]


def _view(job: GenerationJob, image_set: ImageSet, thumbs: list[Thumb]) -> JobView:
    return JobView(
        job_id=job.id,
        prompt=image_set.prompt,
        model_name=model_name(image_set.model),
        status=job.status,
        done=job.done,
        total=job.total,
        message=job_message(job),
        thumbnails=thumbs,
        set_id=image_set.id or 0,
    )


def _images_by_set(session: Session, set_ids: list[int]) -> dict[int, list[Image]]:
    out: dict[int, list[Image]] = {}
    if set_ids:
        stmt = select(Image).where(col(Image.set_id).in_(set_ids)).order_by(col(Image.id))
        for image in session.exec(stmt).all():
            out.setdefault(image.set_id, []).append(image)
    return out


def recent_jobs(
    session: Session, storage: Storage, user_id: int, limit: int = RECENT_JOBS
) -> list[JobView]:
    """The user's newest jobs whose set still exists, newest first (three small queries)."""
    stmt = (
        select(GenerationJob, ImageSet)
        .join(ImageSet, col(ImageSet.job_id) == col(GenerationJob.id))
        .where(col(GenerationJob.user_id) == user_id)
        .order_by(col(GenerationJob.created_at).desc(), col(GenerationJob.id).desc())
        .limit(limit)
        # Workers change these rows: never serve an object this session loaded earlier.
        .execution_options(populate_existing=True)
    )
    rows = session.exec(stmt).all()
    images = _images_by_set(session, [s.id for _, s in rows if s.id is not None])
    return [_view(job, s, _thumbs(storage, images.get(s.id or 0, []), user_id)) for job, s in rows]


def job_view(session: Session, storage: Storage, user_id: int, job_id: str) -> JobView | None:
    """One job of this user as it is now, or None (not theirs, or its set was deleted)."""
    row = session.exec(
        select(GenerationJob, ImageSet)
        .join(ImageSet, col(ImageSet.job_id) == col(GenerationJob.id))
        .where(col(GenerationJob.id) == job_id, col(GenerationJob.user_id) == user_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return None
    job, image_set = row
    images = _images_by_set(session, [image_set.id or 0]).get(image_set.id or 0, [])
    return _view(job, image_set, _thumbs(storage, images, user_id))


def balance_of(session: Session, user_id: int) -> int | None:
    return session.exec(select(User.credits).where(User.id == user_id)).one_or_none()
