"""Trending: the stored "hot" score of an image (formula in models.hot_score).

The score is log10(likes) plus the creation time / 45,000 s: it only changes when the like
count does, so it is stored, indexed (ix_image_public_hot) and keyset-paged, and nothing
recomputes it on a timer. New images get it from the column default at insert.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.models import Image, hot_score

__all__ = ["hot_score", "update_hot_score"]


def update_hot_score(session: Session, image_id: int) -> None:
    """Recompute the image's score from its current like count. Does not commit.

    Call inside the transaction that changed `like_count`, after that UPDATE: the row is then
    locked by this transaction (on PostgreSQL), so a concurrent like waits and recomputes from
    the count that includes this one.
    """
    row = session.exec(
        select(Image.like_count, Image.created_at).where(col(Image.id) == image_id)
    ).one_or_none()
    if row is None:
        return
    likes, created_at = row
    session.execute(
        update(Image)
        .where(col(Image.id) == image_id)
        .values(hot=hot_score(likes, created_at))
        .execution_options(synchronize_session="fetch")
    )
