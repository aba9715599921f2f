"""Collections: edits by the owner only, once-per-image entries, visibility of lists and images."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from pixel_studio.cache import MemoryCache
from pixel_studio.models import CollectionImage
from pixel_studio.services.errors import InvalidInput, NotAllowed, NotFound
from pixel_studio.services.social import collections
from tests.services.generation_helpers import count
from tests.services.social_helpers import make_image, make_user


def test_create_rename_describe_and_privacy(session: Session, cache: MemoryCache) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    c = collections.create_collection(session, cache, ann, "  Foxes ", description="orange")
    cid = c.id or 0
    assert (c.title, c.description, c.private) == ("Foxes", "orange", False)
    assert collections.rename_collection(session, cache, ann, cid, "Red foxes").title == "Red foxes"
    assert collections.describe_collection(session, cache, ann, cid, " all ").description == "all"
    assert collections.get_collection(session, bob, cid).title == "Red foxes"
    with pytest.raises(NotAllowed):  # visible to bob, but not his
        collections.rename_collection(session, cache, bob, cid, "mine now")
    assert collections.set_collection_privacy(session, cache, ann, cid, True).private
    for viewer in (bob, None):
        with pytest.raises(NotFound):
            collections.get_collection(session, viewer, cid)
    with pytest.raises(NotFound):  # private: not even NotAllowed
        collections.delete_collection(session, cache, bob, cid)
    collections.delete_collection(session, cache, ann, cid)
    with pytest.raises(NotFound):
        collections.get_collection(session, ann, cid)


@pytest.mark.parametrize(
    ("title", "description", "field"),
    [
        ("", "", "title"),
        ("x" * 101, "", "title"),
        ("ok", "d" * 1001, "description"),
        ("ok", "nul\x00", "description"),
        ("tab\there", "", "title"),
    ],
)
def test_bad_input_names_the_field(
    session: Session, cache: MemoryCache, title: str, description: str, field: str
) -> None:
    ann = make_user(session, "ann", 0)
    with pytest.raises(InvalidInput) as err:
        collections.create_collection(session, cache, ann, title, description=description)
    assert err.value.field == field


def test_an_image_is_in_a_collection_at_most_once(session: Session, cache: MemoryCache) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    theirs = make_image(session, bob)
    secret = make_image(session, bob, private=True)
    cid = collections.create_collection(session, cache, ann, "Saved").id or 0
    assert collections.add_image(session, cache, ann, cid, theirs) is True
    assert collections.add_image(session, cache, ann, cid, theirs) is False
    assert count(session, CollectionImage) == 1
    with pytest.raises(NotFound):  # only images the owner may see
        collections.add_image(session, cache, ann, cid, secret)
    with pytest.raises(NotAllowed):
        collections.add_image(session, cache, bob, cid, theirs)
    assert collections.remove_image(session, cache, ann, cid, theirs) is True
    assert collections.remove_image(session, cache, ann, cid, theirs) is False


def test_lists_follow_the_visibility_rule(session: Session, cache: MemoryCache) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    open_one = collections.create_collection(session, cache, ann, "Open").id or 0
    hidden = collections.create_collection(session, cache, ann, "Hidden", private=True).id or 0
    images = [make_image(session, ann) for _ in range(5)]
    private_image = make_image(session, ann, private=True)
    for image_id in [*images, private_image]:
        collections.add_image(session, cache, ann, open_one, image_id)
    collections.add_image(session, cache, ann, hidden, images[0])

    mine = collections.list_collections(session, ann, ann)
    assert [s.collection.id for s in mine.items] == [hidden, open_one]
    assert [s.image_count for s in mine.items] == [1, 6]
    seen = collections.list_collections(session, bob, ann)
    assert [s.collection.id for s in seen.items] == [open_one]
    summary = seen.items[0]
    assert summary.image_count == 5 and not summary.is_owner
    assert [i.id for i in summary.covers] == images[::-1][: collections.COVERS]

    page1 = collections.collection_images(session, bob, open_one, limit=3)
    page2 = collections.collection_images(session, bob, open_one, before=page1.next_before)
    assert [i.id for i in page1.images] == images[::-1][:3]
    assert [i.id for i in page2.images] == images[::-1][3:] and page2.next_before is None
    owner_view = collections.collection_images(session, ann, open_one)
    assert private_image in [i.id for i in owner_view.images] and owner_view.is_owner
    with pytest.raises(NotFound):
        collections.collection_images(session, bob, hidden)


def test_which_of_my_collections_hold_an_image(session: Session, cache: MemoryCache) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    image_id = make_image(session, bob)
    a = collections.create_collection(session, cache, ann, "A").id or 0
    b = collections.create_collection(session, cache, ann, "B", private=True).id or 0
    collections.create_collection(session, cache, bob, "Bob's")
    collections.add_image(session, cache, ann, a, image_id)
    choices = collections.collections_for_image(session, ann, image_id)
    assert [(c.id, c.holds, c.private) for c in choices] == [(b, False, True), (a, True, False)]
    with pytest.raises(NotFound):
        collections.collections_for_image(session, ann, make_image(session, bob, private=True))
