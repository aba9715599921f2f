"""The demo gallery of `pixel-studio seed-demo`: a few hundred images across several users,
with titles, likes, threaded comments, follows and collections, so a new install looks alive.

Everything goes through the code the site uses: images are made by the local generator through
the real job pipeline (run inline, at 512 px, 10 per job, so every image has its
stored original and thumbnail and its row); the social parts through services/social/likes,
comments, follows, collections and image_detail. Deterministic (a seeded random) and idempotent: the
gallery is topped up to N images, follows and likes are idempotent by nature, and the social
extras are only added to images this run made, so a second run makes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import Session, col, func, select

from pixel_studio.cache import Cache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.events import JobEvent
from pixel_studio.models import Collection, CreditKind, Image, ImageSet, User
from pixel_studio.services import credits, rate_limits, users
from pixel_studio.services.social import collections, comments, follows, likes
from pixel_studio.services.social.notifications import NotificationEvent
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.image_detail import set_image_title
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings, get_settings

# Gallery accounts have no password (nobody signs in as them): they exist to fill the site.
GALLERY_USERS: tuple[str, ...] = ("hedy", "alan", "margaret", "dennis", "barbara")
PER_JOB = 10  # the most one job makes
# ~0.1 s an image. At 256 px (~20 ms) the image page stretched its picture: on a phone it
# is ~370 CSS px wide at DPR 1.75, and Lighthouse's image-size-responsive wants >= 417 px.
SIZE = "512x512"
DEFAULT_IMAGES = 240
COLOURS = ("golden", "crimson", "teal", "violet", "emerald", "amber", "silver", "indigo")
SCENES = (
    "lighthouse on a cliff", "fox in the snow", "city skyline", "forest path", "mountain lake",
    "desert dunes", "harbour with boats", "castle on a hill", "field of flowers", "old bridge",
)  # fmt: skip
TIMES = ("at dawn", "at dusk", "at night", "in the rain", "under the moon", "in the fog")
COMMENTS = ("Love the colours!", "This is beautiful.", "What seed did you use?",
            "The light here is perfect.", "Adding this to my favourites.", "So calm.")  # fmt: skip
REPLIES = ("Thank you!", "Glad you like it.", "A random one, try remixing it!", "Same here.")
COLLECTIONS = (("ada", "Favourites", "Pictures I keep coming back to."),
               ("grace", "Night scenes", "Moons, stars and city lights."))  # fmt: skip


@dataclass
class GalleryReport:
    images: int = 0
    jobs: int = 0
    titles: int = 0
    likes: int = 0
    comments: int = 0
    replies: int = 0
    follows: int = 0
    collections: int = 0
    new_image_ids: list[int] = field(default_factory=list)


def _quiet_job(_event: JobEvent) -> None:
    """No page is open to a command-line job: its events go nowhere."""


def _quiet_note(_event: NotificationEvent) -> None:
    """Nobody is signed in to be told: notification rows are written, no live push."""


def _user_ids(session: Session, names: tuple[str, ...]) -> dict[str, int]:
    rows = session.exec(select(User.username, User.id).where(col(User.username).in_(names)))
    return {name: uid for name, uid in rows.all() if uid is not None}


def _ensure_gallery_users(settings: Settings) -> None:
    with session_scope() as session:
        have = _user_ids(session, GALLERY_USERS)
        for name in GALLERY_USERS:
            if name not in have:
                users.create_user(session, name, f"{name}@demo.pixel-studio.test", None, bonus=0)


def _prompt(rng: random.Random) -> str:
    return f"{rng.choice(COLOURS)} {rng.choice(SCENES)} {rng.choice(TIMES)}"


def _make_images(settings: Settings, owners: list[int], wanted: int, report: GalleryReport) -> None:
    rng = random.Random(wanted)
    run = partial(run_job, settings=settings, publish=_quiet_job)
    while wanted > 0:
        count = min(PER_JOB, wanted)
        owner = owners[report.jobs % len(owners)]
        with session_scope() as session:
            credits.change_balance(session, owner, count, CreditKind.admin, note="Demo images")
        with session_scope() as session:
            job = generation.create_job(
                session,
                owner,
                {"model": "local-sketch", "prompt": _prompt(rng), "count": count, "size": SIZE},
                settings,
                enqueue=run,  # inline: the command ends when the images exist
                publish=_quiet_job,
            )
            ids = session.exec(
                select(Image.id)
                .join(ImageSet, col(ImageSet.id) == col(Image.set_id))
                .where(col(ImageSet.job_id) == job.id)
            ).all()
        report.new_image_ids.extend(i for i in ids if i is not None)
        report.images += len(ids)
        report.jobs += 1
        wanted -= count


def _socialise(cache: Cache, everyone: dict[str, int], report: GalleryReport) -> None:
    rng = random.Random(len(report.new_image_ids))
    ids = list(everyone.values())
    with session_scope() as session:
        owner_of = dict(
            session.exec(
                select(Image.id, Image.user_id).where(col(Image.id).in_(report.new_image_ids))
            ).all()
        )
        for n, image_id in enumerate(report.new_image_ids):
            owner = owner_of[image_id]
            if n % 3 == 0:
                prompt = session.exec(select(Image.prompt).where(col(Image.id) == image_id)).one()
                set_image_title(session, cache, owner, image_id, prompt.capitalize())
                report.titles += 1
            fans = rng.sample([u for u in ids if u != owner], k=rng.randint(0, 5))
            for fan in fans:
                state = likes.like_image(session, cache, fan, image_id, publish=_quiet_note)
                report.likes += state.changed
            if n % 4 == 0:
                author = rng.choice([u for u in ids if u != owner])
                top = comments.add_comment(
                    session, cache, author, image_id, rng.choice(COMMENTS), publish=_quiet_note
                )
                report.comments += 1
                if n % 8 == 0:  # the owner answers, and sometimes the thread goes on
                    reply = comments.add_comment(
                        session, cache, owner, image_id, rng.choice(REPLIES),
                        parent_id=top.id, publish=_quiet_note,
                    )  # fmt: skip
                    report.replies += 1
                    if n % 16 == 0:
                        comments.add_comment(
                            session, cache, author, image_id, rng.choice(REPLIES),
                            parent_id=reply.id, publish=_quiet_note,
                        )  # fmt: skip
                        report.replies += 1
        for follower in ids:
            for followee in rng.sample([u for u in ids if u != follower], k=3):
                followed = follows.follow(session, cache, follower, followee, publish=_quiet_note)
                report.follows += followed.changed


def _collections(cache: Cache, everyone: dict[str, int], report: GalleryReport) -> None:
    rng = random.Random(7)
    with session_scope() as session:
        for username, title, description in COLLECTIONS:
            owner = everyone.get(username)
            if owner is None:
                continue
            exists = session.exec(
                select(Collection.id).where(
                    col(Collection.user_id) == owner, col(Collection.title) == title
                )
            ).first()
            if exists is not None:
                continue
            collection = collections.create_collection(
                session, cache, owner, title, description=description
            )
            public = session.exec(
                select(Image.id).where(col(Image.private).is_(False)).order_by(col(Image.id))
            ).all()
            for image_id in rng.sample(list(public), k=min(8, len(public))):
                if image_id is not None:
                    collections.add_image(session, cache, owner, collection.id or 0, image_id)
            report.collections += 1


def seed_gallery(demo_usernames: tuple[str, ...], images: int) -> GalleryReport:
    """Top the gallery up to `images` images and add the social layer around the new ones."""
    settings = get_settings()
    cache = get_cache()
    report = GalleryReport()
    _ensure_gallery_users(settings)
    with session_scope() as session:
        gallery = _user_ids(session, GALLERY_USERS)
        everyone = _user_ids(session, demo_usernames + GALLERY_USERS)
        have = session.exec(
            select(func.count())
            .select_from(Image)
            .where(col(Image.user_id).in_(list(gallery.values())))
        ).one()
    owners = [gallery[name] for name in GALLERY_USERS if name in gallery]
    # Trusted bulk work from the operator's shell: the per-user tiers (the social services
    # count the write tier) are for people at the site, not for seeding hundreds of rows.
    with rate_limits.exempt():
        _make_images(settings, owners, max(0, images - have), report)
        if report.new_image_ids:
            _socialise(cache, everyone, report)
        _collections(cache, everyone, report)
    return report
