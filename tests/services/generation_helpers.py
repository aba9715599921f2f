"""Shared scaffolding for the generation service tests: users, requests, fake providers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, func, select

from pixel_studio.events import JobEvent
from pixel_studio.models import CreditTransaction, GenerationJob, Image, ImageSet, User
from pixel_studio.providers import GeneratedImage, ImageRequest, ProviderError, StepCallback
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.services import users
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings


def make_user(session: Session, name: str, credits: int, *, private: bool = False) -> int:
    user = users.create_user(session, name, f"{name}@example.com", "longenough", bonus=credits)
    user.default_private = private
    session.commit()
    assert user.id is not None
    return user.id


def submit_job(session: Session, user_id: int, settings: Settings, **fields: Any) -> GenerationJob:
    """Validate, submit and commit (what create_job does, minus enqueue)."""
    data: dict[str, Any] = {"model": "local-sketch", "prompt": "a red fox in a forest"}
    data.update(size="256x256", **fields)
    req = generation.validate_request(data, settings)
    job = generation.submit(session, user_id, req, settings)
    session.commit()
    return job


def balance(session: Session, user_id: int) -> int:
    return session.exec(
        select(User.credits).where(User.id == user_id).execution_options(populate_existing=True)
    ).one()


def count(session: Session, model: type[Any], **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(col(getattr(model, name)) == value)
    return int(session.exec(stmt).one())


def fresh_job(session: Session, job_id: str) -> GenerationJob:
    job = session.get(GenerationJob, job_id, populate_existing=True)
    assert job is not None
    return job


def images_of(session: Session, job_id: str) -> list[Image]:
    set_id = session.exec(select(ImageSet.id).where(ImageSet.job_id == job_id)).one()
    return list(session.exec(select(Image).where(Image.set_id == set_id).order_by(col(Image.id))))


def ledger(session: Session, user_id: int) -> list[tuple[str, int]]:
    rows = session.exec(
        select(CreditTransaction.kind, CreditTransaction.amount)
        .where(CreditTransaction.user_id == user_id)
        .order_by(col(CreditTransaction.id))
    ).all()
    return [(str(kind), int(amount)) for kind, amount in rows]


class Events(list[JobEvent]):
    """A publish function that records: `run_job(..., publish=events)`."""

    def __call__(self, event: JobEvent) -> None:
        self.append(event)

    def trail(self) -> list[tuple[str, int]]:
        return [(e.status, e.done) for e in self]


class ScriptedProvider:
    """Draws with the real local-sketch provider, but first runs `script(index, attempt)`,
    which may raise the real typed provider errors (or do anything else) to stage a scenario.
    """

    def __init__(self, script: Callable[[int, int], None]) -> None:
        self.script = script
        self.calls: list[int] = []
        self._inner = LocalSketchProvider()

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        attempt = self.calls.count(request.index)
        self.calls.append(request.index)
        self.script(request.index, attempt)
        return self._inner.generate(request, on_step)


def raising(error: ProviderError, *, on_index: int = 0, times: int | None = None) -> Any:
    """A script raising `error` at image `on_index` (every attempt, or the first `times`)."""

    def script(index: int, attempt: int) -> None:
        if index == on_index and (times is None or attempt < times):
            raise error

    return script
