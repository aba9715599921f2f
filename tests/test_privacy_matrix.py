"""Issue 7's privacy matrix: user B, a visitor with no session, and the owner A, against A's
private image, set and collection (and an image B liked, commented and collected while it was
public, which A then made private), through every page, HTTP route, feed, search, profile,
count, notification, share link and storage URL. B and the visitor never see them; A does.

Pages and routes come from the app's own route tables (tests/privacy_probes.py), so a new
page or route that skips the visibility rule fails here. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.cache import get_cache
from pixel_studio.db import get_engine, session_scope
from pixel_studio.models import GenerationJob
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import (
    collections,
    comments,
    explore,
    feed,
    likes,
    notifications,
    profiles,
)
from pixel_studio.services.studio import image_detail
from pixel_studio.services.studio.images import delete_image, image_url, set_image_privacy
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.services.studio.sets import delete_set
from pixel_studio.settings import get_settings
from pixel_studio.storage import get_storage
from tests.db_fixtures import wipe
from tests.privacy_probes import (
    NOT_READS,
    api_routes,
    load_page,
    page_paths,
    probes_for,
    write_body,
)
from tests.privacy_world import PUBLIC_MARKER, World, build_world
from tests.services.generation_helpers import Events, images_of, submit_job
from tests.state.test_account_state import _reset_caches

VIEWERS = ("alice", "bob", "visitor")  # pages: the session cookie
# HTTP: the cookie, and the personal API token of /api/v1 (Authorization: Bearer).
HTTP_VIEWERS = ("alice", "alice-token", "bob", "bob-token", "visitor")


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The app's own settings on the test database (SQLite or PostgreSQL), local files under
    tmp_path, an in-process cache; the fixture world written into it."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    for name in ("REDIS_URL", "S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    _reset_caches()
    try:
        yield build_world()
    finally:
        get_engine().dispose()
        _reset_caches()
        wipe(engine)


def submit_job_ids(session: Session, user_id: int) -> list[str]:
    """The user's job ids, oldest first."""
    stmt = select(GenerationJob.id).where(GenerationJob.user_id == user_id)
    return list(session.exec(stmt.order_by(col(GenerationJob.created_at), col(GenerationJob.id))))


def headers_of(w: World, viewer: str) -> dict[str, str]:
    tokens = {"alice-token": w.alice_token, "bob-token": w.bob_token}
    if viewer in tokens:
        return {"authorization": f"Bearer {tokens[viewer]}"}
    return {"cookie": cookie_of(w, viewer)} if viewer != "visitor" else {}


def cookie_of(w: World, viewer: str) -> str:
    return {"alice": w.alice_cookie, "bob": w.bob_cookie, "visitor": ""}[viewer]


def the_app():  # type: ignore[no-untyped-def]
    from pixel_studio.pixel_studio import app

    return app


# ---------------------------------------------------------------- every page


def owner_should_see(route: str, params: dict[str, str], w: World) -> bool:
    """Where A's page must show one of A's private things (their own views)."""
    private_images = {str(w.private_image), str(w.turned_image)}
    if route == "image/[image_id]":
        return params["image_id"] in private_images
    if route == "sets/[set_id]":
        return params["set_id"] in {str(w.private_set), str(w.turned_set)}
    if route == "collections/[collection_id]":
        return params["collection_id"] != str(w.bob_collection)
    if route == "u/[profile_name]":
        return params["profile_name"] == w.alice_name
    # Her collection list; her notifications (Bob liked and commented T while it was public).
    return route in ("collections", "notifications")


def public_should_show(route: str, params: dict[str, str], viewer: str, w: World) -> bool:
    """Where the public image must show: proves the page loaded (the matrix is not vacuous)."""
    if route == "explore" and "?q=" not in params.get("path", ""):
        return True
    if params.get("image_id") == str(w.public_image):
        return True
    if route == "u/[profile_name]" and params["profile_name"] == w.alice_name:
        return True
    if params.get("set_id") == str(w.public_set):
        return True
    if params.get("collection_id") in (str(w.alice_public_collection), str(w.bob_collection)):
        return True
    return viewer == "bob" and route in ("feed", "likes")


def test_every_page_hides_private_things_from_others(world: World) -> None:
    w = world
    app = the_app()
    routes = dict(app._load_events)
    assert {"image/[image_id]", "explore", "u/[profile_name]"} <= set(routes)
    problems: list[str] = []
    loads = 0
    for route, handlers in routes.items():
        for path, params in page_paths(route, w):
            # Search words on pages without a search box: one of the two is enough.
            if "?q=" in path and route != "explore" and not path.endswith("zqxprivprompt"):
                continue
            for viewer in VIEWERS:
                state = load_page(list(handlers), path, cookie_of(w, viewer))
                loads += 1
                leaks = w.leaks(state)
                if viewer != "alice" and leaks:
                    problems.append(f"{viewer} sees {leaks} on {path}")
                if viewer == "alice" and owner_should_see(route, params, w) and not leaks:
                    problems.append(f"alice does not see her own private thing on {path}")
                shows = public_should_show(route, {**params, "path": path}, viewer, w)
                if shows and PUBLIC_MARKER not in state:
                    problems.append(f"{viewer}: {path} did not load (no public image shown)")
    assert not problems, "\n".join(problems)
    assert loads >= 3 * len(routes)


# ---------------------------------------------------------------- every HTTP route


def test_every_http_route_hides_private_things_from_others(world: World) -> None:
    w = world
    api = the_app().api_transformer
    problems: list[str] = []
    probed = 0
    with TestClient(api, follow_redirects=False, raise_server_exceptions=False) as client:
        for path, methods in api_routes(api.routes):
            for method in sorted(methods - {"GET", "HEAD", "OPTIONS"}):
                if (method, path) in NOT_READS:
                    continue
                probes = [p for p in probes_for(path, w) if p.guarded]
                if not probes:
                    problems.append(
                        f"{method} {path} is not in the privacy matrix: give its parameters a "
                        "fill in _param_probes or list it in NOT_READS (tests/privacy_probes.py)"
                    )
                # B (and a visitor) writing to A's private things: as if they did not exist.
                for probe in probes:
                    for viewer in ("bob", "bob-token", "visitor"):
                        r = client.request(
                            method,
                            probe.url,
                            headers=headers_of(w, viewer),
                            json=write_body(path),
                        )
                        probed += 1
                        where = f"{viewer} {method} {probe.url} -> {r.status_code}"
                        leaks = w.leaks(r.content.decode("latin-1"))
                        if leaks:
                            problems.append(f"{where}: leaks {leaks}")
                        allowed = {404} if viewer == "bob-token" else {401, 404}
                        if r.status_code not in allowed:
                            problems.append(f"{where}: expected {sorted(allowed)}")
            if "GET" not in methods:
                continue
            # The API token is a credential on /api/v1 only; elsewhere the cookie is.
            viewers = HTTP_VIEWERS if path.startswith("/api/v1/") else VIEWERS
            # Where the route serves the thing itself (not a sub-list such as its comments),
            # the owner's 200 must carry one of its markers.
            itself = bool(re.search(r"\}$", path))
            for probe in probes_for(path, w):
                for viewer in viewers:
                    r = client.get(probe.url, headers=headers_of(w, viewer))
                    probed += 1
                    text = r.content.decode("latin-1") + repr(dict(r.headers))
                    leaks = w.leaks(text)
                    where = f"{viewer} GET {probe.url} -> {r.status_code}"
                    if r.status_code >= 500:
                        problems.append(f"{where}: a server error")
                    # A token-only route refuses a cookie with 401 whatever the id.
                    no_credential = r.status_code == 401 and not viewer.endswith("-token")
                    if viewer.startswith("alice"):
                        if no_credential:
                            continue
                        if probe.owner is not None and r.status_code != probe.owner:
                            problems.append(f"{where}: the owner expected {probe.owner}")
                        if itself and probe.guarded and r.status_code == 200 and not leaks:
                            problems.append(f"{where}: the owner got 200 without her thing")
                        continue
                    if leaks:
                        problems.append(f"{where}: leaks {leaks}")
                    if probe.guarded and r.status_code != 404 and not no_credential:
                        problems.append(f"{where}: expected 404, exactly as for a missing id")
    assert not problems, "\n".join(problems)
    assert probed > 50


# ---------------------------------------------------------------- services, counts


def test_services_lists_and_counts_hide_private_things(world: World) -> None:
    w = world
    cache = get_cache()
    hidden = {w.private_image, w.turned_image}
    with session_scope() as s:
        for q in ("zqxprivprompt", "zqxprivtitle", "zqxturnedprompt", "zqxturnedtitle"):
            page = explore.explore(s, cache, explore.ExploreQuery(q=q))
            assert page.items == [], q
        shown = explore.explore(s, cache, explore.ExploreQuery(q=PUBLIC_MARKER))
        assert [c.id for c in shown.items] == [w.public_image]

        assert [c.id for c in feed.following_feed(s, cache, w.bob).items] == [w.public_image]

        for viewer in (w.bob, None):
            profile = profiles.get_profile(s, cache, viewer, w.alice_name)
            assert profile.image_count == 1, "counts only her public image"
            cards = profiles.profile_images(s, cache, viewer, w.alice_name).items
            assert [c.id for c in cards] == [w.public_image]
            sets = profiles.profile_sets(s, cache, viewer, w.alice_name).items
            assert [(t.id, t.image_count) for t in sets] == [(w.public_set, 1)]
            listed = collections.list_collections(s, viewer, w.alice).items
            assert [c.collection.id for c in listed] == [w.alice_public_collection]
            assert listed[0].image_count == 1 and [i.id for i in listed[0].covers] == [
                w.public_image
            ]
            for coll in (w.alice_public_collection, w.bob_collection):
                images = collections.collection_images(s, viewer, coll).images
                assert [i.id for i in images] == [w.public_image]
            with pytest.raises(NotFound):
                collections.get_collection(s, viewer, w.private_collection)
            for image_id in hidden:
                with pytest.raises(NotFound):
                    comments.list_comments(s, viewer, image_id)
                with pytest.raises(NotFound):
                    image_detail.get_image_detail(s, cache, viewer, image_id)
        bob_likes = likes.liked_images(s, cache, w.bob).items
        assert [c.id for c in bob_likes] == [w.public_image], "T dropped out of Bob's likes"
        bob_colls = collections.list_collections(s, w.bob, w.bob).items
        assert bob_colls[0].image_count == 1

        # Bob's notifications: Alice's reply on T (now private) is gone, her follow stays.
        page = notifications.list_notifications(s, w.bob)
        assert all(n.image_id not in hidden for n in page.items)
        assert [n.kind for n in page.items] == ["follow"]
        assert notifications.unread_count(s, w.bob) == page.unread == 1

        # Alice, the owner, sees all of it.
        mine = profiles.get_profile(s, cache, w.alice, w.alice_name)
        assert mine.image_count == 3
        own = {c.id for c in profiles.profile_images(s, cache, w.alice, w.alice_name).items}
        assert hidden <= own
        assert len(collections.list_collections(s, w.alice, w.alice).items) == 2
        got = collections.collection_images(s, w.alice, w.private_collection).images
        assert hidden <= {i.id for i in got}
        about = {n.image_id for n in notifications.list_notifications(s, w.alice).items}
        assert w.turned_image in about
        assert comments.list_comments(s, w.alice, w.turned_image) is not None


def test_storage_urls_only_for_the_owner(world: World) -> None:
    w = world
    storage = get_storage()
    with session_scope() as s:
        from pixel_studio.models import Image

        for image_id in (w.private_image, w.turned_image):
            image = s.get(Image, image_id)
            assert image is not None and image.private
            assert image.original_key.startswith("private/")
            assert image.thumbnail_key.startswith("private/")
            for viewer in (w.bob, None):
                for thumbnail in (False, True):
                    with pytest.raises(NotFound):
                        image_url(storage, image, viewer, thumbnail=thumbnail)
            url = image_url(storage, image, w.alice)
            assert "exp=" in url and "sig=" in url, "a private file only by a signed URL"
    # The /media answers (unsigned, old public, signed for A only) are in the HTTP matrix.


# ---------------------------------------------------------------- cache


def test_a_public_image_made_private_leaves_warm_caches(world: World) -> None:
    w = world
    cache = get_cache()
    app = the_app()
    events = app._load_events
    with session_scope() as s:
        pages = {
            "/explore": events["explore"],
            "/feed": events["feed"],
            "/likes": events["likes"],  # Bob liked Q
            f"/u/{w.alice_name}": events["u/[profile_name]"],
            f"/image/{w.public_image}": events["image/[image_id]"],
            f"/collections/{w.alice_public_collection}": events["collections/[collection_id]"],
        }
        # Warm every cache as Bob and as a visitor: Q shows everywhere.
        for path, handlers in pages.items():
            for cookie in (w.bob_cookie, ""):
                if path in ("/feed", "/likes") and not cookie:
                    continue
                assert PUBLIC_MARKER in load_page(list(handlers), path, cookie), path
        assert explore.explore(s, cache, explore.ExploreQuery(q=PUBLIC_MARKER)).items
        image_detail.get_image_detail(s, cache, w.bob, w.public_image)

        set_image_privacy(s, get_storage(), w.alice, w.public_image, True)

        for path, handlers in pages.items():
            for cookie in (w.bob_cookie, ""):
                if path in ("/feed", "/likes") and not cookie:
                    continue
                state = load_page(list(handlers), path, cookie)
                assert PUBLIC_MARKER not in state, f"{path} still shows it from the cache"
        assert explore.explore(s, cache, explore.ExploreQuery(q=PUBLIC_MARKER)).items == []
        with pytest.raises(NotFound):
            image_detail.get_image_detail(s, cache, w.bob, w.public_image)
        assert profiles.get_profile(s, cache, w.bob, w.alice_name).image_count == 0

        # Public again, then deleted: gone from the warm caches as well.
        set_image_privacy(s, get_storage(), w.alice, w.public_image, False)
        assert PUBLIC_MARKER in load_page(list(events["explore"]), "/explore", "")
        delete_image(s, get_storage(), w.alice, w.public_image)
        assert PUBLIC_MARKER not in load_page(list(events["explore"]), "/explore", "")
        with pytest.raises(NotFound):
            image_detail.get_image_detail(s, cache, None, w.public_image)


def test_new_images_and_deleted_sets_reach_warm_caches(world: World) -> None:
    """The worker's new image shows in warm listings (public) and in its owner's profile
    count (public or private) on the next read; a deleted set leaves every warm listing."""
    w = world
    cache = get_cache()
    settings = get_settings()
    with session_scope() as s:
        # Warm: explore, Bob's feed, Alice's profile as Bob and as herself.
        before = explore.explore(s, cache, explore.ExploreQuery()).items
        assert [c.id for c in feed.following_feed(s, cache, w.bob).items] == [w.public_image]
        assert profiles.get_profile(s, cache, w.bob, w.alice_name).image_count == 1
        assert profiles.get_profile(s, cache, w.alice, w.alice_name).image_count == 3
        for private in (False, True):
            job = submit_job(s, w.alice, settings, count=1, private=private)
            run_job(job.id, engine=get_engine(), settings=settings, publish=Events())
        new_public = images_of(s, submit_job_ids(s, w.alice)[-2])[0].id
        listed = [c.id for c in explore.explore(s, cache, explore.ExploreQuery()).items]
        assert listed == [new_public, *[c.id for c in before]], "a new public image shows"
        assert new_public in [c.id for c in feed.following_feed(s, cache, w.bob).items]
        assert profiles.get_profile(s, cache, w.bob, w.alice_name).image_count == 2
        assert profiles.get_profile(s, cache, w.alice, w.alice_name).image_count == 5

        # Deleting the public image's set takes it out of every warm read.
        public_set = images_of(s, submit_job_ids(s, w.alice)[-2])[0].set_id
        delete_set(s, w.alice, public_set, get_storage())
        assert new_public not in [
            c.id for c in explore.explore(s, cache, explore.ExploreQuery()).items
        ]
        assert new_public not in [c.id for c in feed.following_feed(s, cache, w.bob).items]
        assert profiles.get_profile(s, cache, w.bob, w.alice_name).image_count == 1
        with pytest.raises(NotFound):
            image_detail.get_image_detail(s, cache, w.bob, new_public)
