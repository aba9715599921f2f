"""`/sets/[set_id]`: one set's images, prompt and parameters; run again, remix, delete.

What a viewer sees is decided by `services.studio.sets.get_set` (the one visibility rule): the owner
sees everything and the job's status; anyone else only public images, or a not-found message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.services.errors import NotFound, ServiceError
from pixel_studio.services.studio import sets as sets_service
from pixel_studio.services.studio.images import image_url
from pixel_studio.services.studio.job_state import job_message
from pixel_studio.state.auth import AuthState, checked_user_id, per_user, session_ended
from pixel_studio.state.job_views import JobView, model_name, status_color, status_label
from pixel_studio.state.route_params import id_from_path
from pixel_studio.state.sets import when
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Param:
    label: str
    value: str


@dataclasses.dataclass(frozen=True)
class Picture:
    image_id: int
    url: str  # the original: a link opens it, and a set of one shows it
    thumb: str  # ~512 px WebP: what a grid of several shows
    alt: str
    size: str
    seed: str


@dataclasses.dataclass(frozen=True)
class SetPage:
    set_id: int
    job_id: str
    prompt: str
    model_name: str
    when: str
    is_owner: bool
    status: str
    done: int
    total: int
    message: str
    params: list[Param]
    pictures: list[Picture]


def describe_params(params: dict[str, Any]) -> list[Param]:
    """The parameters a person reads, in the order the create form asks for them."""
    out = [Param("Model", model_name(str(params.get("model", ""))))]
    if params.get("width") and params.get("height"):
        out.append(Param("Size", f"{params['width']} × {params['height']}"))
    out.append(Param("Images", str(params.get("count") or 1)))
    preset = params.get("style_preset")
    if preset and preset != "none":
        out.append(Param("Style", str(preset).replace("-", " ")))
    seed = params.get("seed")
    out.append(Param("Seed", str(seed) if seed is not None else "Random"))
    for key, label in (("guidance", "Guidance"), ("steps", "Steps"), ("quality", "Quality")):
        if params.get(key) is not None:
            out.append(Param(label, f"{params[key]:g}" if key == "guidance" else str(params[key])))
    if params.get("style"):
        out.append(Param("Rendering style", str(params["style"])))
    if params.get("negative_prompt"):
        out.append(Param("Negative prompt", str(params["negative_prompt"])))
    out.append(Param("Visibility", "Private" if params.get("private") else "Public"))
    return out


def read_set(viewer_id: int | None, set_id: int) -> SetPage:
    """The set as this viewer may see it. NotFound otherwise."""
    storage = get_storage()
    with session_scope() as session:
        detail = sets_service.get_set(session, viewer_id, set_id)
        job = detail.job
        pictures = [
            Picture(
                image_id=image.id or 0,
                url=image_url(storage, image, viewer_id),
                thumb=image_url(storage, image, viewer_id, thumbnail=True),
                alt=image.prompt,
                size=f"{image.width} × {image.height}",
                seed=str(image.seed) if image.seed is not None else "",
            )
            for image in detail.images
        ]
        return SetPage(
            set_id=set_id,
            job_id=detail.set.job_id,
            prompt=detail.set.prompt,
            model_name=model_name(detail.set.model),
            when=when(detail.set.created_at),
            is_owner=detail.is_owner,
            status=job.status if job else "",
            done=job.done if job else len(pictures),
            total=job.total if job else len(pictures),
            message=job_message(job) if job else "",
            params=describe_params(detail.params),
            pictures=pictures,
        )


def delete(user_id: int, set_id: int) -> None:
    with session_scope() as session:
        sets_service.delete_set(session, user_id, set_id, get_storage())


@per_user
class SetDetailState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    is_owner: rx.Field[bool] = rx.field(False)
    shown_set_id: rx.Field[int] = rx.field(0)
    prompt: rx.Field[str] = rx.field("")
    model_name: rx.Field[str] = rx.field("")
    when: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    label: rx.Field[str] = rx.field("")
    color: rx.Field[str] = rx.field("gray")
    done: rx.Field[int] = rx.field(0)
    total: rx.Field[int] = rx.field(0)
    message: rx.Field[str] = rx.field("")
    params: rx.Field[list[Param]] = rx.field(default_factory=list)
    pictures: rx.Field[list[Picture]] = rx.field(default_factory=list)
    deleting: rx.Field[bool] = rx.field(False)
    _job_id: str = ""

    @rx.var
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @rx.var
    def percent(self) -> int:
        return min(100, round(self.done * 100 / max(self.total, 1)))

    def _set_status(self, status: str, done: int, total: int, message: str) -> None:
        self.status, self.done, self.total, self.message = status, done, total, message
        self.label = status_label(status, done, total) if status else ""
        self.color = status_color(status) if status else "gray"

    def _show(self, page: SetPage | None) -> None:
        self.loaded = True
        self.found = page is not None
        if page is None:
            self.pictures, self.params, self._job_id = [], [], ""
            return
        self.shown_set_id, self._job_id = page.set_id, page.job_id
        self.prompt, self.model_name, self.when = page.prompt, page.model_name, page.when
        self.is_owner, self.params, self.pictures = page.is_owner, page.params, page.pictures
        self._set_status(page.status, page.done, page.total, page.message)

    async def _read(self, set_id: int) -> SetPage | None:
        auth = await self.get_state(AuthState)
        try:
            return await asyncio.to_thread(read_set, auth._user_id, set_id)
        except NotFound:
            return None

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.load_user`): the set named in the URL."""
        self.loaded = False
        self.deleting = False
        # The browser path, "/sets/12" (RouterData.page, with the route args, is deprecated).
        set_id = id_from_path(str(self.router.url.path or ""))
        self._show(await self._read(set_id) if set_id is not None else None)

    @rx.event
    async def refresh(self) -> None:
        """A live event said new images exist: read the set again."""
        if self.found and self.shown_set_id:
            self._show(await self._read(self.shown_set_id))

    def _apply_job_view(self, view: JobView) -> bool:
        """A job changed (live event). Returns True when new images should be fetched."""
        if not self._job_id or view.job_id != self._job_id:
            return False
        self._set_status(view.status, view.done, view.total, view.message)
        return len(view.thumbnails) > len(self.pictures)

    @rx.event(background=True)
    async def delete_set(self) -> Any:
        async with self:
            if self.deleting or not self.is_owner:
                return None
            # The session, not the id cached at page load: it may have been revoked since.
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(str(self.router.url.path or ""))
            self.deleting = True
            set_id = self.shown_set_id
        try:
            await asyncio.to_thread(delete, user_id, set_id)
        except ServiceError as exc:
            async with self:
                self.deleting = False
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not delete set %s", set_id)
            async with self:
                self.deleting = False
            return rx.toast.error("The set could not be deleted. Please try again.")
        async with self:
            self.deleting = False
            self.found = False
        return [rx.redirect("/sets"), rx.toast.success("Set deleted.")]
