"""Editing from the image page: Vary, Inpaint (with the mask painter), Zoom out and Upscale,
and the image's lineage ("Made from <source>", the images made from it).

`EditState` is the form: choosing an action opens it under the picture with the models that
can do it (services/studio/editing.models_for), its options, count, privacy and live cost.
Submitting pays for and queues the job (`editing.create_edit_job`) in a background event; the job
shows in the page's "Your jobs" panel at once and fills in live (state/jobs.py, state/live.py),
and the live listener refreshes `LineageState` so each new image appears in "Made from this
image" as it finishes.

The painted mask arrives from the painter as a PNG data URL (components/mask_painter.py). It
is kept server-side only (`_mask`): sending it back down to the tab would double the traffic.
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
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, per_user
from pixel_studio.state.create import user_default_private
from pixel_studio.state.edit_form import (
    IMAGE_PAGE_FIELDS,
    NO_ERRORS,
    PAGE_OPERATIONS,
    SUBMIT_LABELS,
    TITLES,
    EditModel,
    EditValues,
    cost_of,
    edit_models,
    offered,
    pick_model,
    request_data,
    result_size,
    unshown,
)
from pixel_studio.state.image_cards import ImageCard, card_view
from pixel_studio.state.job_form import JobFormMixin, refusal
from pixel_studio.state.job_views import JobView, balance_of, job_view
from pixel_studio.state.route_params import id_from_path
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

# Keyboard and screen-reader users land in the form they opened (it renders after the delta).
# Focus moves to the form's heading once it is on screen: the panel renders with the same delta
# as this script arrives, later on a slow device, so look again every 50 ms for up to 3 s
# (a single try after 60 ms left a keyboard user on the button, or on the page, at times).
FOCUS_FORM = rx.call_script(
    "(function f(n){const e=document.getElementById('edit-form-title');"
    "if(e){e.focus();}else if(n>0){setTimeout(()=>f(n-1),50);}})(60)"
)
MASK_TOO_LARGE = "too-large"  # what the painter sends when the mask would not fit the socket


@dataclasses.dataclass(frozen=True)
class SourceLink:
    """The image this one was made from, as a link ("Made from <title>")."""

    image_id: int
    href: str
    thumb: str
    title: str


@dataclasses.dataclass(frozen=True)
class LineageView:
    how: str  # "Vary (strong)", "Upscale 4×", "" for a text image
    source: SourceLink | None
    from_upload: bool
    derived: list[ImageCard]


def read_lineage(viewer_id: int | None, image_id: int) -> LineageView:
    """Where the image came from and what was made from it, as this viewer may see them.
    NotFound when the image is not visible."""
    storage = get_storage()
    with read_session() as session:
        found = editing.lineage(session, viewer_id, image_id)
    source = None
    if found.source is not None:
        card = card_view(storage, found.source, viewer_id)
        source = SourceLink(card.image_id, card.href, card.thumb, found.source.prompt)
    return LineageView(
        how=editing.describe_edit(found.operation, {"edit": found.edit}),
        source=source,
        from_upload=found.from_upload,
        derived=[card_view(storage, c, viewer_id) for c in found.derived.items],
    )


def start_edit(
    user_id: int, data: dict[str, Any], mask: str | None
) -> tuple[JobView | None, int | None]:
    """Pay for and queue the edit. Returns the job as the panel shows it and the new balance.
    Raises ServiceError (RequestErrors: every field problem at once), NotFound."""
    # A socket event has no HTTP request id: the submission gets its own (logging_setup.py).
    with request_context() as rid, session_scope() as session:
        log.info("user %s submits a %s (request %s)", user_id, data.get("operation"), rid)
        job = editing.create_edit_job(session, user_id, data, get_settings(), mask=mask)
        return job_view(session, get_storage(), user_id, job.id), balance_of(session, user_id)


class LineageState(rx.State):
    """The image page's lineage: "Made from <source>" and the strip made from this image."""

    how: rx.Field[str] = rx.field("")
    has_source: rx.Field[bool] = rx.field(False)
    source_href: rx.Field[str] = rx.field("")
    source_thumb: rx.Field[str] = rx.field("")
    source_title: rx.Field[str] = rx.field("")
    from_upload: rx.Field[bool] = rx.field(False)
    derived: rx.Field[list[ImageCard]] = rx.field(default_factory=list)

    def _show(self, view: LineageView | None) -> None:
        source = view.source if view is not None else None
        self.how = view.how if view is not None else ""
        self.has_source = source is not None
        self.source_href = source.href if source else ""
        self.source_thumb = source.thumb if source else ""
        self.source_title = source.title if source else ""
        self.from_upload = bool(view and view.from_upload)
        self.derived = view.derived if view is not None else []

    async def _read(self) -> None:
        image_id = id_from_path(str(self.router.url.path or ""))
        auth = await self.get_state(AuthState)
        view = None
        if image_id is not None:
            try:
                view = await asyncio.to_thread(read_lineage, auth._user_id, image_id)
            except NotFound:
                view = None
        self._show(view)

    @rx.event
    async def load(self) -> None:
        """After `ImagePageState.load`: the lineage of the image in the URL."""
        await self._read()

    @rx.event
    async def refresh(self) -> None:
        """A job of this user moved (state/live.py): a new image may have been made from this
        one. Read again (the visibility rule applies as at load)."""
        await self._read()


@per_user
class EditState(JobFormMixin, rx.State):
    image_id: rx.Field[int] = rx.field(0)
    image_url: rx.Field[str] = rx.field("")
    image_alt: rx.Field[str] = rx.field("")
    width: rx.Field[int] = rx.field(0)
    height: rx.Field[int] = rx.field(0)
    offered: rx.Field[list[str]] = rx.field(default_factory=list)  # actions to show
    operation: rx.Field[str] = rx.field("")  # the open form; "" when none is
    models: rx.Field[list[EditModel]] = rx.field(default_factory=list)
    model_id: rx.Field[str] = rx.field("")
    prompt: rx.Field[str] = rx.field("")
    vary: rx.Field[str] = rx.field("subtle")
    zoom: rx.Field[str] = rx.field("1.5")
    direction: rx.Field[str] = rx.field("all")
    factor: rx.Field[str] = rx.field("2")
    count: rx.Field[str] = rx.field("1")
    private: rx.Field[bool] = rx.field(False)
    mask_painted: rx.Field[bool] = rx.field(False)
    # JobFormMixin's setters name these; the edit form does not ask for them.
    style_preset: rx.Field[str] = rx.field("none")
    size: rx.Field[str] = rx.field("")
    seed: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    form_error: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)
    _image_model: str = ""
    _mask: str = ""

    # ------------------------------------------------------------ derived

    @rx.var
    def cost(self) -> int:
        return cost_of(self.models, self.model_id, self.count)

    @rx.var
    def title(self) -> str:
        return TITLES.get(self.operation, "")

    @rx.var
    def other_errors(self) -> str:
        return unshown(self.errors, IMAGE_PAGE_FIELDS)

    @rx.var
    def submit_label(self) -> str:
        return SUBMIT_LABELS.get(self.operation, "Start")

    @rx.var
    def count_choices(self) -> list[str]:
        model = next((m for m in self.models if m.id == self.model_id), None)
        return [str(n) for n in range(1, min(model.max_images if model else 1, 4) + 1)]

    @rx.var
    def result_size(self) -> str:
        values = EditValues(
            self.operation,
            self.model_id,
            zoom=self.zoom,
            direction=self.direction,
            factor=self.factor,
        )
        return result_size(self.operation, self.width, self.height, values)

    @rx.var
    def start_href(self) -> str:
        return f"/edit?from={self.image_id}"

    # ------------------------------------------------------------ load

    def _clear_error(self, name: str, /) -> None:
        if self.errors.get(name) or self.form_error:
            self.errors = {**self.errors, name: ""}
            self.form_error = ""

    def _no_errors(self) -> dict[str, str]:
        return dict(NO_ERRORS)

    def _show_image(
        self, image_id: int, url: str, alt: str, width: int, height: int, model: str
    ) -> None:
        """The image the page shows (ImagePageState.load hands it over: one read)."""
        if image_id != self.image_id:
            self.operation, self._mask, self.mask_painted, self.prompt = "", "", False, ""
        self.image_id, self.image_url, self.image_alt = image_id, url, alt
        self.width, self.height, self._image_model = width, height, model
        self.offered = offered(get_settings()) if image_id else []
        self.errors, self.form_error, self.submitting = dict(NO_ERRORS), "", False

    # ------------------------------------------------------------ inputs

    async def _open(self, operation: str) -> None:
        if operation not in PAGE_OPERATIONS or operation not in self.offered:
            return
        if not self.operation:  # privacy as on /create: the user's default, then theirs
            user_id = (await self.get_state(AuthState))._user_id
            if user_id is not None:
                self.private = await asyncio.to_thread(user_default_private, user_id)
        self.operation = operation
        self.models = edit_models(operation, get_settings())  # type: ignore[arg-type]
        self.model_id = pick_model(self.models, self._image_model)
        self.count = "1"
        self.errors, self.form_error = dict(NO_ERRORS), ""

    @rx.event
    async def open(self, operation: str) -> Any:
        """Open the form of one action (the page offers only those in `offered`)."""
        await self._open(operation)
        return FOCUS_FORM if self.operation else None

    @rx.event
    async def open_vary(self, strength: str) -> Any:
        self.vary = strength if strength in ("subtle", "strong") else "subtle"
        await self._open("variation")
        return FOCUS_FORM if self.operation else None

    @rx.event
    def close(self) -> None:
        self.operation = ""
        self.errors, self.form_error = dict(NO_ERRORS), ""

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
    def set_vary(self, value: str) -> None:
        self.vary = value
        self._clear_error("vary")

    @rx.event
    def set_zoom(self, value: str) -> None:
        self.zoom = value
        self._clear_error("zoom")

    @rx.event
    def set_direction(self, value: str) -> None:
        self.direction = value
        self._clear_error("direction")

    @rx.event
    def set_factor(self, value: str) -> None:
        self.factor = value
        self._clear_error("factor")

    @rx.event
    def set_private(self, value: bool) -> None:
        self.private = bool(value)

    @rx.event
    def set_mask(self, data_url: str) -> Any:
        """The painter's mask after each change ("" when nothing is painted)."""
        if data_url == MASK_TOO_LARGE:
            self._mask, self.mask_painted = "", False
            self.errors = {**self.errors, "mask": "The mask is too detailed to send."}
            return None
        self._mask = data_url if data_url.startswith("data:image/png;base64,") else ""
        self.mask_painted = bool(self._mask)
        self._clear_error("mask")
        return None

    def _values(self) -> EditValues:
        return EditValues(
            operation=self.operation,
            model=self.model_id,
            source_image_id=self.image_id,
            prompt=self.prompt,
            vary=self.vary,
            zoom=self.zoom,
            direction=self.direction,
            factor=self.factor,
            count=self.count,
            private=self.private,
        )

    # ------------------------------------------------------------ submit

    @rx.event(background=True)
    async def submit(self, form: dict[str, Any] | None = None) -> Any:
        async with self:
            if not self.operation:
                return None
            user_id, answer = await self._open_submission(form)
            if user_id is None:
                return answer
            data = request_data(self._values())
            mask = self._mask if self.operation == "inpaint" and self._mask else None
            what = TITLES.get(self.operation, "Edit")
        try:
            view, balance = await asyncio.to_thread(start_edit, user_id, data, mask)
        except NotFound:
            return await self._refused({"image": "This image is no longer available."})
        except Exception as exc:
            return await self._refused(refusal(exc, "The edit could not be started."))
        async with self:
            await self._show_started([view] if view is not None else [], balance)
        return rx.toast.success(f"{what}: started. The result appears below as it finishes.")
