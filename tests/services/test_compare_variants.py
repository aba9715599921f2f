"""Comparisons of one model with itself (issue 12, item 4): a fresh install has only
local-sketch, so it compares style presets or seeds. One debit for every column, each column a
real job drawn by the real provider, the refusals at their fields, and the comparison read back
with what varied (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import CreditTransaction, ImageSet, JobStatus
from pixel_studio.services import rate_limits
from pixel_studio.services.studio import compare, generation
from pixel_studio.services.studio.compare_variants import infer_vary, variant_label
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, balance, fresh_job, images_of, make_user


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "prompt": "a harbour at dawn",
        "size": "256x256",
        "model": "local-sketch",
    }
    data.update(fields)
    return data


def _create(
    session: Session, uid: int, settings: Settings, vary: Any, values: list[str], **data: Any
) -> compare.Comparison:
    return compare.create_compare(
        session,
        uid,
        _form(**data),
        values,
        settings,
        vary=vary,
        enqueue=lambda _job_id: None,
        publish=Events(),
        limiter=rate_limits.limiter_for(MemoryCache()),
    )


def test_two_style_presets_of_local_sketch_one_debit_two_real_pictures(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "pia", 5)
    result = _create(session, uid, settings, "style_preset", ["none", "neon-punk"], seed=11)
    assert balance(session, uid) == 3 and result.balance == 3
    sets = [session.get(ImageSet, s) for s in result.set_ids]
    assert [(s.model, s.params["style_preset"], s.params["seed"]) for s in sets if s] == [
        ("local-sketch", "none", 11),
        ("local-sketch", "neon-punk", 11),
    ]
    notes = session.exec(
        select(CreditTransaction.note)
        .where(CreditTransaction.kind == "spend")
        .order_by(col(CreditTransaction.id))
    ).all()
    assert notes[-1].endswith("(Neon punk)")
    for job in result.jobs:
        run_job(
            job.id,
            engine=db,
            settings=settings,
            storage=storage,
            publish=Events(),
            sleep=lambda _s: None,
        )
    assert [fresh_job(session, j.id).status for j in result.jobs] == [JobStatus.succeeded] * 2
    pictures = [storage.get(images_of(session, j.id)[0].original_key) for j in result.jobs]
    decoded = [PILImage.open(io.BytesIO(p)).convert("RGB") for p in pictures]
    assert all(d.size == (256, 256) for d in decoded)
    assert decoded[0].tobytes() != decoded[1].tobytes()  # the preset changed the picture
    assert generation.ledger_mismatches(session) == []

    again = compare.compare_again_defaults(session, uid, result.set_ids)
    assert again is not None
    assert (again["vary"], again["values"], again["models"]) == (
        "style_preset",
        ["none", "neon-punk"],
        ["local-sketch"],
    )
    assert list(again["labels"].values()) == ["No preset", "Neon punk"]


def test_seeds_compare_too_and_are_read_back_as_seeds(session: Session, settings: Settings) -> None:
    uid = make_user(session, "quin", 5)
    result = _create(session, uid, settings, "seed", ["7", " 42"], style_preset="anime")
    again = compare.compare_again_defaults(session, uid, result.set_ids)
    assert again is not None and (again["vary"], again["values"]) == ("seed", [7, 42])
    assert again["style_preset"] == "anime" and again["seed"] is None
    assert list(again["labels"].values()) == ["Seed 7", "Seed 42"]


@pytest.mark.parametrize(
    ("vary", "values", "field", "words"),
    [
        ("style_preset", ["anime"], "values", "between 2 and 4 style presets"),
        ("style_preset", ["anime", "anime"], "values", "each of the style presets once"),
        ("style_preset", ["anime", "watercolour"], "values", "style preset from the list"),
        ("seed", ["7", "7.0"], "values", "each of the seeds once"),
        ("seed", ["1", "2", "3", "4", "5"], "values", "between 2 and 4 seeds"),
        ("seed", ["7", "x"], "values", "Seed x: Enter a whole number."),
        ("guidance", ["4", "9"], "values", "does not take"),  # local-sketch has no guidance
        # Not a number: a 500 once (schemathesis), the label was parsed as a float.
        ("guidance", ["0", ":"], "values", "Guidance :"),
    ],
)
def test_refused_variants_name_the_values(
    session: Session, settings: Settings, vary: Any, values: list[str], field: str, words: str
) -> None:
    uid = make_user(session, "ros", 5)
    with pytest.raises(RequestErrors) as err:
        _create(session, uid, settings, vary, values)
    assert words in err.value.errors[field]
    assert balance(session, uid) == 5  # nothing charged
    assert session.exec(select(ImageSet)).first() is None


def test_infer_and_labels() -> None:
    assert infer_vary([("a", {}), ("b", {})]) == ("model", ["a", "b"])
    sets = [("m", {"style_preset": "none", "seed": 1}), ("m", {"style_preset": "none", "seed": 2})]
    assert infer_vary(sets) == ("seed", [1, 2])
    assert variant_label("guidance", "7.50") == "Guidance 7.5"
    assert variant_label("guidance", "x") == "Guidance x"
    assert variant_label("style_preset", "3d-model") == "3d model"


def test_guidance_compares_on_a_model_that_takes_it(settings: Settings) -> None:
    keyed = settings.model_copy(update={"hf_token": "hf_test"})
    model = "stabilityai/stable-diffusion-xl-base-1.0"
    data = _form(model=model, size="1024x1024")
    requests = compare.validate_comparison(data, "guidance", ["4", " 9.5"], keyed)
    assert [(r.model, r.guidance) for r in requests] == [(model, 4.0), (model, 9.5)]
    with pytest.raises(RequestErrors) as err:
        compare.validate_comparison(data, "guidance", ["4", "99"], keyed)
    assert "Guidance 99: Guidance must be between" in err.value.errors["values"]
