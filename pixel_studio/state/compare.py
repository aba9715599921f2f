"""`/compare`: one prompt made 2–4 ways at once, the results side by side: 2–4 models, or
one model with 2–4 style presets, seeds or guidances (`vary`; services/studio/compare_variants.py).
With a single model available (a fresh install) the form starts on style presets.

Submitting pays for and queues one job per column (`compare.create_compare`) in a background
event, then goes to the comparison's own address, `/compare?sets=<set ids>`, so a reload or a
shared tab shows the same columns. Each column is a job as the jobs panel shows it
(`JobView`); the live listener (state/live.py) updates them as workers report progress.
`?again=<set ids>` fills the form from a comparison to run it again ("Compare again").
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import reflex as rx

from pixel_studio.catalog import STYLE_PRESETS, get_model
from pixel_studio.db import session_scope
from pixel_studio.logging_setup import request_context
from pixel_studio.services.studio import compare
from pixel_studio.services.studio.compare_variants import VARIES, Vary, variant_label
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, per_user
from pixel_studio.state.create_form import ModelOption, model_options
from pixel_studio.state.job_form import JobFormMixin, refusal
from pixel_studio.state.job_views import JobView, balance_of, job_view, merge
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

DEFAULT_SIZE = "default"  # "each model's own default size" (a select item cannot be "")
FIELDS = ("vary", "models", "values", "prompt", "size", "count", "seed", "style_preset")
NO_ERRORS: dict[str, str] = dict.fromkeys(FIELDS, "")
MAX_MODELS_TEXT = f"choose {compare.MIN_MODELS} to {compare.MAX_MODELS}"
DEFAULT_PRESETS = ["none", "anime"]  # a fresh install's first comparison: plain vs a preset
VARY_LABELS: dict[str, str] = {
    "model": "Models",
    "style_preset": "Style presets",
    "seed": "Seeds",
    "guidance": "Guidance",
}


@dataclasses.dataclass(frozen=True)
class VaryOption:
    """One thing the form can compare, and whether it can now (and if not, why)."""

    value: str
    label: str
    available: bool
    reason: str


def vary_options(models: list[ModelOption], model_id: str) -> list[VaryOption]:
    """Models need two available; the others need the chosen model to take the parameter."""
    one = next((m for m in models if m.id == model_id), models[0] if models else None)
    takes = {
        "model": len(models) >= compare.MIN_MODELS,
        "style_preset": bool(one and one.style_preset),
        "seed": bool(one and one.seed),
        "guidance": bool(one and one.guidance),
    }
    why = {
        "model": "Only one model is available here.",
        "style_preset": "This model takes no style preset.",
        "seed": "This model takes no seed.",
        "guidance": "This model takes no guidance.",
    }
    return [VaryOption(v, VARY_LABELS[v], takes[v], "" if takes[v] else why[v]) for v in VARIES]


def split_values(text: str) -> list[str]:
    """ "7, 42 9" → ["7", "42", "9"]: seeds or guidances as typed."""
    return [part for part in text.replace(",", " ").split() if part]


@dataclasses.dataclass(frozen=True)
class SizeChoice:
    value: str
    label: str


def ids_text(set_ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in set_ids)


def read_comparison(
    user_id: int, set_ids: list[int]
) -> tuple[list[JobView], dict[str, Any] | None]:
    """The columns of a comparison (the user's own sets only) and the form to run it again
    (with "labels": each column's heading by job id)."""
    storage = get_storage()
    with session_scope() as session:
        job_ids = compare.comparison_jobs(session, user_id, set_ids)
        views = [job_view(session, storage, user_id, job_id) for job_id in job_ids]
        again = compare.compare_again_defaults(session, user_id, set_ids)
        return [v for v in views if v is not None], again


def start_comparison(
    user_id: int, data: dict[str, Any], values: list[str], vary: Vary = "model"
) -> tuple[list[JobView], list[int], int | None]:
    """Pay for and queue one job per column. Raises ServiceError (RequestErrors by field)."""
    with request_context() as rid, session_scope() as session:
        log.info("user %s compares %s %s (request %s)", user_id, vary, values, rid)
        result = compare.create_compare(session, user_id, data, values, get_settings(), vary=vary)
        storage = get_storage()
        views = [job_view(session, storage, user_id, job.id) for job in result.jobs]
        return [v for v in views if v is not None], result.set_ids, balance_of(session, user_id)


def place_column(columns: list[JobView], view: JobView) -> list[JobView] | None:
    """`columns` with the job's column brought up to date, or None if it is not one of them."""
    for index, shown in enumerate(columns):
        if shown.job_id == view.job_id:
            out = list(columns)
            out[index] = merge(shown, view)
            return out
    return None


@per_user
class CompareState(JobFormMixin, rx.State):
    models: rx.Field[list[ModelOption]] = rx.field(default_factory=list)
    chosen: rx.Field[list[str]] = rx.field(default_factory=list)
    vary: rx.Field[str] = rx.field("model")
    model_id: rx.Field[str] = rx.field("")  # the one model, when something else varies
    presets: rx.Field[list[str]] = rx.field(default_factory=lambda: list(DEFAULT_PRESETS))
    values_text: rx.Field[str] = rx.field("")  # seeds or guidances, as typed
    labels: rx.Field[dict[str, str]] = rx.field(default_factory=dict)  # job id → heading
    prompt: rx.Field[str] = rx.field("")
    size: rx.Field[str] = rx.field(DEFAULT_SIZE)
    count: rx.Field[str] = rx.field("1")
    seed: rx.Field[str] = rx.field("")
    style_preset: rx.Field[str] = rx.field("none")
    private: rx.Field[bool] = rx.field(False)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    form_error: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)
    columns: rx.Field[list[JobView]] = rx.field(default_factory=list)
    set_ids: rx.Field[str] = rx.field("")  # the comparison shown, as its address has it

    # ------------------------------------------------------------ derived

    @rx.var
    def cost(self) -> int:
        count = int(self.count) if self.count.isdigit() else 1
        if self.vary == "model":
            return sum(m.price for m in self.models if m.id in self.chosen) * count
        one = next((m for m in self.models if m.id == self.model_id), None)
        # Spelled out (not self._values()): Reflex tracks the fields a var reads in its body.
        if self.vary == "style_preset":
            columns = len(self.presets)
        else:
            columns = len(split_values(self.values_text))
        return (one.price if one else 0) * columns * count

    @rx.var
    def vary_choices(self) -> list[VaryOption]:
        return vary_options(self.models, self.model_id)

    @rx.var
    def heading(self) -> str:
        noun = VARY_LABELS.get(self.vary, "Models").lower()
        return f"Compare {noun}"

    @rx.var
    def size_choices(self) -> list[SizeChoice]:
        """The sizes every chosen model makes, after "each model's default"."""
        if self.vary == "model":
            picked = [m for m in self.models if m.id in self.chosen] or self.models[:1]
        else:
            picked = [m for m in self.models if m.id == self.model_id] or self.models[:1]
        common = [
            c
            for c in (picked[0].sizes if picked else [])
            if all(c.value in {s.value for s in m.sizes} for m in picked)
        ]
        return [SizeChoice(DEFAULT_SIZE, "Each model's default")] + [
            SizeChoice(c.value, c.label) for c in common
        ]

    @rx.var
    def preset_choices(self) -> list[str]:
        return list(STYLE_PRESETS)

    @rx.var
    def again_url(self) -> str:
        return f"/compare?again={self.set_ids}" if self.set_ids else "/compare"

    # ------------------------------------------------------------ load

    def _fill(self, values: dict[str, Any]) -> None:
        available = {m.id for m in self.models}
        self.chosen = [m for m in values.get("models", []) if m in available]
        self.prompt = str(values.get("prompt") or "")
        size = str(values.get("size") or "")
        self.size = size or DEFAULT_SIZE
        self.count = str(values.get("count") or 1)
        seed = values.get("seed")
        self.seed = "" if seed is None else str(seed)
        self.style_preset = str(values.get("style_preset") or "none")
        self.private = bool(values.get("private"))
        vary = str(values.get("vary") or "model")
        self.vary = vary if vary in VARIES else "model"
        if self.vary != "model":
            models = values.get("models") or []
            self.model_id = models[0] if models and models[0] in available else self.model_id
            shown = [str(v) for v in values.get("values", []) if v is not None]
            if self.vary == "style_preset":
                self.presets = shown
            else:
                self.values_text = ", ".join(shown)

    def _default_choice(self) -> None:
        """A fresh form: two models when there are two, else two presets of the one."""
        self.chosen = [m.id for m in self.models[:2]]
        self.model_id = self.model_id or (self.models[0].id if self.models else "")
        usable = [o.value for o in vary_options(self.models, self.model_id) if o.available]
        self.vary = usable[0] if usable else "model"

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user` and `JobsState.load`): the models, then
        the comparison in `?sets=` (columns and its form) or `?again=` (its form only)."""
        auth = await self.get_state(AuthState)
        user_id = auth._user_id
        # Models that draw from text (an upscaler only edits: nothing to compare it on).
        self.models = [
            m
            for m in model_options(get_settings())
            if m.available and get_model(m.id).text_to_image
        ]
        self.errors, self.form_error, self.submitting = dict(NO_ERRORS), "", False
        params = self.router.url.query_parameters
        shown = compare.parse_set_ids(str(params.get("sets") or ""))
        again = compare.parse_set_ids(str(params.get("again") or ""))
        self.columns, self.set_ids, self.labels = [], "", {}
        if not self.model_id or self.model_id not in {m.id for m in self.models}:
            self.model_id = self.models[0].id if self.models else ""
        if user_id is None:
            return
        if shown or again:
            views, values = await asyncio.to_thread(read_comparison, user_id, shown or again)
            if values is not None:
                self._fill(values)
                self.labels = dict(values.get("labels") or {})
            elif again:
                self.form_error = "That comparison is not available. The form starts empty."
            if shown:
                self.columns = views
                self.set_ids = ids_text([v.set_id for v in views])
            return
        if not self.chosen:
            self._default_choice()

    # ------------------------------------------------------------ inputs

    def _clear_error(self, *names: str) -> None:
        if any(self.errors.get(n) for n in names) or self.form_error:
            self.errors = {**self.errors, **dict.fromkeys(names, "")}
            self.form_error = ""

    @rx.event
    def toggle_model(self, model_id: str, checked: bool) -> None:
        chosen = [m for m in self.chosen if m != model_id]
        if checked and any(m.id == model_id for m in self.models):
            chosen.append(model_id)
        self.chosen = [m.id for m in self.models if m.id in chosen]  # the catalog's order
        if self.size not in {c.value for c in self.size_choices}:
            self.size = DEFAULT_SIZE
        self._clear_error("models", "size")

    @rx.event
    def set_vary(self, value: str) -> None:
        if value in VARIES:
            self.vary = value
        if self.size not in {c.value for c in self.size_choices}:
            self.size = DEFAULT_SIZE
        self._clear_error("vary", "values", "models", "seed", "style_preset")

    @rx.event
    def set_one_model(self, value: str) -> None:
        if any(m.id == value for m in self.models):
            self.model_id = value
        usable = {o.value for o in self.vary_choices if o.available}
        if self.vary not in usable and usable:
            self.vary = next(v for v in VARIES if v in usable)
        if self.size not in {c.value for c in self.size_choices}:
            self.size = DEFAULT_SIZE
        self._clear_error("models", "values", "size")

    @rx.event
    def toggle_preset(self, preset: str, checked: bool) -> None:
        chosen = [p for p in self.presets if p != preset] + ([preset] if checked else [])
        self.presets = [p for p in STYLE_PRESETS if p in chosen]  # the list's order
        self._clear_error("values")

    @rx.event
    def set_values_text(self, value: str) -> None:
        self.values_text = value
        self._clear_error("values")

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value
        self._clear_error("prompt")

    @rx.event
    def set_private(self, value: bool) -> None:
        self.private = bool(value)

    def _typed_fields(self) -> dict[str, str]:
        return {"prompt": "prompt", "values": "values_text"}

    def _values(self) -> list[str]:
        """What varies, one value per column."""
        if self.vary == "model":
            return list(self.chosen)
        if self.vary == "style_preset":
            return list(self.presets)
        return split_values(self.values_text)

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "prompt": self.prompt,
            "count": self.count,
            "private": self.private,
        }
        if self.vary != "style_preset":
            data["style_preset"] = self.style_preset
        if self.vary != "model":
            data["model"] = self.model_id
        if self.size != DEFAULT_SIZE:
            data["size"] = self.size
        if self.seed and self.vary != "seed":
            data["seed"] = self.seed
        return data

    def _labels(self, views: list[JobView], values: list[str]) -> dict[str, str]:
        if self.vary == "model" or len(views) != len(values):
            return {v.job_id: v.model_name for v in views}
        vary: Vary = self.vary  # type: ignore[assignment]  # checked in set_vary
        return {
            v.job_id: variant_label(vary, value) for v, value in zip(views, values, strict=True)
        }

    # ------------------------------------------------------------ submit

    def _no_errors(self) -> dict[str, str]:
        return dict(NO_ERRORS)

    @rx.event(background=True)
    async def generate(self, form: dict[str, Any] | None = None) -> Any:
        async with self:
            user_id, answer = await self._open_submission(form)
            if user_id is None:
                return answer
            data, values = self._data(), self._values()
            vary: Vary = self.vary  # type: ignore[assignment]  # one of VARIES (set_vary)
        try:
            views, set_ids, balance = await asyncio.to_thread(
                start_comparison, user_id, data, values, vary
            )
        except Exception as exc:
            return await self._refused(refusal(exc, "The comparison could not be started."))
        async with self:
            self.columns, self.set_ids = views, ids_text(set_ids)
            self.labels = self._labels(views, values)
            await self._show_started(views, balance)
        noun = VARY_LABELS[vary].lower()
        # The comparison's own address: a reload shows these columns again.
        return [
            rx.redirect(f"/compare?sets={ids_text(set_ids)}", replace=True),
            rx.toast.success(f"Comparing {len(views)} {noun}. Each column fills in live."),
        ]

    def _apply_job_view(self, view: JobView) -> bool:
        """A job changed (live event): update its column if this page shows it."""
        columns = place_column(self.columns, view)
        if columns is None:
            return False
        self.columns = columns
        return True
