"""Settings → Webhooks (issue 15): add an endpoint (its secret shown once, through the page's
input only), list and delete endpoints, see recent deliveries; refusals change nothing; a
signed-out tab changes nothing; another user's endpoint cannot be deleted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reflex.utils.format import format_ref

from pixel_studio.db import session_scope
from pixel_studio.models.webhooks import WebhookEvent
from pixel_studio.services.integrations import webhook_queue, webhooks
from pixel_studio.settings import get_settings
from pixel_studio.state.webhooks_settings import SECRET_INPUT_ID, URL_INPUT_ID, WebhooksState
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
    signed_in_state,
)


def set_values(result: Any) -> dict[str, str]:
    """What the handler's `rx.set_value` events write into the page, by element id."""
    found: dict[str, str] = {}
    for spec in result if isinstance(result, list) else [result]:
        if spec is None or "_set_value" not in str(spec.handler.fn.__qualname__):
            continue
        args = {str(k): v for k, v in spec.args}
        ref = str(args["ref"]._var_value if hasattr(args["ref"], "_var_value") else args["ref"])
        value = args["value"]
        found[ref] = str(getattr(value, "_var_value", value))
    ids = (SECRET_INPUT_ID, URL_INPUT_ID)
    return {element: found[format_ref(element)] for element in ids if format_ref(element) in found}


@pytest.fixture
def loopback_ok(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """Private targets allowed (the endpoints here are on loopback); nothing is sent."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    monkeypatch.setattr(webhook_queue, "dispatch", lambda ids, engine=None: None)
    return app_db


def test_add_list_and_delete_a_webhook(loopback_ok: Path) -> None:
    user = new_user("wendy")
    state = signed_in_state(WebhooksState, signed_in_cookie(user), "/settings")
    run(WebhooksState.load, state)
    assert state.hooks == [] and state.deliveries == [] and not state.secret_shown

    run(WebhooksState.create_webhook, state, {"url": "ftp://127.0.0.1/x"})
    assert "http" in state.error and state.hooks == [] and not state.busy

    url = "http://127.0.0.1:9/hook"
    result = run(WebhooksState.create_webhook, state, {"url": url, "events": "job.failed"})
    shown = set_values(result)
    secret = shown[SECRET_INPUT_ID]
    assert secret.startswith("whsec_") and shown[URL_INPUT_ID] == "" and state.secret_shown
    assert secret not in json.dumps(state.dict(), default=str)  # the page's input only
    assert [(h.url, h.events) for h in state.hooks] == [(url, "job.failed")]

    with session_scope() as s:
        webhooks.record(s, user.id or 0, WebhookEvent.job_failed, {"job_id": "j1"})
    run(WebhooksState.load, state)
    [row] = state.deliveries
    assert (row.event, row.status, row.color, row.url) == ("job.failed", "pending", "amber", url)
    # "Done" (and the section leaving the page) empties the page's input.
    assert set_values(run(WebhooksState.dismiss_secret, state)) == {SECRET_INPUT_ID: ""}
    assert not state.secret_shown

    run(WebhooksState.delete_webhook, state, state.hooks[0].id)
    assert state.hooks == [] and state.deliveries == []  # its log went with it


def test_someone_elses_webhook_and_a_signed_out_tab(loopback_ok: Path) -> None:
    owner, other = new_user("olga"), new_user("oscar")
    with session_scope() as s:
        made = webhooks.create_webhook(
            s, get_settings(), owner.id or 0, {"url": "http://127.0.0.1:9/"}
        )
    theirs = signed_in_state(WebhooksState, signed_in_cookie(other), "/settings")
    run(WebhooksState.load, theirs)
    assert theirs.hooks == []
    run(WebhooksState.delete_webhook, theirs, made.info.id)
    run(WebhooksState.delete_webhook, theirs, True)  # not an id: refused before any work
    with session_scope() as s:
        assert [h.id for h in webhooks.list_webhooks(s, owner.id or 0)] == [made.info.id]

    visitor = make_state(WebhooksState, path="/settings")
    run(WebhooksState.load, visitor)
    assert visitor.hooks == []
    run(WebhooksState.create_webhook, visitor, {"url": "http://127.0.0.1:9/"})
    with session_scope() as s:
        assert len(webhooks.list_webhooks(s, owner.id or 0)) == 1


def test_private_targets_are_refused_by_default(app_db: Path) -> None:  # noqa: F811
    user = new_user("pat")
    state = signed_in_state(WebhooksState, signed_in_cookie(user), "/settings")
    run(WebhooksState.create_webhook, state, {"url": "http://127.0.0.1:9/"})
    assert "loopback" in state.error and state.hooks == []
