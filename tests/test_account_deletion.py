"""Delete my account, through the privacy matrix's world (SQLite and PostgreSQL): afterwards
no page or HTTP route shows anything of the user to anyone, no row names them but the
tombstone and its ledger, no file of theirs is stored; the ledger still sums and other
users' like and comment counts stay exact."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import (
    AccountJob,
    ApiToken,
    Collection,
    Comment,
    CreditTransaction,
    Follow,
    GenerationJob,
    Image,
    ImageSet,
    JobStatus,
    Like,
    Notification,
    User,
    UserSession,
)
from pixel_studio.services.accounts import auth
from pixel_studio.services.accounts.account import request_deletion, tombstone_name
from pixel_studio.services.accounts.account_job_runner import run_account_job
from pixel_studio.services.errors import AuthFailed, InvalidInput, NotFound
from pixel_studio.services.social import comments, explore, likes, profiles
from pixel_studio.services.studio.job_state import ledger_mismatches
from pixel_studio.settings import get_settings
from pixel_studio.storage import get_storage
from tests.privacy_probes import api_routes, load_page, page_paths, probes_for
from tests.privacy_world import PUBLIC_MARKER, World, _image, _quiet
from tests.test_privacy_matrix import headers_of, the_app
from tests.test_privacy_matrix import world as world  # noqa: F401  (fixture)

BOB_IMAGE = "a harbour zqxbobspublic at night"
ALICE_WORDS = ("zqxalicereplied", "zqxalicelonely")


@pytest.fixture
def deleted(world: World) -> Iterator[tuple[World, dict[str, object]]]:  # noqa: F811
    """Alice also liked and commented Bob's public image (Bob replied to one comment); then
    she deleted her account and the job ran."""
    w, cache, settings = world, get_cache(), get_settings()
    with session_scope() as s:
        bob_image = _image(s, w.bob, BOB_IMAGE, None, False)
        likes.like_image(s, cache, w.alice, bob_image, publish=_quiet)
        likes.like_image(s, cache, w.bob, bob_image, publish=_quiet)
        first = comments.add_comment(s, cache, w.alice, bob_image, ALICE_WORDS[0], publish=_quiet)
        comments.add_comment(s, cache, w.bob, bob_image, "zqxbobreply", parent_id=first.id,
                             publish=_quiet)  # fmt: skip
        comments.add_comment(s, cache, w.alice, bob_image, ALICE_WORDS[1], publish=_quiet)
        alice_keys = [k for row in s.exec(select(Image.original_key, Image.thumbnail_key)
                      .where(Image.user_id == w.alice)) for k in row]  # fmt: skip
        # Warm every cache a visitor reads: deletion must bump them.
        profiles.get_profile(s, cache, None, w.alice_name)
        explore.explore(s, cache, explore.ExploreQuery())
        token = w.alice_cookie.split("=", 1)[1]
        with pytest.raises(InvalidInput):
            request_deletion(s, cache, settings, w.alice, password="correct horse",
                             confirm="alicia", session_token=token)  # fmt: skip
        with pytest.raises(AuthFailed):
            request_deletion(s, cache, settings, w.alice, password="wrong",
                             confirm="alice", session_token=token)  # fmt: skip
        assert s.get(User, w.alice, populate_existing=True).deleted_at is None  # type: ignore[union-attr]
        job = request_deletion(s, cache, settings, w.alice, password="correct horse",
                               confirm=" Alice ", session_token=token)  # fmt: skip
    # At once: no session, no token, no sign-in, no profile.
    with session_scope() as s:
        assert auth.user_for_token(s, token) is None
        with pytest.raises(AuthFailed):
            auth.authenticate(s, cache, settings, "alice", "correct horse", "10.1.1.1")
        with pytest.raises(NotFound):
            profiles.get_profile(s, cache, None, w.alice_name)
    run_account_job(job.id)
    yield w, {"bob_image": bob_image, "keys": alice_keys, "job": job.id}


def _markers(w: World, keys: list[str]) -> list[str]:
    stems = [re.sub(r"^.*/([^/.]+)[^/]*$", r"\1", k) for k in keys]
    return [*w.markers, *stems, PUBLIC_MARKER, *ALICE_WORDS, "alice@example.com", '"alice"']


def test_nothing_of_the_user_remains(deleted: tuple[World, dict[str, object]]) -> None:
    w, info = deleted
    alice, bob_image = w.alice, int(info["bob_image"])  # type: ignore[call-overload]
    keys: list[str] = info["keys"]  # type: ignore[assignment]
    with session_scope() as s:
        job = s.get(AccountJob, info["job"])
        assert job is not None and job.status == JobStatus.succeeded
        user = s.get(User, alice)
        assert user is not None and user.deleted_at is not None
        assert user.username == tombstone_name(alice) and user.password_hash is None
        assert user.email == f"{alice}@deleted.invalid" and user.avatar_key is None
        for model, column in (
            (Image, Image.user_id),
            (ImageSet, ImageSet.user_id),
            (GenerationJob, GenerationJob.user_id),
            (Like, Like.user_id),
            (Collection, Collection.user_id),
            (UserSession, UserSession.user_id),
            (ApiToken, ApiToken.user_id),
            (Follow, Follow.follower_id),
            (Follow, Follow.followee_id),
            (Notification, Notification.actor_id),
            (Notification, Notification.user_id),
        ):
            n = s.exec(select(func.count()).select_from(model).where(column == alice)).one()
            assert n == 0, f"{model.__name__}.{column.key} still names the user"
        # Her comment with a reply stays as "deleted", blank; the other is gone.
        left = s.exec(select(Comment).where(Comment.user_id == alice)).all()
        assert [(c.deleted, c.body) for c in left] == [(True, "")]
        # Other users' counts are exact.
        image = s.get(Image, bob_image)
        assert image is not None
        assert (
            image.like_count
            == s.exec(
                select(func.count()).select_from(Like).where(Like.image_id == bob_image)
            ).one()
            == 1
        )
        assert image.comment_count == s.exec(
            select(func.count()).select_from(Comment)
            .where(Comment.image_id == bob_image, col(Comment.deleted).is_(False))
        ).one() == 1  # fmt: skip
        # The ledger is anonymised, not lost, and every balance still equals its sum.
        assert s.exec(select(func.count()).select_from(CreditTransaction)
                      .where(CreditTransaction.user_id == alice)).one() >= 1  # fmt: skip
        assert ledger_mismatches(s) == []
        with pytest.raises(NotFound):
            profiles.get_profile(s, get_cache(), None, tombstone_name(alice))
    storage = get_storage()
    assert keys and not [k for k in keys + w.old_keys if storage.exists(k)]
    assert not list(storage.list_objects(f"private/images/u{alice}/"))
    assert not list(storage.list_objects(f"images/u{alice}/"))


def test_no_page_or_route_shows_the_user(deleted: tuple[World, dict[str, object]]) -> None:
    w, info = deleted
    markers = _markers(w, info["keys"])  # type: ignore[arg-type]
    app = the_app()
    problems: list[str] = []
    for route, handlers in dict(app._load_events).items():
        for path, _params in page_paths(route, w):
            for cookie in (w.bob_cookie, ""):
                text = load_page(list(handlers), path, cookie)
                # A page may echo the name its URL asked for (/u/alice/followers): not a leak.
                found = [m for m in markers if m in text and not (m == '"alice"' and
                         w.alice_name in path)]  # fmt: skip
                if found:
                    problems.append(f"{'bob' if cookie else 'visitor'} sees {found} on {path}")
    api = app.api_transformer
    probed = 0
    with TestClient(api, follow_redirects=False, raise_server_exceptions=False) as client:
        for path, methods in api_routes(api.routes):
            if "GET" not in methods:
                continue
            for probe in probes_for(path, w):
                for viewer in ("bob", "bob-token", "visitor"):
                    r = client.get(probe.url, headers=headers_of(w, viewer))
                    probed += 1
                    text = r.content.decode("latin-1")
                    found = [m for m in markers if m in text]
                    where = f"{viewer} GET {probe.url} -> {r.status_code}"
                    if found:
                        problems.append(f"{where}: shows {found}")
                    if r.status_code >= 500:
                        problems.append(f"{where}: a server error")
        for name in (w.alice_name, tombstone_name(w.alice)):
            r = client.get(f"/api/v1/users/{name}", headers=headers_of(w, "bob-token"))
            if r.status_code not in (404, 405):
                problems.append(f"profile of {name}: {r.status_code}")
    assert not problems, "\n".join(problems)
    assert probed > 50


def test_google_only_accounts_need_a_fresh_sign_in(
    engine: Engine, tmp_path: Path, session: Session
) -> None:
    from pixel_studio.cache import MemoryCache
    from pixel_studio.db import utcnow
    from pixel_studio.services import users
    from pixel_studio.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="t")  # type: ignore[call-arg]
    user = users.create_user(session, "gina", "gina@example.com", None, bonus=0)
    session.commit()
    uid = user.id or 0
    token = auth.create_session(session, uid, settings)
    session.commit()
    row = session.exec(select(UserSession).where(UserSession.user_id == uid)).one()
    row.created_at = utcnow().replace(year=2000)  # signed in long ago
    session.add(row)
    session.commit()
    with pytest.raises(AuthFailed, match="10 minutes"):
        request_deletion(session, MemoryCache(), settings, uid, password="", confirm="gina",
                         session_token=token)  # fmt: skip
    fresh = auth.create_session(session, uid, settings)
    session.commit()
    job = request_deletion(session, MemoryCache(), settings, uid, password="", confirm="gina",
                           session_token=fresh)  # fmt: skip
    assert job.kind == "delete"
    assert session.get(User, uid, populate_existing=True).deleted_at is not None  # type: ignore[union-attr]
