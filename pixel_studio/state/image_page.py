"""`/image/[image_id]`: one image large, its prompt and parameters, who made it; copy, share,
download, remix; for the owner, privacy and delete.

What a viewer sees comes from the image read model (`services.studio.image_detail.get_image_detail`,
cached per image, the viewer's parts read live): a private image asked for by anyone but its
owner reads exactly like a missing id. The social parts have their own states (state/likes.py,
state/comments.py, state/collections.py); `load` hands the like button its starting numbers
and asks the comment thread to load, so the page reads the image once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC
from typing import Any, Protocol, cast

import reflex as rx

from pixel_studio.api.share import download_path, share_url
from pixel_studio.cache import get_cache
from pixel_studio.db import read_session, session_scope
from pixel_studio.models import Image
from pixel_studio.services.errors import NotFound, ServiceError
from pixel_studio.services.studio import image_detail as detail_service
from pixel_studio.services.studio import images as images_service
from pixel_studio.services.studio import sets as sets_service
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, checked_user_id
from pixel_studio.state.comments import CommentsState
from pixel_studio.state.edit import EditState, LineageState
from pixel_studio.state.image_cards import ImageCard, image_card
from pixel_studio.state.job_views import model_name
from pixel_studio.state.likes import LikeButtonState
from pixel_studio.state.route_params import id_from_path
from pixel_studio.state.set_detail import Param
from pixel_studio.state.sets import when
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ImagePage:
    image_id: int
    title: str
    prompt: str
    negative_prompt: str
    model_name: str
    model_id: str
    url: str
    width: int
    height: int
    private: bool
    is_owner: bool
    creator: str
    creator_avatar: str
    set_id: int
    when: str
    created_iso: str
    params: list[Param]
    siblings: list[ImageCard]  # the set's other images this viewer may see
    liked: bool  # by this viewer
    like_count: int


class _Described(Protocol):
    """What `image_params` reads: an Image row and the read model's ImageInfo both have it."""

    @property
    def model(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def params(self) -> dict[str, Any]: ...


def image_params(image: _Described) -> list[Param]:
    """The parameters a person reads, in the order the create form asks for them."""
    params: dict[str, Any] = image.params or {}
    out = [
        Param("Model", model_name(image.model)),
        Param("Size", f"{image.width} × {image.height}"),
    ]
    preset = params.get("style_preset")
    if preset and preset != "none":
        out.append(Param("Style", str(preset).replace("-", " ")))
    out.append(Param("Seed", str(image.seed) if image.seed is not None else "Random"))
    for key, label in (("guidance", "Guidance"), ("steps", "Steps"), ("quality", "Quality")):
        value = params.get(key)
        if value is not None:
            out.append(Param(label, f"{value:g}" if isinstance(value, float) else str(value)))
    if params.get("style"):
        out.append(Param("Rendering style", str(params["style"])))
    return out


def read_image(viewer_id: int | None, image_id: int) -> ImagePage:
    """The image as this viewer may see it (the read model), and its set's other images.
    NotFound otherwise."""
    storage = get_storage()
    with read_session() as session:  # reads only: autocommit, no BEGIN/ROLLBACK round trips
        detail = detail_service.get_image_detail(session, get_cache(), viewer_id, image_id)
        info = detail.image
        in_set = sets_service.get_set(session, viewer_id, info.set_id).images
        created = info.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return ImagePage(
            image_id=image_id,
            title=info.title or info.prompt,  # most images have no title of their own
            prompt=info.prompt,
            negative_prompt=str((info.params or {}).get("negative_prompt") or ""),
            model_name=model_name(info.model),
            model_id=info.model,
            # display_url reads only the keys, size, `private` and `user_id`: ImageInfo has them.
            url=images_service.display_url(storage, cast(Image, info), viewer_id),
            width=info.width,
            height=info.height,
            private=info.private,
            is_owner=detail.is_owner,
            creator=info.creator_username,
            creator_avatar=(
                storage.public_url(info.creator_avatar_key) if info.creator_avatar_key else ""
            ),
            set_id=info.set_id,
            when=when(created),
            created_iso=created.isoformat(timespec="seconds"),
            params=image_params(info),
            siblings=[image_card(storage, i, viewer_id) for i in in_set if i.id != image_id],
            liked=detail.viewer_has_liked,
            like_count=info.like_count,
        )


def change_privacy(user_id: int, image_id: int, private: bool) -> None:
    with session_scope() as session:
        images_service.set_image_privacy(session, get_storage(), user_id, image_id, private)


def delete(user_id: int, image_id: int) -> None:
    with session_scope() as session:
        images_service.delete_image(session, get_storage(), user_id, image_id)


def image_id_from_path(path: str) -> int | None:
    """ "/image/12" or "/image/12/" → 12; anything else → None."""
    return id_from_path(path)


class ImagePageState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    image_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    prompt: rx.Field[str] = rx.field("")
    negative_prompt: rx.Field[str] = rx.field("")
    model_name: rx.Field[str] = rx.field("")
    url: rx.Field[str] = rx.field("")
    width: rx.Field[int] = rx.field(0)
    height: rx.Field[int] = rx.field(0)
    private: rx.Field[bool] = rx.field(False)
    is_owner: rx.Field[bool] = rx.field(False)
    creator: rx.Field[str] = rx.field("")
    creator_avatar: rx.Field[str] = rx.field("")
    set_id: rx.Field[int] = rx.field(0)
    when: rx.Field[str] = rx.field("")
    created_iso: rx.Field[str] = rx.field("")
    params: rx.Field[list[Param]] = rx.field(default_factory=list)
    siblings: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    share_link: rx.Field[str] = rx.field("")
    saving_privacy: rx.Field[bool] = rx.field(False)
    deleting: rx.Field[bool] = rx.field(False)

    @rx.var
    def download_href(self) -> str:
        return download_path(self.image_id) if self.image_id else ""

    @rx.var
    def remix_href(self) -> str:
        return f"/create?from={self.image_id}"

    @rx.var
    def profile_href(self) -> str:
        return f"/u/{self.creator}"

    @rx.var
    def set_href(self) -> str:
        return f"/sets/{self.set_id}"

    def _show(self, page: ImagePage | None) -> None:
        self.loaded = True
        self.found = page is not None
        if page is None:
            # Nothing of a previous image may linger for a viewer who may not see this one.
            self.image_id, self.url, self.prompt, self.title, self.share_link = 0, "", "", "", ""
            self.params, self.siblings, self.is_owner = [], [], False
            return
        self.image_id, self.title, self.prompt = page.image_id, page.title, page.prompt
        self.negative_prompt, self.model_name = page.negative_prompt, page.model_name
        self.url, self.width, self.height = page.url, page.width, page.height
        self.private, self.is_owner = page.private, page.is_owner
        self.creator, self.creator_avatar = page.creator, page.creator_avatar
        self.set_id, self.when, self.created_iso = page.set_id, page.when, page.created_iso
        self.params, self.siblings = page.params, page.siblings
        # Only a public image has a share link: the share route answers 404 for private ones.
        self.share_link = "" if page.private else share_url(get_settings(), page.image_id)

    async def _read(self, image_id: int | None) -> ImagePage | None:
        if image_id is None:
            return None
        auth = await self.get_state(AuthState)
        try:
            return await asyncio.to_thread(read_image, auth._user_id, image_id)
        except NotFound:
            return None

    @rx.event
    async def load(self) -> Any:
        """on_load (after `AuthState.load_user`): the image named in the URL; then its
        like button (from the same read) and its comment thread."""
        self.loaded = False
        self.saving_privacy = self.deleting = False
        page = await self._read(image_id_from_path(str(self.router.url.path or "")))
        self._show(page)
        likes = await self.get_state(LikeButtonState)
        likes._show(
            page.image_id if page else 0,
            page.liked if page else False,
            page.like_count if page else 0,
        )
        # The edit form starts from this image (the same read: no second query).
        edit = await self.get_state(EditState)
        if page is None:
            edit._show_image(0, "", "", 0, 0, "")
        else:
            edit._show_image(
                page.image_id, page.url, page.prompt, page.width, page.height, page.model_id
            )
        return [CommentsState.load, LineageState.load] if page is not None else None

    @rx.event
    def copy_prompt(self) -> list[Any]:
        return [rx.set_clipboard(self.prompt), rx.toast.success("Prompt copied.")]

    @rx.event
    def copy_share_link(self) -> list[Any] | Any:
        if not self.share_link:
            return rx.toast.info("Make the image public to share it.")
        return [rx.set_clipboard(self.share_link), rx.toast.success("Share link copied.")]

    async def _owner_id(self) -> int | None:
        # The session, not the id cached at page load: it may have been revoked since
        # (a revoked one signs the tab out; see state/auth.py).
        return await checked_user_id(self) if self.is_owner else None

    @rx.event(background=True)
    async def set_private(self, private: bool) -> Any:
        """The owner's switch: files move under the private prefix or out of it (slow on S3)."""
        async with self:
            if self.saving_privacy or not self.found:
                return None
            user_id, image_id = await self._owner_id(), self.image_id
            if user_id is None:
                return rx.toast.error("Only the owner can change this image.")
            self.saving_privacy = True
        try:
            await asyncio.to_thread(change_privacy, user_id, image_id, bool(private))
            page = await asyncio.to_thread(read_image, user_id, image_id)
        except ServiceError as exc:
            async with self:
                self.saving_privacy = False
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not change the privacy of image %s", image_id)
            async with self:
                self.saving_privacy = False
            return rx.toast.error("The change could not be saved. Please try again.")
        async with self:
            self._show(page)
            self.saving_privacy = False
        return rx.toast.success("The image is private." if private else "The image is public.")

    @rx.event(background=True)
    async def delete_image(self) -> Any:
        async with self:
            if self.deleting or not self.found:
                return None
            user_id, image_id, set_id = await self._owner_id(), self.image_id, self.set_id
            if user_id is None:
                return rx.toast.error("Only the owner can delete this image.")
            self.deleting = True
        try:
            await asyncio.to_thread(delete, user_id, image_id)
        except ServiceError as exc:
            async with self:
                self.deleting = False
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not delete image %s", image_id)
            async with self:
                self.deleting = False
            return rx.toast.error("The image could not be deleted. Please try again.")
        async with self:
            self.deleting = False
            self._show(None)
        return [rx.redirect(f"/sets/{set_id}"), rx.toast.success("Image deleted.")]
