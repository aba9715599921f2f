"""Requests, payment and cancellation of generation jobs (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.models import CreditTransaction, GenerationJob, ImageSet, JobStatus
from pixel_studio.services.errors import InsufficientCredits, InvalidInput, NotFound
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.settings import Settings
from tests.services.generation_helpers import (
    Events,
    balance,
    count,
    fresh_job,
    ledger,
    make_user,
    submit_job,
)


def _errors(settings: Settings, **data: Any) -> dict[str, str]:
    form: dict[str, Any] = {"model": "local-sketch", "prompt": "a fox"}
    form.update(data)
    with pytest.raises(RequestErrors) as err:
        generation.validate_request(form, settings)
    assert err.value.field in err.value.errors  # the first error is the one raised
    return err.value.errors


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"prompt": "   "}, "prompt", "Write a prompt"),
        ({"prompt": "x" * 3501}, "prompt", "3,500"),
        ({"model": "no-such-model"}, "model", "from the list"),
        ({"model": "dall-e-3"}, "model", "OPENAI_API_KEY"),
        ({"model": "real-esrgan"}, "model", "only edits images"),
        ({"size": "300x300"}, "size", "256x256"),
        ({"width": 512}, "size", "makes these sizes"),
        ({"count": 11}, "count", "between 1 and 10"),
        ({"count": 0}, "count", "between 1 and 10"),
        ({"count": "two"}, "count", "whole number"),
        ({"seed": -1}, "seed", "between 0"),
        ({"seed": 2**32}, "seed", "between 0"),
        ({"guidance": 7}, "guidance", "does not take"),
        ({"steps": 20}, "steps", "does not take"),
        ({"negative_prompt": "blur"}, "negative_prompt", "does not take a negative prompt"),
        ({"quality": "hd"}, "quality", "does not take"),
        ({"style": "vivid"}, "style", "does not take"),
        ({"style_preset": "watercolour"}, "style_preset", "from the list"),
    ],
)
def test_invalid_requests_are_refused_at_their_field(
    settings: Settings, data: dict[str, Any], field: str, words: str
) -> None:
    errors = _errors(settings, **data)
    assert field in errors and words in errors[field], errors


def test_catalog_rules_for_a_configured_openai_model(settings: Settings) -> None:
    keyed = settings.model_copy(update={"openai_api_key": "sk-test"})
    errors = _errors(keyed, model="dall-e-3", quality="ultra", style_preset="anime", count=2)
    assert "standard, hd" in errors["quality"]
    assert "does not take a style preset" in errors["style_preset"]
    assert "at most 1" not in errors.get("count", "")  # dall-e-3 is called once per image
    req = generation.validate_request({"model": "dall-e-3", "prompt": " lake "}, keyed)
    # Defaults the model really uses are recorded, so the set can be reproduced.
    assert (req.prompt, req.width, req.height, req.quality) == ("lake", 1024, 1024, "standard")


def test_negative_prompt_length_for_a_model_that_takes_one(settings: Settings) -> None:
    keyed = settings.model_copy(update={"hf_token": "hf_test"})
    sdxl = "stabilityai/stable-diffusion-xl-base-1.0"
    errors = _errors(keyed, model=sdxl, negative_prompt="n" * 1001)
    assert "1,000" in errors["negative_prompt"]
    req = generation.validate_request({"model": sdxl, "prompt": "p", "negative_prompt": " "}, keyed)
    assert (req.negative_prompt, req.guidance, req.steps) == (None, 7.5, 30)


def test_every_problem_is_reported_at_once(settings: Settings) -> None:
    errors = _errors(settings, prompt="", count=20, guidance=3)
    assert set(errors) == {"prompt", "count", "guidance"}


def test_form_strings_are_accepted(settings: Settings) -> None:
    req = generation.validate_request(
        {"model": "local-sketch", "prompt": "sea", "size": "768x512", "count": "3", "seed": ""},
        settings,
    )
    assert (req.width, req.height, req.count, req.seed) == (768, 512, 3, None)


def test_submit_debits_and_writes_job_set_and_ledger(session: Session, settings: Settings) -> None:
    uid = make_user(session, "alice", 10)
    job = submit_job(session, uid, settings, count=3, seed=5)
    assert balance(session, uid) == 7
    assert ledger(session, uid) == [("bonus", 10), ("spend", -3)]
    spend = session.exec(select(CreditTransaction).where(CreditTransaction.kind == "spend")).one()
    assert spend.job_id == job.id and spend.balance_after == 7
    stored = fresh_job(session, job.id)
    assert (stored.status, stored.total, stored.done, stored.credits_charged) == (
        JobStatus.queued,
        3,
        0,
        3,
    )
    assert stored.params["prompt"] == "a red fox in a forest" and stored.params["seed"] == 5
    assert count(session, ImageSet, job_id=job.id) == 1
    assert generation.ledger_mismatches(session) == []


def test_refused_for_credits_writes_nothing(session: Session, settings: Settings) -> None:
    uid = make_user(session, "bob", 5)
    req = generation.validate_request(
        {"model": "local-sketch", "prompt": "fox", "count": 10}, settings
    )
    with pytest.raises(InsufficientCredits) as err:
        generation.submit(session, uid, req, settings)
    session.commit()  # even a caller that commits anyway writes nothing
    assert err.value.field == "count"
    assert err.value.message == "This needs 10 credits; you have 5."
    assert balance(session, uid) == 5
    assert count(session, GenerationJob) == 0 and count(session, ImageSet) == 0
    assert ledger(session, uid) == [("bonus", 5)]


def test_remix_parent_must_be_visible(session: Session, settings: Settings) -> None:
    uid = make_user(session, "carol", 5)
    with pytest.raises(InvalidInput) as err:
        submit_job(session, uid, settings, parent_image_id=424242)
    assert err.value.field == "parent_image_id"
    session.rollback()
    assert balance(session, uid) == 5


def test_create_job_publishes_queued_then_enqueues(session: Session, settings: Settings) -> None:
    uid = make_user(session, "dave", 5)
    events, queued = Events(), []
    job = generation.create_job(
        session,
        uid,
        {"model": "local-sketch", "prompt": "moon", "count": 2},
        settings,
        enqueue=queued.append,
        publish=events,
    )
    assert queued == [job.id]
    assert [(e.status, e.done, e.total, e.balance) for e in events] == [("queued", 0, 2, 3)]


def test_create_job_refunds_when_the_queue_refuses(session: Session, settings: Settings) -> None:
    uid = make_user(session, "erin", 5)

    def broken(_job_id: str) -> None:
        raise ConnectionError("broker down")

    events = Events()
    with pytest.raises(InvalidInput, match="refunded"):
        generation.create_job(
            session,
            uid,
            {"model": "local-sketch", "prompt": "sun", "count": 2},
            settings,
            enqueue=broken,
            publish=events,
        )
    job = session.exec(select(GenerationJob)).one()
    assert fresh_job(session, job.id).status == JobStatus.failed
    assert balance(session, uid) == 5 and generation.ledger_mismatches(session) == []
    assert [e.status for e in events] == ["queued", "failed"]


def test_cancel_queued_job_refunds_everything_once(session: Session, settings: Settings) -> None:
    uid = make_user(session, "fay", 5)
    other = make_user(session, "gus", 5)
    job = submit_job(session, uid, settings, count=4)
    events = Events()
    with pytest.raises(NotFound):  # another user's job does not exist for them
        generation.cancel(session, other, job.id, publish=events)
    cancelled = generation.cancel(session, uid, job.id, publish=events)
    assert cancelled.status == JobStatus.cancelled and cancelled.credits_refunded == 4
    assert balance(session, uid) == 5
    assert ledger(session, uid) == [("bonus", 5), ("spend", -4), ("refund", 4)]
    with pytest.raises(InvalidInput, match="already cancelled"):
        generation.cancel(session, uid, job.id, publish=events)
    assert [(e.status, e.balance, e.message) for e in events] == [
        ("cancelled", 5, "Cancelled. 4 credits refunded.")
    ]
    assert generation.job_message(fresh_job(session, job.id)) == "Cancelled. 4 credits refunded."


def test_credit_race_never_overspends(db: Engine, settings: Settings) -> None:
    """20 concurrent submissions by a user who can afford 5: exactly 5 jobs, balance 0.

    PostgreSQL is the real race (concurrent writers); on SQLite writers queue on the file lock,
    and the same invariant must hold."""
    with Session(db, expire_on_commit=False) as setup:
        uid = make_user(setup, "racer", 5)
    req = generation.validate_request({"model": "local-sketch", "prompt": "race"}, settings)
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        with Session(db) as s:
            start.wait()
            try:
                generation.submit(s, uid, req, settings)
                s.commit()
                result = "ok"
            except InsufficientCredits:
                s.rollback()
                result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 15
    with Session(db) as s:
        assert count(s, GenerationJob) == 5 and count(s, ImageSet) == 5
        assert balance(s, uid) == 0
        afters = s.exec(select(col(CreditTransaction.balance_after))).all()
        assert min(afters) >= 0
        assert generation.ledger_mismatches(s) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"prompt": "a fox\x00 in snow"}, "prompt"),
        ({"model": "stabilityai/stable-diffusion-xl-base-1.0", "negative_prompt": "b\x00"}, None),
        ({"style_preset": "anime\x00"}, "style_preset"),
        ({"size": "256x256\x00"}, "size"),
        ({"seed": "4\x002"}, "seed"),
        ({"model": "local-sketch\x00"}, "model"),
    ],
)
def test_nul_characters_are_refused_at_their_field(
    settings: Settings, data: dict[str, Any], field: str | None
) -> None:
    keyed = settings.model_copy(update={"hf_token": "hf_test"})
    errors = _errors(keyed, **data)
    assert "not allowed" in errors[field or "negative_prompt"], errors


def test_a_nul_prompt_writes_nothing_on_either_database(
    session: Session, settings: Settings
) -> None:
    """PostgreSQL cannot store NUL in text: it must be a field error, never a 500."""
    uid = make_user(session, "nul", 5)
    events = Events()
    with pytest.raises(RequestErrors) as err:
        generation.create_job(
            session,
            uid,
            {"model": "local-sketch", "prompt": "\x00"},
            settings,
            enqueue=lambda _id: None,
            publish=events,
        )
    assert err.value.field == "prompt" and events == []
    session.rollback()
    assert count(session, GenerationJob) == 0 and balance(session, uid) == 5
