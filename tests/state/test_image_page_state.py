"""The image page's state without a browser, on a migrated SQLite database with local files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from pixel_studio.db import get_engine, session_scope
from pixel_studio.models import GenerationJob, Image, ImageSet, User
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social.cards import ImageCard as ServiceCard
from pixel_studio.state.auth import AuthState
from pixel_studio.state.image_cards import card_view
from pixel_studio.state.image_page import ImagePageState, image_id_from_path
from pixel_studio.state.sets import SetsState
from pixel_studio.storage import get_storage
from pixel_studio.storage.images import image_keys
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)

PROMPT = "a red fox in a snowy forest"
pytestmark = pytest.mark.usefixtures("app_db")


def make_set(owner: User, count: int = 2, private: bool = False) -> list[int]:
    """A finished set of `count` images with real files in local storage; their ids."""
    storage = get_storage()
    with session_scope() as s:
        job = GenerationJob(id=f"job{owner.id}", user_id=owner.id or 0, total=count, done=count)
        s.add(job)
        s.flush()
        image_set = ImageSet(user_id=owner.id or 0, job_id=job.id, prompt=PROMPT, model="sketch")
        s.add(image_set)
        s.flush()
        ids = []
        for n in range(count):
            original, thumb = image_keys(owner.id or 0, image_set.id or 0, f"i{n}", private=private)
            storage.put(original, b"\x89PNG original", "image/png")
            storage.put(thumb, b"RIFF thumb", "image/webp")
            image = Image(
                user_id=owner.id or 0,
                set_id=image_set.id or 0,
                prompt=PROMPT,
                model="local-sketch",
                params={"negative_prompt": "blurry", "guidance": 7.5, "steps": 20},
                width=512,
                height=384,
                seed=42 + n,
                private=private,
                original_key=original,
                thumbnail_key=thumb,
            )
            s.add(image)
            s.flush()
            ids.append(image.id or 0)
    return ids


def clipboard_text(spec: Any) -> str:
    """The JavaScript an `rx.set_clipboard` event runs (its function and argument)."""
    return " ".join(str(value) for _name, value in spec.args)


def open_page(image_id: int | str, cookie: str = "") -> ImagePageState:
    state = make_state(ImagePageState, cookie=cookie, path=f"/image/{image_id}")
    auth = state.parent_state.get_substate(AuthState.get_full_name().split(".")[1:])  # type: ignore[union-attr]
    run(AuthState.load_user, auth)
    run(ImagePageState.load, state)
    return state


def test_image_id_from_path() -> None:
    assert image_id_from_path("/image/12") == image_id_from_path("/image/12/") == 12
    assert image_id_from_path("/image/abc") is None
    assert image_id_from_path("/image/99999999999999999999999") is None


def test_owner_sees_everything_and_gets_links() -> None:
    owner = new_user("alice")
    first, second = make_set(owner)
    state = open_page(first, signed_in_cookie(owner))
    assert state.loaded and state.found and state.is_owner
    assert (state.prompt, state.title, state.negative_prompt) == (PROMPT, PROMPT, "blurry")
    assert state.creator == "alice" and state.profile_href == "/u/alice"
    assert state.url.startswith("/media/images/")
    params = {p.label: p.value for p in state.params}
    assert params["Size"] == "512 × 384" and params["Seed"] == "42"
    assert params["Guidance"] == "7.5" and params["Steps"] == "20"
    assert state.share_link == f"http://localhost:3000/share/image/{first}"
    assert state.download_href == f"/download/image/{first}"
    assert state.remix_href == f"/create?from={first}"
    assert [c.image_id for c in state.siblings] == [second]
    assert state.siblings[0].href == f"/image/{second}"


def test_private_image_reads_as_missing_for_anyone_else() -> None:
    owner, other = new_user("alice"), new_user("bob")
    (private,) = make_set(owner, count=1, private=True)
    for cookie in ("", signed_in_cookie(other)):
        for image_id in (private, private + 100, "nope"):
            state = open_page(image_id, cookie)
            assert state.loaded and not state.found
            assert state.prompt == state.url == state.share_link == ""
    mine = open_page(private, signed_in_cookie(owner))
    assert mine.found and mine.private and mine.share_link == ""
    assert "exp=" in mine.url, "a private image's file is only reachable by a signed URL"


def test_copy_prompt_and_share_link() -> None:
    owner = new_user("alice")
    (image_id,) = make_set(owner, count=1)
    state = open_page(image_id)  # a visitor
    events = run(ImagePageState.copy_prompt, state)
    assert PROMPT in clipboard_text(events[0]) and "writeText" in clipboard_text(events[0])
    assert "Prompt copied." in str(events[1])
    events = run(ImagePageState.copy_share_link, state)
    assert f"/share/image/{image_id}" in clipboard_text(events[0])


def test_owner_toggles_privacy_and_files_move() -> None:
    owner, other = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    with Session(get_engine()) as s:
        old_key = s.get(Image, image_id).original_key  # type: ignore[union-attr]

    # Someone else's switch does nothing (and the page never showed it to them).
    theirs = open_page(image_id, signed_in_cookie(other))
    toast = run(ImagePageState.set_private, theirs, True)
    assert "Only the owner" in str(toast)

    state = open_page(image_id, signed_in_cookie(owner))
    toast = run(ImagePageState.set_private, state, True)
    assert "private" in str(toast) and state.private and not state.saving_privacy
    assert state.share_link == "" and "exp=" in state.url
    with Session(get_engine()) as s:
        image = s.get(Image, image_id)
        assert image is not None and image.private and image.original_key != old_key
    assert not get_storage().exists(old_key)
    assert not open_page(image_id, signed_in_cookie(other)).found

    run(ImagePageState.set_private, state, False)
    assert not state.private and state.share_link.endswith(f"/share/image/{image_id}")
    assert open_page(image_id).found


def test_owner_deletes_the_image_and_its_files() -> None:
    owner, other = new_user("alice"), new_user("bob")
    first, _second = make_set(owner)
    with Session(get_engine()) as s:
        image = s.get(Image, first)
        assert image is not None
        keys, set_id = [image.original_key, image.thumbnail_key], image.set_id

    theirs = open_page(first, signed_in_cookie(other))
    assert "Only the owner" in str(run(ImagePageState.delete_image, theirs))
    assert get_storage().exists(keys[0])

    state = open_page(first, signed_in_cookie(owner))
    events = run(ImagePageState.delete_image, state)
    assert f"/sets/{set_id}" in str(events[0]) and "Image deleted." in str(events[1])
    assert not state.found and state.url == ""
    with Session(get_engine()) as s:
        assert s.get(Image, first) is None
    assert not any(get_storage().exists(k) for k in keys)
    assert not open_page(first, signed_in_cookie(owner)).found


def test_sets_sentinel_loads_only_when_visible() -> None:
    state = make_state(SetsState, path="/sets")
    state.has_more = True
    assert run(SetsState.load_more_if_visible, state, False) is None
    assert run(SetsState.load_more_if_visible, state, True) is not None
    state.loading = True
    assert run(SetsState.load_more_if_visible, state, True) is None


def test_service_cards_become_grid_cards_under_the_visibility_rule() -> None:
    storage = get_storage()
    row = ServiceCard(
        id=7,
        thumbnail_key="private/images/u1/s1/a.webp",
        original_key="private/images/u1/s1/a.png",
        width=512,
        height=512,
        prompt=PROMPT,
        title=None,
        model="local-sketch",
        style=None,
        like_count=3,
        comment_count=1,
        created_at=datetime.now(UTC),
        user_id=1,
        creator_username="alice",
        creator_avatar_key=None,
        private=True,
    )
    card = card_view(storage, row, viewer_id=1)
    assert (card.href, card.alt, card.creator, card.like_count) == ("/image/7", PROMPT, "alice", 3)
    assert card.private and "exp=" in card.thumb
    with pytest.raises(NotFound):
        card_view(storage, row, viewer_id=2)
