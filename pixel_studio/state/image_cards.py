"""One image as a grid card shows it (components/image_grid.py), and how to build it.

Plain data, no Reflex import: every page that lists images (a set, explore, a feed, a profile,
a collection, liked images) builds its cards here, so a card looks and links the same
everywhere. URLs come from `services.studio.images.image_url`, i.e. only after the visibility rule.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from pixel_studio.models import Image, User
from pixel_studio.services.social import cards as service_cards
from pixel_studio.services.studio.images import image_url
from pixel_studio.storage import Storage


@dataclasses.dataclass(frozen=True)
class ImageCard:
    """What a grid card needs. `href` is always the image page, never the raw file."""

    image_id: int
    href: str
    thumb: str  # ~512 px WebP
    alt: str  # the prompt: what the picture shows, for screen readers
    width: int
    height: int
    private: bool
    like_count: int
    comment_count: int
    creator: str = ""  # username; "" hides the creator line (e.g. on the owner's own pages)
    creator_avatar: str = ""


def image_href(image_id: int) -> str:
    return f"/image/{image_id}"


def avatar_src(storage: Storage, user: User | None) -> str:
    return storage.public_url(user.avatar_key) if user is not None and user.avatar_key else ""


def image_card(
    storage: Storage, image: Image, viewer_id: int | None, creator: User | None = None
) -> ImageCard:
    """The card for an image this viewer may see (`image_url` raises NotFound otherwise)."""
    image_id = image.id or 0
    return ImageCard(
        image_id=image_id,
        href=image_href(image_id),
        thumb=image_url(storage, image, viewer_id, thumbnail=True),
        alt=image.prompt,
        width=image.width,
        height=image.height,
        private=image.private,
        like_count=image.like_count,
        comment_count=image.comment_count,
        creator=creator.username if creator is not None else "",
        creator_avatar=avatar_src(storage, creator),
    )


def card_view(storage: Storage, card: service_cards.ImageCard, viewer_id: int | None) -> ImageCard:
    """A grid card from a feed/explore/profile row (`services.social.cards.ImageCard`, which carries
    storage keys and the creator instead of an Image row)."""
    # image_url reads only the keys, `private` and `user_id`, which a service card has too.
    as_image = cast(Image, card)
    return ImageCard(
        image_id=card.id,
        href=image_href(card.id),
        thumb=image_url(storage, as_image, viewer_id, thumbnail=True),
        alt=card.prompt,
        width=card.width,
        height=card.height,
        private=card.private,
        like_count=card.like_count,
        comment_count=card.comment_count,
        creator=card.creator_username,
        creator_avatar=(
            storage.public_url(card.creator_avatar_key) if card.creator_avatar_key else ""
        ),
    )
