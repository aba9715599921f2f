"""Counts stay exact under concurrency: 20 threads on one image at once (SQLite, PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Comment, Image, Like
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import comments, likes, ranking
from tests.services.social_helpers import Bell, make_image, make_user

THREADS = 20


def _run_at_once(db: Engine, work: Callable[[Session, int], None]) -> list[BaseException]:
    """Run work(session, thread index) in THREADS threads released together."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def main(index: int) -> None:
        try:
            with Session(db, expire_on_commit=False) as own:
                barrier.wait(timeout=30)
                work(own, index)
        except BaseException as exc:  # collected: the test asserts there were none
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def _image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id, populate_existing=True)
    assert image is not None
    return image


def test_concurrent_likes_and_unlikes_keep_the_count_exact(
    db: Engine, session: Session, cache: MemoryCache
) -> None:
    owner = make_user(session, "owner", 0)
    image_id = make_image(session, owner)
    # Two threads per user: the same like row is fought over as well as the counter.
    users = [make_user(session, f"fan{n}", 0) for n in range(THREADS // 2)]
    bell = Bell()

    def work(own: Session, index: int) -> None:
        rng = random.Random(index)
        user = users[index % len(users)]
        for _ in range(6):
            action = likes.like_image if rng.random() < 0.6 else likes.unlike_image
            action(own, cache, user, image_id, publish=bell)

    assert _run_at_once(db, work) == []
    rows = session.exec(
        select(func.count()).select_from(Like).where(col(Like.image_id) == image_id)
    ).one()
    image = _image(session, image_id)
    assert image.like_count == rows
    assert image.hot == ranking.hot_score(rows, image.created_at)
    print(f"\n{db.dialect.name}: {rows} likes after {THREADS * 6} concurrent actions")


def test_concurrent_comments_replies_and_deletes_keep_the_count_exact(
    db: Engine, session: Session, cache: MemoryCache
) -> None:
    owner = make_user(session, "owner", 0)
    image_id = make_image(session, owner)
    users = [make_user(session, f"user{n}", 0) for n in range(THREADS)]
    # A shared thread to reply into and delete from, so parents vanish under replies.
    roots = [
        comments.add_comment(session, cache, users[n], image_id, f"root {n}") for n in range(5)
    ]
    bell = Bell()

    def work(own: Session, index: int) -> None:
        rng = random.Random(index)
        user = users[index]
        mine: list[int] = [r.id for r in roots if r.user_id == user]
        for step in range(6):
            if mine and rng.random() < 0.4:
                comments.delete_comment(own, cache, user, mine.pop(rng.randrange(len(mine))))
                continue
            parent = rng.choice([None, *[r.id for r in roots]])
            try:
                made = comments.add_comment(
                    own, cache, user, image_id, f"{index}/{step}", parent_id=parent, publish=bell
                )
            except NotFound:  # the parent was deleted a moment ago: a fair refusal
                continue
            mine.append(made.id)

    assert _run_at_once(db, work) == []
    live = session.exec(
        select(func.count())
        .select_from(Comment)
        .where(col(Comment.image_id) == image_id, col(Comment.deleted).is_(False))
    ).one()
    assert _image(session, image_id).comment_count == live
    # Every placeholder still left has replies: concurrent deletes pruned the rest.
    reply = aliased(Comment)
    has_reply = select(reply.id).where(col(reply.parent_id) == col(Comment.id)).exists()
    orphans = session.exec(
        select(func.count()).select_from(Comment).where(col(Comment.deleted).is_(True), ~has_reply)
    ).one()
    assert orphans == 0
    tree = comments.list_comments(session, owner, image_id)
    assert sum(not c.deleted for c in tree.flat) == live
