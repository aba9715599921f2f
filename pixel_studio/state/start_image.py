"""`/edit`: image to image. Start from an image you can see (`?from=<id>`, "Use as start image"
on its page) or from an uploaded file, with a prompt and a strength; the job is paid for and
queued by `editing.create_edit_job` and fills in live in the page's jobs panel.

The uploaded file never travels through the socket: the browser streams it to Reflex's upload
route (`rx.upload_files_chunk`, covered by the CSRF guard) into the background event, which
stops reading past the size limit and hands the bytes to the service (uploads.check_upload
decides everything else: type, pixels, colour mode, EXIF orientation).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import reflex as rx

from pixel_studio.db import read_session, session_scope
from pixel_studio.logging_setup import request_context
from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio import editing
from pixel_studio.services.studio.images import get_visible_image
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, per_user
from pixel_studio.state.create import user_default_private
from pixel_studio.state.edit_form import (
    NO_ERRORS,
    START_PAGE_FIELDS,
    EditModel,
    EditValues,
    cost_of,
    edit_models,
    request_data,
    unshown,
)
from pixel_studio.state.image_cards import image_card
from pixel_studio.state.job_form import JobFormMixin, refusal
from pixel_studio.state.job_views import JobView, balance_of, job_view
from pixel_studio.state.route_params import parse_id
from pixel_studio.state.settings_page import read_capped
from pixel_studio.storage import get_storage
from pixel_studio.storage.images import InvalidImage

log = logging.getLogger(__name__)

UPLOAD_ID = "start-image"
# The page's upload widget refuses bigger files before they are sent (pages never import
# services: the limit reaches them through this state).
MAX_UPLOAD_BYTES = editing.MAX_UPLOAD_BYTES
UPLOAD_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}
PATH = "/edit"


@dataclasses.dataclass(frozen=True)
class StartImage:
    image_id: int
    thumb: str
    title: str
    width: int
    height: int
    model: str


def read_start_image(viewer_id: int, image_id: int) -> StartImage:
    """The image to start from, as this viewer may see it. NotFound otherwise."""
    with read_session() as session:
        image = get_visible_image(session, viewer_id, image_id)
        card = image_card(get_storage(), image, viewer_id)
        return StartImage(
            card.image_id, card.thumb, image.prompt, image.width, image.height, image.model
        )


def start_image_job(
    user_id: int, data: dict[str, Any], upload: bytes | None
) -> tuple[JobView | None, int | None]:
    """Pay for and queue the image-to-image job (from `data["source_image_id"]` or `upload`).
    Raises ServiceError (RequestErrors by field), NotFound."""
    with request_context() as rid, session_scope() as session:
        log.info("user %s starts image to image (request %s)", user_id, rid)
        job = editing.create_edit_job(session, user_id, data, get_settings(), upload=upload)
        return job_view(session, get_storage(), user_id, job.id), balance_of(session, user_id)


@per_user
class StartImageState(JobFormMixin, rx.State):
    source_id: rx.Field[int] = rx.field(0)  # 0: start from an upload
    source_thumb: rx.Field[str] = rx.field("")
    source_title: rx.Field[str] = rx.field("")
    source_size: rx.Field[str] = rx.field("")
    models: rx.Field[list[EditModel]] = rx.field(default_factory=list)
    model_id: rx.Field[str] = rx.field("")
    prompt: rx.Field[str] = rx.field("")
    strength: rx.Field[float] = rx.field(0.6)
    count: rx.Field[str] = rx.field("1")
    private: rx.Field[bool] = rx.field(False)
    uploading: rx.Field[bool] = rx.field(False)
    # JobFormMixin's setters name these; this form does not ask for them.
    style_preset: rx.Field[str] = rx.field("none")
    size: rx.Field[str] = rx.field("")
    seed: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    form_error: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)

    @rx.var
    def cost(self) -> int:
        return cost_of(self.models, self.model_id, self.count)

    @rx.var
    def other_errors(self) -> str:
        return unshown(self.errors, START_PAGE_FIELDS)

    @rx.var
    def strength_text(self) -> str:
        return f"{self.strength:.2f}"

    @rx.var
    def count_choices(self) -> list[str]:
        model = next((m for m in self.models if m.id == self.model_id), None)
        return [str(n) for n in range(1, min(model.max_images if model else 1, 4) + 1)]

    def _clear_error(self, name: str, /) -> None:
        if self.errors.get(name) or self.form_error:
            self.errors = {**self.errors, name: ""}
            self.form_error = ""

    def _no_errors(self) -> dict[str, str]:
        return dict(NO_ERRORS)

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user` and `JobsState.load`): the models that can
        start from an image, and the image in `?from=` if the viewer may see it."""
        self.models = edit_models("image-to-image", get_settings())
        if self.model_id not in {m.id for m in self.models}:
            self.model_id = self.models[0].id if self.models else ""
        self.errors, self.form_error = dict(NO_ERRORS), ""
        self.submitting = self.uploading = False
        self.source_id, self.source_thumb, self.source_title, self.source_size = 0, "", "", ""
        user_id = (await self.get_state(AuthState))._user_id
        if user_id is None:
            return
        image_id = parse_id(self.router.url.query_parameters.get("from"))
        if image_id is None:
            self.private = await asyncio.to_thread(user_default_private, user_id)
            return
        try:
            start = await asyncio.to_thread(read_start_image, user_id, image_id)
        except NotFound:
            self.form_error = "That image is not available. Upload a file to start from instead."
            return
        self.source_id, self.source_thumb, self.source_title = (
            start.image_id,
            start.thumb,
            start.title,
        )
        self.source_size = f"{start.width} × {start.height}"
        if any(m.id == start.model for m in self.models):
            self.model_id = start.model

    @rx.event
    def set_model(self, value: str) -> None:
        if any(m.id == value for m in self.models):
            self.model_id = value
        self._clear_error("model")

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value
        self._clear_error("prompt")

    @rx.event
    def set_strength(self, value: float | str) -> None:
        """The range input's value ("0.65"); the service checks the range again."""
        try:
            self.strength = min(1.0, max(0.0, round(float(value), 2)))
        except ValueError:
            return
        self._clear_error("strength")

    @rx.event
    def set_private(self, value: bool) -> None:
        self.private = bool(value)

    @rx.event
    def use_upload(self) -> None:
        """Forget the image from `?from=`: the next start is an uploaded file."""
        self.source_id, self.source_thumb, self.source_title, self.source_size = 0, "", "", ""
        self._clear_error("image")

    @rx.event
    def upload_rejected(self, rejected: list[dict[str, Any]]) -> Any:
        """The browser refused the file (type or size) before sending it."""
        message = "Choose a PNG, JPEG or WebP image of at most 20 MB."
        self.errors = {**self.errors, "image": message}
        return rx.toast.error(message)

    def _data(self) -> dict[str, Any]:
        values = EditValues(
            operation="image-to-image",
            model=self.model_id,
            source_image_id=self.source_id or None,
            prompt=self.prompt,
            strength=f"{self.strength:g}",
            count=self.count,
            private=self.private,
        )
        return request_data(values)

    async def _start(self, user_id: int, data: dict[str, Any], upload: bytes | None) -> Any:
        try:
            view, balance = await asyncio.to_thread(start_image_job, user_id, data, upload)
        except Exception as exc:
            async with self:
                self.uploading = False
            if isinstance(exc, NotFound):
                return await self._refused({"image": "That image is not available any more."})
            return await self._refused(refusal(exc, "The job could not be started."))
        async with self:
            self.uploading = False
            await self._show_started([view] if view is not None else [], balance)
        return [
            rx.clear_selected_files(UPLOAD_ID),
            rx.toast.success("Started. The new image appears in Your jobs as it finishes."),
        ]

    @rx.event(background=True)
    async def start_from_image(self, form: dict[str, Any] | None = None) -> Any:
        async with self:
            user_id, answer = await self._open_submission(form)
            if user_id is None:
                return answer
            data = self._data()
        return await self._start(user_id, data, None)

    @rx.event(background=True)
    async def start_from_upload(self, chunks: rx.UploadChunkIterator) -> Any:
        async with self:
            user_id, answer = await self._open_submission()
            self.uploading = user_id is not None
            data = self._data()
        if user_id is None:
            async for _chunk in chunks:  # the stream must be consumed all the same
                pass
            return answer
        try:
            upload = await read_capped(chunks, MAX_UPLOAD_BYTES)
        except InvalidImage as exc:
            async with self:
                self.uploading = False
            return await self._refused({"image": str(exc)})
        data.pop("source_image_id", None)
        return await self._start(user_id, data, upload)
