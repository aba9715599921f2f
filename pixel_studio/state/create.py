"""`/create`: the generation form. Submitting pays for a job and queues it
(`generation.create_job`) in a background event; the job then shows in the jobs panel at once
and fills in live (state/jobs.py, state/live.py).

Prefill: `?from=<image id>` remixes an image (`sets.remix_defaults`, which records the parent),
`?set=<set id>` runs a set again with its parameters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from typing import Any

import reflex as rx
from sqlmodel import Session

from pixel_studio.db import session_scope
from pixel_studio.logging_setup import request_context
from pixel_studio.models import User
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import NotFound
from pixel_studio.services.rate_limits import get_limiter
from pixel_studio.services.studio import generation
from pixel_studio.services.studio import sets as sets_service
from pixel_studio.services.studio.generation import MAX_PROMPT
from pixel_studio.services.studio.images import get_visible_image, image_url
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, per_user
from pixel_studio.state.create_form import (
    NO_ERRORS,
    FormValues,
    ModelOption,
    count_of,
    find_model,
    fit_to_model,
    model_options,
    request_data,
    values_from_params,
)
from pixel_studio.state.job_form import JobFormMixin, refusal
from pixel_studio.state.job_views import JobView, balance_of, job_view
from pixel_studio.state.route_params import parse_id
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Prefill:
    values: FormValues
    note: str  # what the form was filled from, said above it
    parent_thumb: str = ""


def _default_private(session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return bool(user and user.default_private)


def user_default_private(user_id: int) -> bool:
    with session_scope() as session:
        return _default_private(session, user_id)


def read_prefill(user_id: int, image_id: int | None, set_id: int | None) -> Prefill:
    """Form values from an image (remix) or a set (run again). Raises NotFound."""
    with session_scope() as session:
        if image_id is not None:
            params = sets_service.remix_defaults(session, user_id, image_id)
            image = get_visible_image(session, user_id, image_id)
            thumb = image_url(get_storage(), image, user_id, thumbnail=True)
            values = values_from_params(params, bool(params.get("private")))
            return Prefill(values, "Remixing an image: change anything, then generate.", thumb)
        assert set_id is not None
        detail = sets_service.get_set(session, user_id, set_id)
        private = (
            bool(detail.params.get("private"))
            if detail.is_owner
            else _default_private(session, user_id)
        )
        values = values_from_params({**detail.params, "parent_image_id": None}, private)
        return Prefill(values, "Prefilled from one of your sets: run it again or adjust it.")


def start_job(user_id: int, data: dict[str, Any]) -> tuple[JobView | None, int | None]:
    """Pay for and queue the job. Returns the job as the panel shows it and the new balance.
    Raises ServiceError (RequestErrors: every field problem at once)."""
    settings = get_settings()
    # Refused input does not use up the generation tier: only real attempts count.
    generation.validate_request(data, settings)
    rate_limits.hit(get_limiter(), rate_limits.GENERATION, rate_limits.user_key(user_id), settings)
    # A socket event has no HTTP request id: the submission gets its own, which the job's
    # log lines carry into the worker or job thread (logging_setup.py).
    with request_context() as rid, session_scope() as session:
        log.info("user %s submits a generation from the create page (request %s)", user_id, rid)
        job = generation.create_job(session, user_id, data, settings)
        return job_view(session, get_storage(), user_id, job.id), balance_of(session, user_id)


@per_user
class CreateState(JobFormMixin, rx.State):
    models: rx.Field[list[ModelOption]] = rx.field(default_factory=list)
    prompt: rx.Field[str] = rx.field("")
    negative_prompt: rx.Field[str] = rx.field("")
    model_id: rx.Field[str] = rx.field("")
    style_preset: rx.Field[str] = rx.field("none")
    size: rx.Field[str] = rx.field("")
    count: rx.Field[str] = rx.field("1")
    seed: rx.Field[str] = rx.field("")
    guidance: rx.Field[str] = rx.field("")
    steps: rx.Field[str] = rx.field("")
    quality: rx.Field[str] = rx.field("")
    style: rx.Field[str] = rx.field("vivid")
    private: rx.Field[bool] = rx.field(False)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    form_error: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)
    # False in the prerendered page and until `load` has found a signed-in user: the form is
    # shown but inert (pages/studio/create.py).
    ready: rx.Field[bool] = rx.field(False)
    prefill_note: rx.Field[str] = rx.field("")
    parent_thumb: rx.Field[str] = rx.field("")
    remixing: rx.Field[bool] = rx.field(False)
    _parent_image_id: int | None = None
    _initialized: bool = False

    # ------------------------------------------------------------ derived

    @rx.var
    def selected(self) -> ModelOption:
        # Before `load` the list is empty; the catalog then answers (cheap, no I/O).
        return find_model(self.models or model_options(get_settings()), self.model_id)

    @rx.var
    def count_choices(self) -> list[str]:
        return [str(n) for n in range(1, self.selected.max_images + 1)]

    @rx.var
    def cost(self) -> int:
        return self.selected.price * count_of(self.count)

    @rx.var
    def prompt_length(self) -> int:
        return len(self.prompt)

    @rx.var
    def prompt_too_long(self) -> bool:
        return len(self.prompt) > MAX_PROMPT

    # ------------------------------------------------------------ form values

    def _values(self) -> FormValues:
        return FormValues(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            model=self.model_id,
            style_preset=self.style_preset,
            size=self.size,
            count=self.count,
            seed=self.seed,
            guidance=self.guidance,
            steps=self.steps,
            quality=self.quality,
            style=self.style,
            private=self.private,
            parent_image_id=self._parent_image_id,
        )

    def _fill(self, values: FormValues) -> None:
        values = fit_to_model(values, find_model(self.models, values.model))
        self.prompt, self.negative_prompt = values.prompt, values.negative_prompt
        self.model_id, self.style_preset = values.model, values.style_preset
        self.size, self.count, self.seed = values.size, values.count, values.seed
        self.guidance, self.steps = values.guidance, values.steps
        self.quality, self.style, self.private = values.quality, values.style, values.private
        self._parent_image_id = values.parent_image_id
        self.remixing = values.parent_image_id is not None

    def _clear_error(self, name: str) -> None:
        if self.errors.get(name):
            self.errors = {**self.errors, name: ""}

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user`): models, then a prefill or a fresh form.

        A draft survives leaving the page and coming back; a `?from=` or `?set=` link
        replaces it."""
        auth = await self.get_state(AuthState)
        user_id = auth._user_id
        self.models = model_options(get_settings())
        self.errors, self.form_error, self.submitting = dict(NO_ERRORS), "", False
        self.ready = user_id is not None
        if user_id is None:
            return
        params = self.router.url.query_parameters
        image_id, set_id = parse_id(params.get("from")), parse_id(params.get("set"))
        if image_id is not None or set_id is not None:
            try:
                prefill = await asyncio.to_thread(read_prefill, user_id, image_id, set_id)
            except NotFound as exc:
                self.form_error = f"{exc.message} The form starts empty instead."
            else:
                self._fill(prefill.values)
                self.prefill_note, self.parent_thumb = prefill.note, prefill.parent_thumb
                self._initialized = True
                return
        if not self._initialized or not self.model_id:
            private = await asyncio.to_thread(user_default_private, user_id)
            self._fill(FormValues(model=find_model(self.models, "").id, private=private))
            self.prefill_note, self.parent_thumb = "", ""
            self._initialized = True
        else:
            self._fill(self._values())  # availability may have changed since

    # ------------------------------------------------------------ inputs

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value
        self._clear_error("prompt")

    @rx.event
    def set_negative_prompt(self, value: str) -> None:
        self.negative_prompt = value
        self._clear_error("negative_prompt")

    @rx.event
    def set_model(self, value: str) -> None:
        option = find_model(self.models, value)
        self._fill(dataclasses.replace(self._values(), model=option.id))
        # Errors of fields the new model hides would be stuck on screen: start clean.
        self.errors = dict(NO_ERRORS, prompt=self.errors.get("prompt", ""))

    @rx.event
    def random_seed(self) -> None:
        self.seed = str(random.randint(0, MAX_SEED))
        self._clear_error("seed")

    @rx.event
    def set_guidance(self, value: str) -> None:
        self.guidance = value.strip()
        self._clear_error("guidance")

    @rx.event
    def set_steps(self, value: str) -> None:
        self.steps = value.strip()
        self._clear_error("steps")

    @rx.event
    def set_quality(self, value: str) -> None:
        self.quality = value

    @rx.event
    def set_style(self, value: str) -> None:
        self.style = value

    @rx.event
    def set_private(self, value: bool) -> None:
        self.private = bool(value)

    @rx.event
    def stop_remix(self) -> None:
        """Keep the values but make a fresh job instead of a remix."""
        self._parent_image_id = None
        self.remixing = False
        self.prefill_note, self.parent_thumb = "", ""

    # ------------------------------------------------------------ submit

    def _no_errors(self) -> dict[str, str]:
        return dict(NO_ERRORS)

    def _typed_fields(self) -> dict[str, str]:
        return {name: name for name in ("prompt", "seed", "guidance", "steps")}

    @rx.event(background=True)
    async def generate(self, form: dict[str, Any] | None = None) -> Any:
        async with self:
            user_id, answer = await self._open_submission(form)
            if user_id is None:
                return answer
            data = request_data(self._values(), find_model(self.models, self.model_id))
        try:
            view, balance = await asyncio.to_thread(start_job, user_id, data)
        except Exception as exc:
            failure = "The job could not be started. Please try again."
            return await self._refused(refusal(exc, failure))
        async with self:
            await self._show_started([view] if view is not None else [], balance)
        count = count_of(str(data["count"]))
        noun = "image" if count == 1 else "images"
        return rx.toast.success(f"Started: {count} {noun}. Each shows in Your jobs as it finishes.")
