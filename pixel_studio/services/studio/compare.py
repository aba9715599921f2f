"""Comparisons: one prompt, with shared parameters, made 2–4 ways at once, side by side.

What varies between the columns is chosen (`Vary`): the model (when several are available),
or, for one model, the style preset, the seed or the guidance. A fresh install has one model
(local-sketch), so it compares style presets or seeds.

Each column is its own generation job (its own set, progress, failure and refund), so the
worker side is unchanged: `run_job` and `close_job` know nothing of comparisons. What is new
is paying and queueing them together, in ONE transaction (`submit_compare`): one conditional
debit of the total (never a half-paid comparison: either every job is written or none),
one spend ledger row per job (each row links to its set on /credits and matches its job's
refund), the jobs and their sets. Only after the commit are the jobs announced and enqueued.

A comparison has no table of its own: its address is its sets' ids (`/compare?sets=4,5,6`),
owner-only like every set read here.

Rate limit: the generation tier counts every job, N for a comparison of N models, taken all
at once or not at all (a comparison must not be a way round the tier: it is N provider calls).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.catalog import UnknownModelError, all_models, availability, get_model
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, ImageSet, JobStatus, User
from pixel_studio.services import credits, rate_limits
from pixel_studio.services.errors import InsufficientCredits, InvalidInput
from pixel_studio.services.studio import backpressure
from pixel_studio.services.studio.compare_variants import (
    VARIES,
    Vary,
    infer_vary,
    validate_variants,
    value_of,
    variant_label,
)
from pixel_studio.services.studio.generation import (
    GenerationRequest,
    RequestErrors,
    add_job,
    price_of,
    validate_request,
)
from pixel_studio.services.studio.job_state import Publish, close_job
from pixel_studio.services.studio.jobs import enqueue_job
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)
_KNOWN = frozenset(m.id for m in all_models())

MIN_MODELS, MAX_MODELS = 2, 4
# The parameters a comparison shares; every other one takes each model's default.
NOT_QUEUED = "The job could not be queued. Please try again."
SHARED = ("prompt", "size", "count", "seed", "style_preset", "private")


@dataclass(frozen=True)
class Comparison:
    jobs: list[GenerationJob]  # in the order the models were chosen
    set_ids: list[int]
    balance: int | None


def _model_errors(models: Sequence[str], settings: Settings) -> tuple[list[str], str]:
    """The chosen model ids (stripped, order kept) and the problem with the choice, if any."""
    chosen = [m.strip() for m in models if m and m.strip()]
    if len(set(chosen)) != len(chosen):
        return chosen, "Choose each model once."
    if not MIN_MODELS <= len(chosen) <= MAX_MODELS:
        return chosen, f"Choose between {MIN_MODELS} and {MAX_MODELS} models to compare."
    for model_id in chosen:
        try:
            spec = get_model(model_id)
        except UnknownModelError:
            return chosen, "Choose models from the list."
        if not spec.text_to_image:
            return chosen, f"{spec.display_name} only edits images: it cannot draw a prompt."
        ok, reason = availability(spec, settings)
        if not ok:
            return chosen, f"{spec.display_name} is not available here. {reason}"
    return chosen, ""


def validate_compare(
    data: dict[str, Any], models: Sequence[str], settings: Settings
) -> list[GenerationRequest]:
    """One validated request per model, or RequestErrors with every problem at its field.

    The shared parameters must suit every model: a size one of them does not make, or a
    seed one of them does not take, is refused at that field naming the model."""
    chosen, problem = _model_errors(models, settings)
    if problem:
        raise RequestErrors({"models": problem})
    shared = {name: data[name] for name in SHARED if name in data}
    requests: list[GenerationRequest] = []
    per_field: dict[str, list[str]] = {}
    for model_id in chosen:
        try:
            requests.append(validate_request({**shared, "model": model_id}, settings))
        except RequestErrors as exc:
            name = get_model(model_id).display_name
            for field, message in exc.errors.items():
                field = "models" if field == "model" else field
                if name not in message and message in per_field.get(field, []):
                    continue  # the same words for every model (an empty prompt): once
                per_field.setdefault(field, []).append(message)
    if per_field:
        raise RequestErrors({field: " ".join(msgs) for field, msgs in per_field.items()})
    return requests


def validate_comparison(
    data: dict[str, Any], vary: Vary, values: Sequence[str], settings: Settings
) -> list[GenerationRequest]:
    """One validated request per column: per model (`validate_compare`), or for one model
    (`data["model"]`) per style preset, seed or guidance in `values`."""
    if vary == "model":
        return validate_compare(data, values, settings)
    return validate_variants(data, vary, values, settings)


def submit_compare(
    session: Session, user_id: int, requests: Sequence[GenerationRequest]
) -> list[GenerationJob]:
    """Debit the total once, write one spend row, one job and one set per model. The caller
    commits, then enqueues. Nothing is written when refused (the debit comes first)."""
    names = [get_model(r.model).display_name for r in requests]
    if len({r.model for r in requests}) == 1 and len(requests) > 1:
        # One model: the ledger row says which column it paid for.
        vary = next((v for v in VARIES[1:] if len({value_of(v, r) for r in requests}) > 1), None)
        if vary is not None:
            names = [
                f"{n} ({variant_label(vary, value_of(vary, r))})"
                for n, r in zip(names, requests, strict=True)
            ]
    parts = [
        (price_of(r), f"Compare {i + 1}/{len(requests)}: {r.count} × {name}")
        for i, (r, name) in enumerate(zip(requests, names, strict=True))
    ]
    total = sum(price for price, _ in parts)
    try:
        entries = credits.debit_parts(session, user_id, parts)
    except InsufficientCredits:
        balance = session.exec(select(User.credits).where(User.id == user_id)).one()
        raise InsufficientCredits(
            credits.shortfall(f"This comparison needs {total} credits", balance), field="form"
        ) from None
    jobs: list[GenerationJob] = []
    for req, entry, (price, _) in zip(requests, entries, parts, strict=True):
        jobs.append(add_job(session, user_id, req, price, entry))
    session.flush()
    return jobs


def create_compare(
    session: Session,
    user_id: int,
    data: dict[str, Any],
    models: Sequence[str],
    settings: Settings | None = None,
    *,
    limiter: rate_limits.Limiter | None = None,
    enqueue: Callable[[str], None] | None = None,
    publish: Publish | None = None,
    vary: Vary = "model",
) -> Comparison:
    """Validate, count against the generation tier, pay, commit, announce and enqueue.
    `models` are the values of what varies (`vary`): model ids, presets, seeds or guidances.

    Refused input does not use up the tier. If the queue refuses a job, that job and every
    one not yet queued are failed and refunded at once (each its own refund row)."""
    settings = settings or get_settings()
    if publish is None:
        publish = partial(events.publish, settings=settings)
    if enqueue is None:
        enqueue = partial(enqueue_job, settings=settings)
    requests = validate_comparison(data, vary, models, settings)
    rate_limits.hit(
        limiter or rate_limits.get_limiter(),
        rate_limits.GENERATION,
        rate_limits.user_key(user_id),
        settings,
        cost=len(requests),
    )
    # Before the debit: a busy refusal charges nothing and writes no row.
    backpressure.admit(session, user_id, settings, jobs=len(requests))
    jobs = submit_compare(session, user_id, requests)
    user = session.get(User, user_id)
    balance = user.credits if user is not None else None
    by_job = dict(
        session.exec(
            select(ImageSet.job_id, ImageSet.id).where(
                col(ImageSet.job_id).in_([j.id for j in jobs])
            )
        ).all()
    )
    set_ids = [int(by_job[j.id] or 0) for j in jobs]
    session.commit()
    for job in jobs:
        publish(
            JobEvent(
                job_id=job.id,
                user_id=user_id,
                status=job.status,
                done=0,
                total=job.total,
                balance=balance,
            )
        )
    for index, job in enumerate(jobs):
        try:
            enqueue(job.id)
        except Exception:
            log.exception("could not enqueue compared job %s", job.id)
            _fail_unqueued(session, jobs[index:], publish)
            raise InvalidInput(
                "The comparison could not be queued; the credits of the models not started "
                "were refunded. Please try again.",
                field="form",
            ) from None
    return Comparison(jobs=jobs, set_ids=set_ids, balance=balance)


def _fail_unqueued(session: Session, jobs: Sequence[GenerationJob], publish: Publish) -> None:
    closed = [close_job(session, job.id, JobStatus.failed, error=NOT_QUEUED) for job in jobs]
    session.commit()
    for event in closed:
        if event is not None:
            publish(event)


def parse_set_ids(text: str) -> list[int]:
    """The set ids of a comparison address ("4,5,6"): up to MAX_MODELS distinct valid ids."""
    out: list[int] = []
    for part in str(text or "").split(",")[:MAX_MODELS]:
        part = part.strip()
        if part.isascii() and part.isdigit() and len(part) <= 10:
            number = int(part)
            if 1 <= number <= 2**31 - 1 and number not in out:
                out.append(number)
    return out


def comparison_jobs(session: Session, user_id: int, set_ids: Sequence[int]) -> list[str]:
    """The job ids of the user's own sets among `set_ids`, in that order (others' sets and
    deleted ones are left out: a comparison shows only what its owner still has)."""
    if not set_ids:
        return []
    rows = session.exec(
        select(ImageSet.id, ImageSet.job_id).where(
            col(ImageSet.id).in_(list(set_ids)), col(ImageSet.user_id) == user_id
        )
    ).all()
    by_id = {set_id: job_id for set_id, job_id in rows}
    return [by_id[s] for s in set_ids if s in by_id]


def compare_again_defaults(
    session: Session, user_id: int, set_ids: Sequence[int]
) -> dict[str, Any] | None:
    """The compare form prefilled from a comparison (the user's own sets): what varied and its
    values, the model, the shared parameters of its first set, and each column's label by job
    id ("labels"). None when none of the sets is the user's."""
    rows = session.exec(
        select(ImageSet).where(
            col(ImageSet.id).in_(list(set_ids)), col(ImageSet.user_id) == user_id
        )
    ).all()
    by_id = {s.id: s for s in rows}
    sets = [by_id[i] for i in set_ids if i in by_id]
    if not sets:
        return None
    params = dict(sets[0].params)
    width, height = params.get("width"), params.get("height")
    vary, values = infer_vary([(s.model, dict(s.params)) for s in sets])
    labels = {
        str(s.job_id): (
            get_model(s.model).display_name
            if vary == "model" and s.model in _KNOWN
            else variant_label(vary, value)
        )
        for s, value in zip(sets, values, strict=True)
    }
    return {
        "vary": vary,
        "values": list(dict.fromkeys(values)),
        "labels": labels,
        "models": list(dict.fromkeys(s.model for s in sets)),
        "prompt": sets[0].prompt,
        "size": f"{width}x{height}" if width and height else "",
        "count": int(params.get("count") or 1),
        "seed": params.get("seed") if vary != "seed" else None,
        "guidance": params.get("guidance") if vary != "guidance" else None,
        "style_preset": "none" if vary == "style_preset" else params.get("style_preset") or "none",
        "private": bool(params.get("private")),
    }
