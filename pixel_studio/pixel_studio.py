"""The Reflex app: pages are registered here; the backend's own routes come from api/.

Every page loads the signed-in user first (the nav shows it); pages for visitors send
signed-in people home, pages that need an account send visitors to log in.
"""

import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from pixel_studio.api import create_api
from pixel_studio.api.static_cache import install_frontend_serving
from pixel_studio.components.error_page import friendly_error_boundary
from pixel_studio.components.theme import head_components, social_image_url
from pixel_studio.error_reporting import report_backend_error, report_browser_error
from pixel_studio.gc_tuning import tune_gc_at_start
from pixel_studio.logging_setup import configure_logging
from pixel_studio.pages.accounts.account_recovery import (
    forgot_password_page,
    reset_password_page,
    verify_email_page,
)
from pixel_studio.pages.accounts.auth_pages import login_page, signup_page
from pixel_studio.pages.accounts.settings import settings_page
from pixel_studio.pages.billing.credits import credits_page
from pixel_studio.pages.home import home_page
from pixel_studio.pages.landing import landing
from pixel_studio.pages.moderation.admin import (
    admin_audit_page,
    admin_reports_page,
    admin_users_page,
)
from pixel_studio.pages.not_found import not_found_page
from pixel_studio.pages.social.collection_detail import collection_detail_page
from pixel_studio.pages.social.collections import collections_page
from pixel_studio.pages.social.explore import explore_page
from pixel_studio.pages.social.feed import feed_page
from pixel_studio.pages.social.likes import likes_page
from pixel_studio.pages.social.notifications import notifications_page
from pixel_studio.pages.social.profile import follow_list_page, profile_page
from pixel_studio.pages.studio.compare import compare_page
from pixel_studio.pages.studio.create import create_page
from pixel_studio.pages.studio.image_page import image_page
from pixel_studio.pages.studio.set_detail import set_detail_page
from pixel_studio.pages.studio.sets import sets_page
from pixel_studio.pages.studio.start_image import start_image_page
from pixel_studio.plugins.discovery import page_plugins
from pixel_studio.services.integrations.webhook_queue import recover_deliveries
from pixel_studio.services.operations.job_recovery import recover_stale_jobs
from pixel_studio.settings import get_settings
from pixel_studio.state.account import LogInState, SignUpState
from pixel_studio.state.account_recovery import (
    ForgotPasswordState,
    ResetPasswordState,
    VerifyEmailState,
)
from pixel_studio.state.admin import AdminState
from pixel_studio.state.auth import AuthState
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionsState
from pixel_studio.state.compare import CompareState
from pixel_studio.state.create import CreateState
from pixel_studio.state.credits import CreditsState
from pixel_studio.state.event_log import install as install_event_log
from pixel_studio.state.explore import ExploreState
from pixel_studio.state.feed import FeedState
from pixel_studio.state.follow_list import FollowListState
from pixel_studio.state.identity import install as install_identity
from pixel_studio.state.image_page import ImagePageState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.likes import LikedImagesState
from pixel_studio.state.live import job_event_listener
from pixel_studio.state.notifications import BellState, NotificationsState
from pixel_studio.state.profile import ProfileState
from pixel_studio.state.set_detail import SetDetailState
from pixel_studio.state.sets import SetsState
from pixel_studio.state.settings_page import SettingsState
from pixel_studio.state.start_image import StartImageState

log = logging.getLogger(__name__)

TITLE = "Pixel Studio"
# Reflex's key for its error boundary among the app wraps (reflex/app.py, App.app_wraps).
ERROR_BOUNDARY_WRAP = (55, "ErrorBoundary")
DESCRIPTION = "Turn prompts into image sets with AI models, and share them."

# LOG_FORMAT / LOG_LEVEL / SENTRY_DSN: each backend worker process sets up logging at import.
configure_logging("backend")

app = rx.App(
    api_transformer=create_api(),
    head_components=head_components(get_settings().media_base_url),
    html_lang="en",
    # Browser errors reach the backend log and Sentry; a failing handler shows a friendly toast.
    frontend_exception_handler=report_browser_error,
    backend_exception_handler=report_backend_error,
    # At the top: Sonner's default corner (bottom right) is where a form's submit button sits
    # on a wide screen, and a toast there took the next click ("Compare" after a refusal).
    toaster=rx.toast.provider(position="top-center"),
)
# A page that crashes while rendering shows a friendly page (components/error_page.py).
app.app_wraps[ERROR_BOUNDARY_WRAP] = friendly_error_boundary
# Every socket event: an access-log line, a request id and metrics (state/event_log.py).
install_event_log(app)
# Before every event handler, and before any other middleware (each inserts itself first): the
# viewer from this socket's session cookie (state/identity.py).
install_identity(app)
# Pages answer at their own address, hashed assets are cached for a year, HTML is revalidated,
# text is compressed (issue 16: api/static_cache.py).
install_frontend_serving(app.api_transformer)


def page(component: Callable[[], rx.Component], route: str, title: str, on_load: Any) -> None:
    full_title = f"{title} · {TITLE}"
    app.add_page(
        component,
        route=route,
        title=full_title,
        description=DESCRIPTION,
        # The share image from assets/ (Reflex's default og:image is "favicon.ico").
        image=social_image_url(get_settings().site_url),
        meta=[
            {"property": "og:title", "content": full_title},
            {"property": "og:description", "content": DESCRIPTION},
        ],
        # Every page then reads the bell's count and registers the tab for live events.
        on_load=[*(on_load if isinstance(on_load, list) else [on_load]), BellState.load],
    )


# Visitors' pages send signed-in people home; account pages send visitors to log in.
page(landing, "/", "AI image studio", AuthState.redirect_signed_in)
page(signup_page, "/signup", "Sign up", [AuthState.redirect_signed_in, SignUpState.prepare])
page(login_page, "/login", "Log in", [AuthState.redirect_signed_in, LogInState.prepare])
# Account emails' links: a mailed link is its own proof, signed in or not.
page(verify_email_page, "/verify", "Verify email", [AuthState.load_user, VerifyEmailState.verify])
page(
    forgot_password_page,
    "/forgot-password",
    "Forgot password",
    [AuthState.load_user, ForgotPasswordState.prepare],
)
page(
    reset_password_page,
    "/reset-password",
    "Reset password",
    [AuthState.load_user, ResetPasswordState.prepare],
)
page(home_page, "/home", "Home", AuthState.require_user)
page(settings_page, "/settings", "Settings", [AuthState.require_user, SettingsState.load])
page(credits_page, "/credits", "Credits", [AuthState.require_user, CreditsState.load])
# Pages that show jobs load them (and register the tab for live events) after the user.
page(create_page, "/create", "Create", [AuthState.require_user, JobsState.load, CreateState.load])
page(
    compare_page, "/compare", "Compare", [AuthState.require_user, JobsState.load, CompareState.load]
)
page(
    start_image_page,
    "/edit",
    "Image to image",
    [AuthState.require_user, JobsState.load, StartImageState.load],
)
page(sets_page, "/sets", "Your sets", [AuthState.require_user, JobsState.load, SetsState.load])
# Public sets can be seen signed out: load the user, do not require one.
page(
    set_detail_page,
    "/sets/[set_id]",
    "Set",
    [AuthState.load_user, JobsState.load, SetDetailState.load],
)
# An image page is for visitors too: the visibility rule decides what it shows.
page(
    image_page,
    "/image/[image_id]",
    "Image",
    [AuthState.load_user, JobsState.load, ImagePageState.load],
)
# Discovery: explore and profiles are for visitors too; the feed needs an account.
page(explore_page, "/explore", "Explore", [AuthState.load_user, ExploreState.load])
page(feed_page, "/feed", "Your feed", [AuthState.require_user, FeedState.load])
page(profile_page, "/u/[profile_name]", "Profile", [AuthState.load_user, ProfileState.load])
for _kind in ("followers", "following"):
    page(
        follow_list_page,
        f"/u/[profile_name]/{_kind}",
        _kind.capitalize(),
        [AuthState.load_user, FollowListState.load],
    )
# Social: collections can be public; likes and notifications are the user's own.
page(
    collections_page, "/collections", "Collections", [AuthState.require_user, CollectionsState.load]
)
page(
    collection_detail_page,
    "/collections/[collection_id]",
    "Collection",
    [AuthState.load_user, CollectionDetailState.load],
)
page(likes_page, "/likes", "Your likes", [AuthState.require_user, LikedImagesState.load])
page(
    notifications_page,
    "/notifications",
    "Notifications",
    [AuthState.require_user, NotificationsState.load],
)
# Admin: a page for everyone, whose content only an admin sees (others: the not-found view).
page(admin_users_page, "/admin", "Admin", [AuthState.load_user, AdminState.load_users])
page(
    admin_reports_page, "/admin/reports", "Reports", [AuthState.load_user, AdminState.load_reports]
)
page(admin_audit_page, "/admin/audit", "Audit log", [AuthState.load_user, AdminState.load_audit])
page(not_found_page, "404", "Page not found", AuthState.load_user)


def add_plugin_pages() -> None:
    """Pages from installed plugins (pixel_studio/plugins), after the app's own: a plugin whose
    route is taken, or whose page fails to build, is logged and left out; the app still starts."""
    for name, plugin in page_plugins():
        viewer = AuthState.require_user if plugin.require_user else AuthState.load_user
        try:
            plugin.component()  # built once here so a broken page fails now, not at compile
            page(plugin.component, plugin.route, plugin.title, [viewer, *plugin.on_load])
        except Exception:
            log.exception("page plugin %s (%s) left out", name, plugin.route)


add_plugin_pages()

# Workers' job events reach open pages through this backend task (state/live.py).
app.register_lifespan_task(tune_gc_at_start)  # first: freeze the start-up heap
app.register_lifespan_task(job_event_listener)
app.register_lifespan_task(recover_stale_jobs)
app.register_lifespan_task(recover_deliveries)  # webhook deliveries whose task was lost
