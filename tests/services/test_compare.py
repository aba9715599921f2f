"""Comparisons: validation per model, one debit for every job, a failing column refunded
alone, and the race of two comparisons that cannot both be paid (SQLite and PostgreSQL).

The three models are local-sketch and, with a key set in the settings, DALL·E 2 and 3. The
worker runs the real providers: the OpenAI ones through the official client against a loopback
peer (tests/providers/peers.py) that draws for DALL·E 2 and always refuses DALL·E 3.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import CreditTransaction, GenerationJob, ImageSet, JobStatus
from pixel_studio.providers import ModerationRefused
from pixel_studio.services import credits, rate_limits
from pixel_studio.services.errors import InsufficientCredits, InvalidInput, RateLimited
from pixel_studio.services.studio import compare, generation
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.providers.peers import Recorded, Reply, image_bytes, running_peer
from tests.services.generation_helpers import (
    Events,
    balance,
    count,
    fresh_job,
    images_of,
    ledger,
    make_user,
)

MODELS = ["local-sketch", "dall-e-2", "dall-e-3"]


@pytest.fixture
def keyed(settings: Settings) -> Settings:
    return settings.model_copy(update={"openai_api_key": "sk-test"})


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"prompt": "a lighthouse at dusk", "size": "1024x1024"}
    data.update(fields)
    return data


def _openai_peer(request: Recorded) -> Reply:
    if request.json()["model"] == "dall-e-3":
        body = {"error": {"message": "no", "type": "x", "code": "content_policy_violation"}}
        return Reply.json(body, status=400)
    data = base64.b64encode(image_bytes(1024, 1024)).decode()
    return Reply.json({"created": 1, "data": [{"b64_json": data}]})


def _create(session: Session, uid: int, settings: Settings, models: list[str], **kw: Any) -> Any:
    kw.setdefault("enqueue", lambda _job_id: None)
    kw.setdefault("publish", Events())
    kw.setdefault("limiter", rate_limits.limiter_for(MemoryCache()))
    return compare.create_compare(session, uid, _form(), models, settings, **kw)


@pytest.mark.parametrize(
    ("models", "data", "field", "words"),
    [
        (["local-sketch"], {}, "models", "between 2 and 4"),
        (["local-sketch", "local-sketch"], {}, "models", "each model once"),
        (["local-sketch", "dall-e-2", "dall-e-3", "gpt-image-1", "dall-e-2"], {}, "models", "once"),
        (["local-sketch", "no-such-model"], {}, "models", "from the list"),
        (["local-sketch", "stabilityai/stable-diffusion-xl-base-1.0"], {}, "models", "HF_TOKEN"),
        (["local-sketch", "dall-e-3"], {"size": "512x512"}, "size", "DALL·E 3 makes these"),
        (["local-sketch", "dall-e-2"], {"seed": 7}, "seed", "DALL·E 2 does not take a seed"),
        (["local-sketch", "dall-e-2"], {"prompt": " "}, "prompt", "Write a prompt."),
    ],
)
def test_refused_comparisons_name_the_field_and_the_model(
    keyed: Settings, models: list[str], data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(RequestErrors) as err:
        compare.validate_compare(_form(**data), models, keyed)
    assert words in err.value.errors[field]
    if field == "prompt":  # the same problem for every model is said once
        assert err.value.errors["prompt"] == "Write a prompt."


def test_three_models_one_debit_one_failing_column_refunded_alone(
    db: Engine, session: Session, keyed: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "cora", 20)
    events = Events()
    queued: list[str] = []
    result = _create(session, uid, keyed, MODELS, enqueue=queued.append, publish=events)
    # Prices 1 + 2 + 4, paid once: one conditional UPDATE, one spend row per job.
    assert balance(session, uid) == 13 and result.balance == 13
    assert queued == [j.id for j in result.jobs]  # after the commit, in the chosen order
    assert [e.status for e in events] == ["queued"] * 3
    spends = session.exec(
        select(CreditTransaction)
        .where(CreditTransaction.kind == "spend")
        .order_by(col(CreditTransaction.id))
    ).all()
    assert [(t.amount, t.balance_after, t.job_id) for t in spends] == [
        (-1, 19, result.jobs[0].id),
        (-2, 17, result.jobs[1].id),
        (-4, 13, result.jobs[2].id),
    ]
    assert spends[2].note == "Compare 3/3: 1 × DALL·E 3"
    stored = [session.get(ImageSet, s) for s in result.set_ids]
    assert [s.model for s in stored if s is not None] == MODELS
    # /credits reads it as three debits, newest first, each linked to its column's set.
    shown = [(i.amount, i.set_id) for i in credits.history(session, uid).items if i.kind == "spend"]
    assert shown == [(-4, result.set_ids[2]), (-2, result.set_ids[1]), (-1, result.set_ids[0])]

    # The real providers: local-sketch draws, the official OpenAI client talks to a loopback
    # peer that answers DALL·E 2 with a picture and always refuses DALL·E 3 (content policy).
    with running_peer() as peer:
        peer.responder = _openai_peer
        served = keyed.model_copy(update={"openai_base_url": peer.url + "/v1"})
        for job in result.jobs:
            run_job(
                job.id,
                engine=db,
                settings=served,
                storage=storage,
                publish=Events(),
                sleep=lambda _s: None,
            )
        asked = [r.json()["model"] for r in peer.requests]
    assert asked == ["dall-e-2", "dall-e-3"]  # a permanent refusal: not retried
    statuses = [fresh_job(session, j.id).status for j in result.jobs]
    assert statuses == [JobStatus.succeeded, JobStatus.succeeded, JobStatus.failed]
    assert [len(images_of(session, j.id)) for j in result.jobs] == [1, 1, 0]
    assert fresh_job(session, result.jobs[2].id).credits_refunded == 4
    assert fresh_job(session, result.jobs[2].id).error == ModerationRefused.default_message
    assert [k for k, _ in ledger(session, uid)].count("refund") == 1  # exactly one refund
    assert ledger(session, uid)[-1] == ("refund", 4)
    assert balance(session, uid) == 17 and generation.ledger_mismatches(session) == []


def test_not_enough_credits_for_the_total_writes_nothing(session: Session, keyed: Settings) -> None:
    uid = make_user(session, "dov", 6)  # 1 + 2 + 4 = 7
    with pytest.raises(InsufficientCredits) as err:
        _create(session, uid, keyed, MODELS)
    session.commit()
    assert err.value.message == "This comparison needs 7 credits; you have 6."
    assert count(session, GenerationJob) == 0 and count(session, ImageSet) == 0
    assert ledger(session, uid) == [("bonus", 6)] and balance(session, uid) == 6


def test_the_generation_tier_counts_every_job_all_or_nothing(
    session: Session, keyed: Settings
) -> None:
    limited = keyed.model_copy(update={"rate_limit_generation": "4/minute"})
    uid = make_user(session, "eve", 50)
    limiter = rate_limits.limiter_for(MemoryCache())
    _create(session, uid, limited, MODELS, limiter=limiter)  # 3 of 4
    with pytest.raises(RateLimited):
        _create(session, uid, limited, ["local-sketch", "dall-e-2"], limiter=limiter)
    # The refused comparison took nothing from the window: one single job still fits.
    rate_limits.hit(limiter, rate_limits.GENERATION, rate_limits.user_key(uid), limited)
    assert count(session, GenerationJob) == 3


def test_a_queue_refusal_fails_and_refunds_the_jobs_not_queued(
    session: Session, keyed: Settings
) -> None:
    uid = make_user(session, "fay", 10)
    queued: list[str] = []

    def flaky(job_id: str) -> None:
        if queued:
            raise ConnectionError("broker down")
        queued.append(job_id)

    with pytest.raises(InvalidInput):
        _create(session, uid, keyed, MODELS, enqueue=flaky)
    jobs = session.exec(select(GenerationJob).order_by(col(GenerationJob.created_at))).all()
    failed = [j for j in jobs if j.status == JobStatus.failed]
    assert (
        len(jobs) == 3
        and len(failed) == 2
        and queued == [j.id for j in jobs if j.status == JobStatus.queued]
    )
    assert balance(session, uid) == 10 - 7 + sum(j.credits_charged for j in failed)
    assert generation.ledger_mismatches(session) == []


def test_two_concurrent_comparisons_only_one_can_be_paid(db: Engine, keyed: Settings) -> None:
    """Each costs 7; the user has 10: exactly one succeeds, the other writes nothing."""
    # Room for both comparisons' jobs: this is about the debit, not the per-user job cap
    # (on PostgreSQL it would refuse the second one first: see test_backpressure.py).
    keyed = keyed.model_copy(update={"max_active_jobs_per_user": 10})
    with Session(db, expire_on_commit=False) as setup:
        uid = make_user(setup, "gil", 10)
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        with Session(db, expire_on_commit=False) as s:
            start.wait()
            try:
                _create(s, uid, keyed, MODELS)
                result = "ok"
            except InsufficientCredits:
                s.rollback()
                result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    with Session(db) as s:
        assert count(s, GenerationJob) == 3 and count(s, ImageSet) == 3
        assert balance(s, uid) == 3
        assert ledger(s, uid) == [("bonus", 10), ("spend", -1), ("spend", -2), ("spend", -4)]
        assert generation.ledger_mismatches(s) == []


def test_a_comparison_is_read_back_by_its_owner_only(session: Session, keyed: Settings) -> None:
    uid = make_user(session, "hal", 10)
    other = make_user(session, "ida", 10)
    result = _create(session, uid, keyed, ["dall-e-2", "local-sketch"])
    text = ",".join(str(s) for s in result.set_ids)
    assert compare.parse_set_ids(text + ",x,0," + text) == result.set_ids
    assert compare.comparison_jobs(session, uid, result.set_ids) == [j.id for j in result.jobs]
    assert compare.comparison_jobs(session, other, result.set_ids) == []
    again = compare.compare_again_defaults(session, uid, result.set_ids)
    assert again is not None and again["models"] == ["dall-e-2", "local-sketch"]
    assert (again["prompt"], again["size"], again["count"]) == (
        "a lighthouse at dusk",
        "1024x1024",
        1,
    )
    assert compare.compare_again_defaults(session, other, result.set_ids) is None
