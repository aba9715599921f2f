"""Moderation: blocked terms in prompts (create, compare, REST API) and comments refused before
anything is charged or stored; a provider's content refusal fails the job with a refund;
reports once per reporter per item. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Comment, CreditTransaction, GenerationJob, ImageSet, Report
from pixel_studio.providers import ModerationRefused
from pixel_studio.services import blocked_terms as moderation
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.moderation import reports
from pixel_studio.services.social import comments
from pixel_studio.services.studio import compare, generation
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.api.rest_helpers import api_client
from tests.providers.peers import Recorded, Reply, running_peer
from tests.services.generation_helpers import Events, balance, fresh_job, make_user
from tests.services.social_helpers import make_image

TERMS = '["badword", "two words", "ＢＡＮ"]'


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return settings.model_copy(update={"blocked_terms": TERMS, "openai_api_key": "sk-test"})


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("a BADWORD here", True),
        ("ｂａｄｗｏｒｄ!", True),  # full-width letters: NFKC folds them
        ("badwords and badwordy", False),  # whole words only
        ("Two   Words together", True),
        ("two-words", False),
        ("ban", True),  # the term itself is normalised too
        ("banana", False),
        ("", False),
    ],
)
def test_whole_words_case_insensitive_after_normalisation(text: str, blocked: bool) -> None:
    assert moderation.contains_blocked(text, TERMS) is blocked


def test_both_setting_formats_parse() -> None:
    assert moderation.parse_terms("Spam, eggs ,,") == ("eggs", "spam")
    assert moderation.parse_terms('["Spam", "eggs"]') == ("eggs", "spam")
    with pytest.raises(ValueError):
        Settings(_env_file=None, blocked_terms="[1, 2]")  # type: ignore[call-arg]


def _nothing_written(session: Session, uid: int, credits: int) -> None:
    assert balance(session, uid) == credits
    for model in (GenerationJob, ImageSet, CreditTransaction):
        rows = session.exec(select(func.count()).select_from(model)).one()
        assert rows == (1 if model is CreditTransaction else 0)  # the sign-up bonus only


def test_a_blocked_prompt_charges_and_stores_nothing(session: Session, strict: Settings) -> None:
    uid = make_user(session, "ann", 10)
    form = {"model": "local-sketch", "prompt": "a badword fox", "size": "256x256"}
    with pytest.raises(RequestErrors) as err:
        generation.create_job(session, uid, form, strict, enqueue=lambda _j: None, publish=Events())
    assert err.value.errors == {"prompt": moderation.PROMPT_BLOCKED}
    assert "badword" not in str(err.value.errors)  # never echo the list
    negative = {**form, "prompt": "a fox", "negative_prompt": "TWO WORDS"}
    with pytest.raises(RequestErrors) as err:
        generation.validate_request(negative, strict)
    assert err.value.errors == {"negative_prompt": moderation.PROMPT_BLOCKED}
    with pytest.raises(RequestErrors) as err:
        compare.create_compare(
            session,
            uid,
            {"prompt": "ban this", "size": "1024x1024"},
            ["local-sketch", "dall-e-2"],
            strict,
            enqueue=lambda _j: None,
            publish=Events(),
        )
    assert err.value.errors["prompt"] == moderation.PROMPT_BLOCKED
    _nothing_written(session, uid, 10)


def test_a_blocked_prompt_through_the_rest_api(db: Engine, strict: Settings) -> None:
    with Session(db, expire_on_commit=False) as s:
        uid = make_user(s, "ann", 10)
        token = api_tokens.create_token(s, uid, "script").secret
    with api_client(db, strict, MemoryCache()) as client:
        reply = client.post(
            "/api/v1/generations",
            json={"model": "local-sketch", "prompt": "Badword!", "size": "256x256"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert reply.status_code == 400, reply.text  # the API's answer to InvalidInput
    assert moderation.PROMPT_BLOCKED in reply.text and "badword" not in reply.text.lower()
    with Session(db) as s:
        _nothing_written(s, uid, 10)


def test_a_blocked_comment_is_refused(
    session: Session, strict: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pixel_studio.services.social.comments.get_settings", lambda: strict)
    cache = MemoryCache()
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    image = make_image(session, ann)
    with pytest.raises(InvalidInput) as err:
        comments.add_comment(session, cache, bob, image, "you BADWORD")
    assert str(err.value) == moderation.COMMENT_BLOCKED and err.value.field == "body"
    assert session.exec(select(func.count()).select_from(Comment)).one() == 0
    assert comments.add_comment(session, cache, bob, image, "a fine badwordy fox").body


def _refusing_peer(_request: Recorded) -> Reply:
    body = {"error": {"message": "no", "type": "x", "code": "content_policy_violation"}}
    return Reply.json(body, status=400)


def test_a_provider_content_refusal_fails_the_job_with_a_refund(
    db: Engine, session: Session, strict: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ann", 10)
    form = {"model": "dall-e-2", "prompt": "a fox", "size": "256x256", "count": 2}
    job = generation.create_job(
        session, uid, form, strict, enqueue=lambda _j: None, publish=Events()
    )
    charged = 10 - balance(session, uid)
    assert charged > 0
    with running_peer() as peer:
        peer.responder = _refusing_peer
        served = strict.model_copy(update={"openai_base_url": peer.url + "/v1"})
        run_job(
            job.id,
            engine=db,
            settings=served,
            storage=storage,
            publish=Events(),
            sleep=lambda _s: None,
        )
        assert len(peer.requests) == 1  # a refusal is final: not retried
    done = fresh_job(session, job.id)
    assert done.status == "failed" and done.error == ModerationRefused.default_message
    assert done.credits_refunded == charged and balance(session, uid) == 10


def test_a_report_counts_once_per_reporter(session: Session) -> None:
    cache = MemoryCache()
    ann, bob, cat = (make_user(session, n, 0) for n in ("ann", "bob", "cat"))
    image = make_image(session, ann)
    hidden = make_image(session, ann, private=True)
    note = comments.add_comment(session, cache, ann, image, "hello").id
    assert reports.report(session, cache, bob, "image", image, "offensive") is True
    assert reports.report(session, cache, bob, "image", image, "again!") is False
    assert reports.report(session, cache, cat, "image", image, "me too") is True
    assert reports.report(session, cache, bob, "comment", note, "rude") is True
    assert reports.report(session, cache, bob, "user", "ANN", "spammer") is True
    assert reports.report(session, cache, bob, "user", "ann", "still") is False
    rows = session.exec(select(Report.target_type, Report.target_id, Report.reporter_id)).all()
    assert sorted(rows) == sorted(
        [("image", image, bob), ("image", image, cat), ("comment", note, bob), ("user", ann, bob)]
    )
    for kind, target in (
        ("image", hidden),
        ("image", 10_000),
        ("comment", 10_000),
        ("user", "nobody"),
    ):
        with pytest.raises(NotFound):  # what the reporter cannot see does not exist
            reports.report(session, cache, bob, kind, target, "x")
    with pytest.raises(InvalidInput):
        reports.report(session, cache, bob, "image", image, "   ")
    with pytest.raises(InvalidInput):
        reports.report(session, cache, ann, "image", image, "my own")
    assert session.exec(select(func.count()).select_from(Report)).one() == 4
