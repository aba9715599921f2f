"""The editing states without a browser (issue 12), on a migrated SQLite database with local
files: the image page offers only what the catalog can do, an inpaint is refused without a
mask and then paid once, its job runs for real (local sketch) and its events reach the tab,
whose "Made from this image" strip and the new image's "Made from" link follow; /edit starts
from an image or an upload; /compare on a fresh install compares style presets."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from reflex.state import BaseState
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.db import get_engine, session_scope
from pixel_studio.events import JobEvent
from pixel_studio.models import CreditTransaction, GenerationJob, Image
from pixel_studio.services.studio import compare as compare_service
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState
from pixel_studio.state.compare import CompareState
from pixel_studio.state.edit import EditState, LineageState
from pixel_studio.state.image_page import ImagePageState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.start_image import StartImageState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_compare_state import deliver, sibling, tab

PROMPT = "a quiet harbour with red boats at dawn"


@pytest.fixture
def edit_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    get_settings.cache_clear()
    get_tabs.cache_clear()
    # Edit jobs go through generation's queue too; the tests run them with run_job.
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(compare_service, "enqueue_job", lambda job_id, settings=None: None)
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()
    get_settings.cache_clear()


def make_image(user_id: int, private: bool = False) -> int:
    """A real 256² local-sketch image, made by the generation service and the worker."""
    with session_scope() as session:
        data = {"model": "local-sketch", "prompt": PROMPT, "size": "256x256", "private": private}
        job = generation.create_job(session, user_id, data, get_settings())
    run_job(job.id, publish=lambda _e: None, sleep=lambda _s: None)
    with Session(get_engine()) as session:
        image = session.exec(select(Image).where(Image.user_id == user_id)).first()
        assert image is not None and image.id is not None
        return image.id


def mask_url(width: int, height: int) -> str:
    mask = PILImage.new("L", (width, height), 0)
    mask.paste(255, (width // 4, height // 4, width // 2, height // 2))
    out = io.BytesIO()
    mask.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def image_tab(cookie: str, image_id: int, token: str = "tab-1") -> tuple[BaseState, EditState]:
    page = tab(ImagePageState, cookie, f"/image/{image_id}", token=token)
    result = run(ImagePageState.load, page)
    assert result is None or LineageState.load in result
    lineage = sibling(page, LineageState)
    run(LineageState.load, lineage)
    root = page.parent_state
    assert root is not None
    return root, sibling(page, EditState)


def test_inpaint_from_the_image_page_refused_then_paid_once_and_live(edit_db: Path) -> None:
    user = new_user("ines")  # 5 credits
    cookie = signed_in_cookie(user)
    source = make_image(user.id or 0)  # 4 left
    root, edit = image_tab(cookie, source)
    assert edit.offered == ["variation", "image-to-image", "inpaint", "outpaint", "upscale"]
    assert (edit.width, edit.height) == (256, 256)

    run(EditState.open, edit, "inpaint")
    assert edit.operation == "inpaint" and edit.model_id == "local-sketch"
    assert "local-sketch" in [m.id for m in edit.models] and edit.cost == 1
    run(EditState.set_prompt, edit, "a red kite")
    run(EditState.submit, edit)
    assert "Paint the area" in edit.errors["mask"]
    run(EditState.set_mask, edit, mask_url(128, 128))  # the wrong size
    run(EditState.submit, edit)
    assert edit.errors["mask"] and not edit.submitting
    run(EditState.set_mask, edit, "too-large")
    assert edit.mask_painted is False and "too detailed" in edit.errors["mask"]
    with Session(get_engine()) as session:
        assert len(session.exec(select(GenerationJob)).all()) == 1  # only the source's

    run(EditState.set_mask, edit, mask_url(256, 256))
    assert edit.mask_painted and edit.errors["mask"] == ""
    run(EditState.submit, edit)
    jobs = sibling(edit, JobsState)
    assert jobs.jobs[0].status == "queued" and sibling(edit, AuthState).credits == 3
    with Session(get_engine()) as session:
        spends = session.exec(
            select(CreditTransaction.amount)
            .where(CreditTransaction.kind == "spend")
            .order_by(col(CreditTransaction.id))
        ).all()
    assert spends == [-1, -1]  # the source, then the inpaint: charged once

    recorded: list[JobEvent] = []
    run_job(jobs.jobs[0].job_id, publish=recorded.append, sleep=lambda _s: None)
    deliver(root, "tab-1", recorded)
    assert jobs.jobs[0].status == "succeeded"
    lineage = sibling(edit, LineageState)
    run(LineageState.refresh, lineage)  # what the listener asks the tab to do
    assert len(lineage.derived) == 1
    made = lineage.derived[0].image_id

    _root, result = image_tab(cookie, made, token="tab-2")
    result_lineage = sibling(result, LineageState)
    assert result_lineage.has_source and result_lineage.source_href == f"/image/{source}"
    assert result_lineage.how == "Inpaint"
    assert (result.width, result.height) == (256, 256)


def test_a_private_source_offers_nothing_to_others_and_vanishing_refuses(edit_db: Path) -> None:
    owner = new_user("olga")
    source = make_image(owner.id or 0, private=True)
    other_cookie = signed_in_cookie(new_user("pete"))
    _root, edit = image_tab(other_cookie, source)
    assert edit.offered == [] and edit.image_id == 0
    run(EditState.open, edit, "variation")
    assert edit.operation == ""

    # The owner opens the form; the image is deleted before they submit: refused, unpaid.
    _root, mine = image_tab(signed_in_cookie(owner), source, token="tab-3")
    run(EditState.open_vary, mine, "strong")
    assert (mine.operation, mine.vary) == ("variation", "strong")
    with session_scope() as session:
        image = session.get(Image, source)
        assert image is not None
        session.delete(image)
    run(EditState.submit, mine)
    assert mine.errors["image"] and sibling(mine, AuthState).credits == 4
    assert mine.other_errors == mine.errors["image"]  # said at the form's top: no field for it


def test_start_image_page_from_an_image(edit_db: Path) -> None:
    user = new_user("remy")
    cookie = signed_in_cookie(user)
    source = make_image(user.id or 0)
    state = tab(StartImageState, cookie, f"/edit?from={source}")
    run(StartImageState.load, state)
    assert state.source_id == source and state.source_size == "256 × 256"
    run(StartImageState.set_strength, state, "0.85")
    run(StartImageState.start_from_image, state)
    assert state.errors["prompt"] == "Write a prompt."
    run(StartImageState.set_prompt, state, "the harbour under snow")
    run(StartImageState.start_from_image, state)
    assert sibling(state, JobsState).jobs[0].status == "queued"
    with Session(get_engine()) as session:
        newest = col(GenerationJob.created_at).desc()
        job = session.exec(select(GenerationJob).order_by(newest)).first()
        assert job is not None
        assert (job.params["operation"], job.params["edit"]["strength"]) == ("image-to-image", 0.85)

    # Someone who may not see it starts from an upload instead.
    stranger = tab(StartImageState, signed_in_cookie(new_user("sid")), "/edit?from=999999")
    run(StartImageState.load, stranger)
    assert stranger.source_id == 0 and "not available" in stranger.form_error


def test_fresh_install_compare_starts_on_style_presets(edit_db: Path) -> None:
    cookie = signed_in_cookie(new_user("tess"))
    state = tab(CompareState, cookie, "/compare")
    run(CompareState.load, state)
    assert [m.id for m in state.models] == ["local-sketch"]
    assert state.vary == "style_preset" and state.presets == ["none", "anime"]
    assert [(o.value, o.available) for o in state.vary_choices] == [
        ("model", False),
        ("style_preset", True),
        ("seed", True),
        ("guidance", False),
    ]
    run(CompareState.set_prompt, state, PROMPT)
    run(CompareState.toggle_preset, state, "neon-punk", True)
    assert state.cost == 3
    result: Any = run(CompareState.generate, state)
    assert "sets=" in str(result[0])
    assert list(state.labels.values()) == ["No preset", "Anime", "Neon punk"]
    run(CompareState.set_vary, state, "seed")
    run(CompareState.set_values_text, state, "5")
    run(CompareState.generate, state)
    assert "between 2 and 4 seeds" in state.errors["values"]
