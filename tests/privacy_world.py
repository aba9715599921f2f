"""The fixture world of the privacy matrix (tests/test_privacy_matrix.py).

Alice (A) owns private things; Bob (B) follows her and interacted with one of her images while
it was public; a visitor has no session. Everything is written through the services, with real
files in the app's storage, into the database the app's own settings point at.

Every private thing carries a unique marker (prompt, title, collection title, the random part
of each storage key): a marker found in what B or the visitor receives is a leak.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import GenerationJob, Image, ImageSet, JobStatus
from pixel_studio.services import users
from pixel_studio.services.accounts import api_tokens, auth
from pixel_studio.services.integrations import webhooks
from pixel_studio.services.social import collections, comments, follows, likes, notifications
from pixel_studio.services.studio.images import set_image_privacy
from pixel_studio.settings import get_settings
from pixel_studio.storage import get_storage
from pixel_studio.storage.images import image_keys

PRIVATE_PROMPT = "a lighthouse zqxprivprompt at dusk"
PRIVATE_TITLE = "zqxprivtitle harbour light"
TURNED_PROMPT = "a glacier zqxturnedprompt at noon"
TURNED_TITLE = "zqxturnedtitle ice"
PRIVATE_COLLECTION = "zqxprivcoll keepsakes"
PUBLIC_PROMPT = "a market zqxpublicsight in spring"  # visible to all: proves pages loaded
PUBLIC_MARKER = "zqxpublicsight"
WORDS = ("zqxprivprompt", "zqxprivtitle", "zqxturnedprompt", "zqxturnedtitle", "zqxprivcoll")


def _quiet(_event: object) -> None:
    """Notification events go nowhere: no tab listens in these tests."""


@dataclass
class World:
    alice: int
    bob: int
    alice_name: str
    bob_name: str
    alice_cookie: str
    bob_cookie: str
    private_image: int  # P: private from the start, in its own set
    private_set: int
    turned_image: int  # T: public while Bob liked, commented and collected it, then private
    turned_set: int
    public_image: int  # Q: public, in every listing
    public_set: int
    private_collection: int  # A's, private, holding P, T and Q
    alice_public_collection: int  # A's, public, holding P, T and Q
    bob_collection: int  # B's, public, holding T (and Q)
    bob_comment: int  # B's comment on T
    private_job: str  # the generation job that made P
    alice_token: str  # personal API tokens (Authorization: Bearer)
    bob_token: str
    old_keys: list[str]  # T's keys while it was public: dead URLs now
    private_keys: list[str] = field(default_factory=list)  # P's and T's current keys
    alice_webhook: int = 0  # A's webhook endpoint (issue 15): hers alone
    alice_notification: int = 0  # one of A's notifications (Bob followed her)

    @property
    def key_stems(self) -> list[str]:
        """The random part of every private key: present in any URL of the file."""
        return [re.sub(r"^.*/([^/.]+)[^/]*$", r"\1", k) for k in self.private_keys + self.old_keys]

    @property
    def markers(self) -> list[str]:
        return [*WORDS, *self.key_stems]

    def leaks(self, text: str) -> list[str]:
        """Every private marker or private link found in `text`."""
        found = [m for m in self.markers if m in text]
        for kind, ident in (
            ("image", self.private_image),
            ("image", self.turned_image),
            ("sets", self.private_set),
            ("sets", self.turned_set),
            ("collections", self.private_collection),
        ):
            if re.search(rf"/{kind}/{ident}(?![0-9])", text):
                found.append(f"/{kind}/{ident}")
        return found


def _image(session: Session, owner: int, prompt: str, title: str | None, private: bool) -> int:
    """One finished image with real files, in a set of its own; returns the set id too."""
    storage = get_storage()
    job = GenerationJob(id=uuid.uuid4().hex, user_id=owner, status=JobStatus.succeeded, done=1)
    session.add(job)
    session.flush()
    image_set = ImageSet(user_id=owner, job_id=job.id, prompt=prompt, model="local-sketch")
    session.add(image_set)
    session.flush()
    original, thumb = image_keys(owner, image_set.id or 0, uuid.uuid4().hex, private=private)
    # The files carry the prompt: a body that serves them shows the marker.
    storage.put(original, b"\x89PNG\r\n\x1a\n" + prompt.encode(), "image/png")
    storage.put(thumb, b"RIFF" + prompt.encode(), "image/webp")
    image = Image(
        user_id=owner,
        set_id=image_set.id or 0,
        prompt=prompt,
        title=title,
        model="local-sketch",
        params={"negative_prompt": "blurry"},
        width=64,
        height=64,
        seed=7,
        private=private,
        original_key=original,
        thumbnail_key=thumb,
    )
    session.add(image)
    session.commit()
    return image.id or 0


def build_world() -> World:
    cache = get_cache()
    settings = get_settings()
    with session_scope() as s:
        alice = users.create_user(s, "alice", "alice@example.com", "correct horse", bonus=5)
        bob = users.create_user(s, "bob", "bob@example.com", "correct horse", bonus=5)
        s.commit()
        a, b = alice.id or 0, bob.id or 0
        p = _image(s, a, PRIVATE_PROMPT, PRIVATE_TITLE, True)
        t = _image(s, a, TURNED_PROMPT, TURNED_TITLE, False)
        q = _image(s, a, PUBLIC_PROMPT, None, False)
        follows.follow(s, cache, b, a, publish=_quiet)
        follows.follow(s, cache, a, b, publish=_quiet)
        # While T is public Bob likes it, comments, collects it; Alice replies to him.
        likes.like_image(s, cache, b, t, publish=_quiet)
        likes.like_image(s, cache, b, q, publish=_quiet)
        note = comments.add_comment(s, cache, b, t, "lovely ice", publish=_quiet)
        comments.add_comment(s, cache, a, t, "thanks!", parent_id=note.id, publish=_quiet)
        comments.add_comment(s, cache, b, q, "nice market", publish=_quiet)
        bob_coll = collections.create_collection(s, cache, b, "bob picks")
        for image_id in (t, q):
            collections.add_image(s, cache, b, bob_coll.id or 0, image_id)
        hidden = collections.create_collection(s, cache, a, PRIVATE_COLLECTION, private=True)
        shown = collections.create_collection(s, cache, a, "alice shows")
        for coll in (hidden, shown):
            for image_id in (p, t, q):
                collections.add_image(s, cache, a, coll.id or 0, image_id)
        turned = s.get(Image, t)
        assert turned is not None
        old_keys = [turned.original_key, turned.thumbnail_key]
        set_image_privacy(s, get_storage(), a, t, True)
        rows = {i: s.get(Image, i, populate_existing=True) for i in (p, t, q)}
        private_keys = [k for i in (p, t) for k in (rows[i].original_key, rows[i].thumbnail_key)]  # type: ignore[union-attr]
        world = World(
            alice=a,
            bob=b,
            alice_name=alice.username,
            bob_name=bob.username,
            alice_cookie=f"ps_session={auth.create_session(s, a, settings)}",
            bob_cookie=f"ps_session={auth.create_session(s, b, settings)}",
            private_image=p,
            private_set=rows[p].set_id,  # type: ignore[union-attr]
            turned_image=t,
            turned_set=rows[t].set_id,  # type: ignore[union-attr]
            public_image=q,
            public_set=rows[q].set_id,  # type: ignore[union-attr]
            private_collection=hidden.id or 0,
            alice_public_collection=shown.id or 0,
            bob_collection=bob_coll.id or 0,
            bob_comment=note.id,
            private_job=s.get(ImageSet, rows[p].set_id).job_id,  # type: ignore[union-attr]
            alice_token=api_tokens.create_token(s, a, "matrix").secret,
            bob_token=api_tokens.create_token(s, b, "matrix").secret,
            old_keys=old_keys,
            private_keys=private_keys,
            alice_webhook=webhooks.create_webhook(
                s,
                settings,
                a,
                {"url": f"https://hooks.example/{WORDS[0]}"},
                check_target=_no_lookup,
            ).info.id,
            alice_notification=notifications.list_notifications(s, a).items[-1].id,
        )
        s.commit()
    return world


def _no_lookup(url: str, settings: object) -> None:
    """The matrix's webhook is never delivered to: its host is not looked up."""
