"""The create form and the sets pages' states, without a browser, on a migrated SQLite
database. Jobs are queued for real but run here, synchronously, by the worker function."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from reflex.state import BaseState
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.db import get_engine
from pixel_studio.models import CreditTransaction, GenerationJob, Image, ImageSet
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings, get_settings
from pixel_studio.state.auth import AuthState
from pixel_studio.state.create import CreateState
from pixel_studio.state.create_form import (
    FormValues,
    count_of,
    find_model,
    fit_to_model,
    model_options,
    request_data,
    values_from_params,
)
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.route_params import MAX_ID, id_from_path, parse_id
from pixel_studio.state.set_detail import SetDetailState, describe_params
from pixel_studio.state.sets import SetsState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)

PROMPT = "a lighthouse on a cliff at sunset"
S = TypeVar("S", bound=BaseState)


@pytest.fixture
def studio_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    get_tabs.cache_clear()
    # Jobs are queued but not run in the background: the test runs them when it wants.
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()


def sibling(state: BaseState, cls: type[S]) -> S:
    assert state.parent_state is not None
    other = state.parent_state.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(other, cls)
    return other


def signed_in(cls: type[S], cookie: str, path: str) -> S:
    """A state of a page loaded by a signed-in user (the shell's on_load has run)."""
    state = make_state(cls, cookie=cookie, path=path)
    run(AuthState.require_user, sibling(state, AuthState))
    return state


def drain(handler: Any, state: BaseState) -> None:
    """Run an event handler that yields (an async generator) to its end."""

    async def go() -> None:
        async for _ in handler.fn(state):
            pass

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()


# ------------------------------------------------------------------ form helpers


def test_models_are_offered_honestly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever keys the shell running the tests has: both cases are checked, every time.
    for name in ("OPENAI_API_KEY", "HF_TOKEN", "LOCAL_DIFFUSERS_MODEL_DIR"):
        monkeypatch.delenv(name, raising=False)
    bare = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    options = model_options(bare)
    sketch = find_model(options, "local-sketch")
    assert sketch.available and sketch.name == "Local sketch — offline, procedural"
    assert [s.value for s in sketch.sizes][:2] == ["256x256", "512x512"]
    dalle = find_model(options, "dall-e-3")
    assert not dalle.available and "OPENAI_API_KEY" in dalle.reason
    assert options.index(dalle) > options.index(sketch)  # unavailable ones come last

    keyed = model_options(bare.model_copy(update={"openai_api_key": "sk-test"}))
    dalle = find_model(keyed, "dall-e-3")
    assert dalle.available and dalle.reason == ""
    assert keyed.index(dalle) < keyed.index(find_model(keyed, "local-diffusers"))


def test_request_carries_only_what_the_model_takes() -> None:
    options = model_options(get_settings())
    values = FormValues(
        prompt=PROMPT,
        model="local-sketch",
        size="512x512",
        count="2",
        seed="42",
        guidance="9",
        steps="30",
        quality="hd",
        style="natural",
    )
    data = request_data(values, find_model(options, "local-sketch"))
    assert data["seed"] == "42" and data["style_preset"] == "none"
    assert not {"guidance", "steps", "quality", "style", "negative_prompt"} & set(data)

    dalle3 = find_model(options, "dall-e-3")
    fitted = fit_to_model(dataclasses.replace(values, count="12"), dalle3)
    # The size it lacks and a count past its maximum are reset; "hd" is one of its qualities.
    assert (fitted.size, fitted.count, fitted.quality) == ("1024x1024", "10", "hd")
    assert set(request_data(fitted, dalle3)) >= {"quality", "style"}
    assert "seed" not in request_data(fitted, dalle3)
    gpt = fit_to_model(fitted, find_model(options, "gpt-image-1"))
    assert gpt.quality == "auto"  # "hd" is not one of GPT Image 1's qualities


def test_values_from_params_round_trip() -> None:
    params = {
        "model": "local-sketch",
        "prompt": PROMPT,
        "width": 768,
        "height": 512,
        "count": 3,
        "seed": 7,
        "guidance": 7.5,
        "style_preset": "anime",
        "parent_image_id": 12,
    }
    values = values_from_params(params, private=True)
    assert (values.size, values.count, values.seed, values.guidance) == ("768x512", "3", "7", "7.5")
    assert values.private and values.parent_image_id == 12 and values.style_preset == "anime"


# ------------------------------------------------------------------ CreateState


def test_generate_queues_a_job_and_shows_it_at_once(studio_db: Path) -> None:
    cookie = signed_in_cookie(new_user("ivy"))
    state = signed_in(CreateState, cookie, "/create")
    assert not state.ready  # as prerendered: the form is shown, inert
    run(CreateState.load, state)
    assert state.ready and state.model_id == "local-sketch" and state.size == "512x512"
    run(CreateState.set_prompt, state, PROMPT)
    run(CreateState.set_count, state, "2")
    assert state.cost == 2
    toast = run(CreateState.generate, state)
    assert "Started: 2 images" in str(toast)
    assert state.errors["prompt"] == "" and state.form_error == ""
    shown = sibling(state, JobsState).jobs[0]
    assert (shown.prompt, shown.status, shown.done, shown.total) == (PROMPT, "queued", 0, 2)
    assert sibling(state, AuthState).credits == 3


def test_text_typed_just_before_the_click_is_the_text_sent(studio_db: Path) -> None:
    """The boxes' changes reach the state debounced: the submitted form's text counts."""
    cookie = signed_in_cookie(new_user("ike"))
    state = signed_in(CreateState, cookie, "/create")
    run(CreateState.load, state)
    run(CreateState.set_seed, state, "7")  # then corrected to 42, and sent at once
    toast = run(CreateState.generate, state, {"prompt": PROMPT, "seed": "42"})
    assert "Started" in str(toast), state.errors
    assert (state.prompt, state.seed) == (PROMPT, "42")
    with Session(get_engine()) as session:
        job = session.exec(select(GenerationJob)).one()
    assert (job.params["prompt"], job.params["seed"]) == (PROMPT, 42)


def test_refused_request_shows_errors_at_fields_and_charges_nothing(studio_db: Path) -> None:
    cookie = signed_in_cookie(new_user("jack"))
    state = signed_in(CreateState, cookie, "/create")
    run(CreateState.load, state)
    run(CreateState.set_seed, state, "not a number")
    run(CreateState.generate, state)  # and no prompt either
    assert state.errors["prompt"] == "Write a prompt."
    assert state.errors["seed"] == "Enter a whole number."
    run(CreateState.set_prompt, state, PROMPT)
    run(CreateState.set_seed, state, "")
    run(CreateState.set_count, state, "6")  # 6 credits; the user has 5
    run(CreateState.generate, state)
    assert state.errors["count"] == "This needs 6 credits; you have 5."
    assert state.submitting is False
    with Session(get_engine()) as session:
        assert session.exec(select(GenerationJob)).all() == []
        assert [t.kind for t in session.exec(select(CreditTransaction))] == ["bonus"]


def make_set(cookie: str, count: int = 2) -> tuple[int, list[int]]:
    state = signed_in(CreateState, cookie, "/create")
    run(CreateState.load, state)
    run(CreateState.set_prompt, state, PROMPT)
    run(CreateState.set_count, state, str(count))
    run(CreateState.random_seed, state)
    run(CreateState.generate, state)
    with Session(get_engine()) as session:
        job = session.exec(
            select(GenerationJob).order_by(col(GenerationJob.created_at).desc())
        ).first()
        assert job is not None
    run_job(job.id)
    with Session(get_engine()) as session:
        image_set = session.exec(select(ImageSet).where(ImageSet.job_id == job.id)).one()
        ids = [i.id or 0 for i in session.exec(select(Image).where(Image.set_id == image_set.id))]
    return image_set.id or 0, ids


def test_remix_and_run_again_prefill_the_form(studio_db: Path) -> None:
    cookie = signed_in_cookie(new_user("kim"))
    set_id, image_ids = make_set(cookie)
    remix = signed_in(CreateState, cookie, f"/create?from={image_ids[1]}")
    run(CreateState.load, remix)
    assert (remix.prompt, remix.remixing, remix._parent_image_id) == (PROMPT, True, image_ids[1])
    assert remix.seed.isdigit() and remix.parent_thumb.startswith("/media/")
    again = signed_in(CreateState, cookie, f"/create?set={set_id}")
    run(CreateState.load, again)
    assert (again.prompt, again.count, again.remixing) == (PROMPT, "2", False)
    stranger = signed_in(CreateState, signed_in_cookie(new_user("lee")), f"/create?set={set_id}")
    run(CreateState.load, stranger)  # a public set may be run again by anyone signed in
    assert stranger.prompt == PROMPT
    missing = signed_in(CreateState, cookie, "/create?from=99999")
    run(CreateState.load, missing)
    assert "does not exist" in missing.form_error and missing.prompt == ""


# ------------------------------------------------------------------ sets pages


def test_sets_page_lists_filters_and_pages(
    studio_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cookie = signed_in_cookie(new_user("max"))
    first, _ = make_set(cookie, 1)
    make_set(cookie, 1)
    monkeypatch.setattr("pixel_studio.state.sets.PAGE_SIZE", 1)
    state = signed_in(SetsState, cookie, "/sets")
    run(SetsState.load, state)
    assert len(state.cards) == 1 and state.has_more
    assert state.cards[0].thumbnails[0].alt == PROMPT and state.cards[0].label == "Done"
    drain(SetsState.load_more, state)
    assert [c.set_id for c in state.cards][-1] == first
    # A search goes to its own URL (replace), whose on_load reads the page.
    run(SetsState.set_query, state, "no such words")
    assert "/sets?q=no+such+words" in str(run(SetsState.search, state))
    state = signed_in(SetsState, cookie, "/sets?q=no+such+words")
    run(SetsState.load, state)
    assert state.cards == [] and state.filtered and state.query == "no such words"


def test_set_detail_owner_sees_it_others_get_not_found_and_owner_deletes(studio_db: Path) -> None:
    owner = signed_in_cookie(new_user("ned"))
    set_id, _ = make_set(owner)
    page = signed_in(SetDetailState, owner, f"/sets/{set_id}")
    run(SetDetailState.load, page)
    assert page.found and page.is_owner and page.label == "Done" and len(page.pictures) == 2
    assert page.pictures[0].alt == PROMPT and page.pictures[0].url.endswith(".png")
    shown = {p.label: p.value for p in page.params}
    assert shown["Seed"].isdigit() and shown["Images"] == "2"

    with Session(get_engine()) as session:
        for image in session.exec(select(Image)):
            image.private = True
            session.add(image)
        session.commit()
    other = signed_in(SetDetailState, signed_in_cookie(new_user("ola")), f"/sets/{set_id}")
    run(SetDetailState.load, other)
    assert other.loaded and not other.found and other.pictures == []

    result = run(SetDetailState.delete_set, page)
    assert "Set deleted." in str(result)
    with Session(get_engine()) as session:
        assert session.exec(select(ImageSet)).all() == []


def test_describe_params_reads_like_the_form() -> None:
    params = {
        "model": "local-sketch",
        "width": 512,
        "height": 512,
        "count": 2,
        "seed": None,
        "style_preset": "neon-punk",
        "guidance": 7.5,
        "private": True,
    }
    shown = {p.label: p.value for p in describe_params(params)}
    assert shown["Model"].startswith("Local sketch")
    assert (shown["Size"], shown["Seed"], shown["Style"]) == ("512 × 512", "Random", "neon punk")
    assert (shown["Guidance"], shown["Visibility"]) == ("7.5", "Private")


# ------------------------------------------------------------------ ids from the URL


@pytest.mark.parametrize("raw", ["²", "1²", "١٢", "-1", "0", "1e3", "", " ", "99999999999"])
def test_ids_from_the_url_are_ascii_digits_in_range(raw: str) -> None:
    assert parse_id(raw) is None and id_from_path(f"/sets/{raw}") is None
    assert count_of(raw) == 1 or raw in ("0", "99999999999")


def test_ids_from_the_url_parse(studio_db: Path) -> None:
    assert parse_id(" 12 ") == 12 and parse_id(MAX_ID) == MAX_ID and parse_id(None) is None
    assert id_from_path("/sets/12/") == 12 and count_of("3") == 3 and count_of("²") == 1


@pytest.mark.parametrize("query", ["from=²", "set=²", "from=99999999999", "set=4294967296"])
def test_create_page_with_a_bad_id_loads_an_empty_form(studio_db: Path, query: str) -> None:
    cookie = signed_in_cookie(new_user("uma"))
    state = signed_in(CreateState, cookie, f"/create?{query}")
    run(CreateState.load, state)
    assert state.prompt == "" and not state.remixing and state.models


@pytest.mark.parametrize("raw", ["²", "99999999999"])
def test_set_page_with_a_bad_id_is_not_found(studio_db: Path, raw: str) -> None:
    page = signed_in(SetDetailState, signed_in_cookie(new_user("vic")), f"/sets/{raw}")
    run(SetDetailState.load, page)
    assert page.loaded and not page.found


def test_the_form_stays_inert_for_a_visitor(studio_db: Path) -> None:
    """/create's form is in its prerendered HTML, disabled until `load` has found a signed-in
    user; a visitor's (whom `require_user` sends to log in) never becomes usable."""
    state = make_state(CreateState, path="/create")
    run(CreateState.load, state)
    assert not state.ready and state.selected.description  # the HTML's text, from the catalog
