"""The account emails' words: one function per message, plain data for pixel_studio.mail."""

from __future__ import annotations

from pixel_studio.mail import SITE_NAME, Link, Message, site_link
from pixel_studio.settings import Settings

VERIFY_PATH = "/verify"
RESET_PATH = "/reset-password"


def verification(settings: Settings, username: str, to: str, token: str, change: bool) -> Message:
    lead = (
        f"You asked to use this address for your {SITE_NAME} account {username}."
        if change
        else f"Welcome to {SITE_NAME}, {username}! Please confirm this is your email address."
    )
    then = (
        "The new address takes effect when you open the link."
        if change
        else "Confirming lets you recover your account if you ever forget your password."
    )
    return Message(
        to=to,
        subject="Confirm your email address",
        paragraphs=(lead, then, "The link works once, for 24 hours."),
        link=Link("Confirm my address", site_link(settings, f"{VERIFY_PATH}?token={token}")),
        reason="If you did not ask for this, ignore this message: nothing changes.",
    )


def password_reset(settings: Settings, username: str, to: str, token: str) -> Message:
    return Message(
        to=to,
        subject="Reset your password",
        paragraphs=(
            f"Someone asked to reset the password of your {SITE_NAME} account {username}.",
            "The link works once, for 30 minutes. Setting a new password signs out every "
            "browser and revokes every API token of the account.",
        ),
        link=Link("Choose a new password", site_link(settings, f"{RESET_PATH}?token={token}")),
        reason="If it was not you, ignore this message: your password stays as it is.",
    )


def password_changed(settings: Settings, username: str, to: str) -> Message:
    return Message(
        to=to,
        subject="Your password was changed",
        paragraphs=(
            f"The password of your {SITE_NAME} account {username} was just changed, and "
            "other sessions were signed out.",
            "If this was not you, reset your password now with “Forgot password?” on the "
            "log-in page.",
        ),
        link=Link("Log in", site_link(settings, "/login")),
        reason="You get this notice whenever your password changes.",
    )


def email_change_notice(settings: Settings, username: str, to: str, new_email: str) -> Message:
    return Message(
        to=to,
        subject="Your email address is being changed",
        paragraphs=(
            f"Someone signed in to your {SITE_NAME} account {username} asked to move it to "
            f"{new_email}. It moves once that address confirms it.",
            "If this was not you, change your password now: the move needs it.",
        ),
        link=Link("Open your settings", site_link(settings, "/settings")),
        reason="You get this notice at the old address whenever the address changes.",
    )
