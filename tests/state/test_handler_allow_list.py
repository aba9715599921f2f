"""Only the intended handlers of a state are callable from the browser (issue 13, item 8).

Reflex turns every public method of a state class into an event handler that any socket may
call by name with any arguments; helpers therefore carry a leading underscore. This test
lists every state of the app with its event handlers and compares them with the allow-list
below: a new handler (or a helper that lost its underscore) fails here until it is reviewed
and listed. `setvar` is Reflex's own on every state: it calls `set_<name>`, so every
attribute named `set_*` must itself be a listed handler (no helper is reachable through it).
"""

from __future__ import annotations

import pixel_studio.pixel_studio  # noqa: F401 - the app: every page and so every state
from pixel_studio.state.auth import app_states

ALLOWED: dict[str, set[str]] = {
    "AccountDataState": {"delete_account", "load", "start_export"},
    "AccountSecurityState": {"change_email", "change_password", "load", "resend_verification"},
    "AdminState": {
        "change_credits",
        "decide_report",
        "load_audit",
        "load_reports",
        "load_users",
        "more_audit",
        "more_reports",
        "more_users",
        "remove_content",
        "search",
        "set_suspended",
    },
    "ApiTokensState": {"create_token", "dismiss_token", "load", "revoke_token"},
    "AuthState": {"load_user", "log_out", "redirect_signed_in", "require_user"},
    "BellState": {"load"},
    "CollectionDetailState": {
        "delete_collection",
        "load",
        "load_more",
        "load_more_if_visible",
        "remove",
        "save",
        "set_edit_open",
        "set_private",
    },
    "CollectionPickerState": {
        "create",
        "open_for",
        "set_new_private",
        "set_new_title",
        "set_open",
        "toggle",
    },
    "CollectionsState": {"create", "load", "load_more", "load_more_if_visible", "set_create_open"},
    "CommentsState": {
        "cancel_reply",
        "delete",
        "load",
        "refresh",
        "set_body",
        "set_reply_body",
        "start_reply",
        "submit",
        "submit_reply",
        "toggle_like",
    },
    "CompareState": {
        "generate",
        "load",
        "set_count",
        "set_private",
        "set_prompt",
        "set_seed",
        "set_size",
        "set_one_model",
        "set_style_preset",
        "set_values_text",
        "set_vary",
        "toggle_model",
        "toggle_preset",
    },
    "CreateState": {
        "generate",
        "load",
        "random_seed",
        "set_count",
        "set_guidance",
        "set_model",
        "set_negative_prompt",
        "set_private",
        "set_prompt",
        "set_quality",
        "set_seed",
        "set_size",
        "set_steps",
        "set_style",
        "set_style_preset",
        "stop_remix",
    },
    "CreditsState": {"buy", "load", "load_more", "refresh"},
    "EditState": {
        "close",
        "open",
        "open_vary",
        "set_count",
        "set_direction",
        "set_factor",
        "set_mask",
        "set_model",
        "set_private",
        "set_prompt",
        "set_seed",
        "set_size",
        "set_style_preset",
        "set_vary",
        "set_zoom",
        "submit",
    },
    "ExploreState": {
        "clear_filters",
        "load",
        "load_more",
        "load_more_if_visible",
        "search",
        "set_model",
        "set_sort",
        "set_style",
        "set_window",
    },
    "FeedState": {"load", "load_more", "load_more_if_visible"},
    "FollowListState": {"load", "load_more", "toggle_follow"},
    "ForgotPasswordState": {"prepare", "submit"},
    "GoogleConnectState": {"connect", "load"},
    "ImagePageState": {"copy_prompt", "copy_share_link", "delete_image", "load", "set_private"},
    "JobsState": {"cancel_job", "load"},
    "LikeButtonState": {"toggle"},
    "LikedImagesState": {"load", "load_more", "load_more_if_visible"},
    "LineageState": {"load", "refresh"},
    "LogInState": {"prepare", "submit"},
    "NotificationsState": {
        "load",
        "load_more",
        "load_more_if_visible",
        "mark_all_read",
        "mark_read",
        "open_item",
    },
    "ProfileState": {
        "load",
        "load_more",
        "load_more_collections",
        "load_more_if_visible",
        "load_more_sets",
        "set_tab",
        "toggle_follow",
    },
    "ReportState": {"submit"},
    "ResetPasswordState": {"prepare", "submit"},
    "SessionsState": {"load", "set_also_tokens", "sign_out_everywhere", "sign_out_session"},
    "SetDetailState": {"delete_set", "load", "refresh"},
    "SetsState": {
        "clear_filters",
        "load",
        "load_more",
        "load_more_if_visible",
        "search",
        "set_date_from",
        "set_date_to",
        "set_model",
        "set_query",
        "set_seed",
    },
    "SettingsState": {
        "avatar_rejected",
        "load",
        "save_username",
        "toggle_privacy",
        "upload_avatar",
    },
    "SignUpState": {"prepare", "submit"},
    "StartImageState": {
        "load",
        "set_count",
        "set_model",
        "set_private",
        "set_prompt",
        "set_seed",
        "set_size",
        "set_strength",
        "set_style_preset",
        "start_from_image",
        "start_from_upload",
        "upload_rejected",
        "use_upload",
    },
    "VerifyEmailState": {"verify"},
    "WebhooksState": {"create_webhook", "delete_webhook", "dismiss_secret", "load"},
}
# States of the example page plugins (examples/): listed when installed (make test does).
PLUGIN_ALLOWED: dict[str, set[str]] = {
    "PaletteState": {"load"},  # examples/palette_page
}


def _allowed() -> dict[str, set[str]]:
    from pixel_studio.plugins.discovery import page_plugins

    loaded = {p.state.__name__ for _n, p in page_plugins() if p.state is not None}
    return ALLOWED | {name: h for name, h in PLUGIN_ALLOWED.items() if name in loaded}


def test_every_state_exposes_only_its_allowed_handlers() -> None:
    allowed = _allowed()  # first: it loads the page plugins, as the app's start does
    found = {cls.__name__: {h for h in cls.event_handlers if h != "setvar"} for cls in app_states()}
    assert len(found) == len(app_states()), "two states share a class name"
    assert found == allowed


def test_setvar_reaches_only_listed_setters() -> None:
    _allowed()  # loads the page plugins, as the app's start does
    for cls in app_states():
        assert "setvar" in cls.event_handlers
        # What this app defines (Reflex's own, such as set_is_hydrated, are Reflex's business);
        # a field named set_x is data, not a setter.
        setters = {
            name
            for klass in cls.__mro__
            if klass.__module__.startswith("pixel_studio.")
            for name in vars(klass)
            if name.startswith("set_") and name not in cls.vars
        }
        allowed = _allowed()[cls.__name__]
        assert setters <= allowed, (cls.__name__, setters - allowed)


def test_no_handler_name_starts_with_an_underscore() -> None:
    """Reflex keeps `_name` methods off the socket; the allow-list must never need one."""
    for cls in app_states():
        assert not [h for h in cls.event_handlers if h.startswith("_")], cls.__name__
