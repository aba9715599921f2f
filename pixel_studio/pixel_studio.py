"""The Reflex app: pages are registered here; the backend's own routes come from api/.

Every page loads the signed-in user first (the nav shows it); pages for visitors send
signed-in people home, pages that need an account send visitors to log in.
"""

import reflex as rx

from pixel_studio.api import create_api
from pixel_studio.components.theme import head_components
from pixel_studio.job_queue import recover_stale_jobs
from pixel_studio.pages.auth_pages import login_page, signup_page
from pixel_studio.pages.create import create_page
from pixel_studio.pages.home import home_page
from pixel_studio.pages.landing import landing
from pixel_studio.pages.not_found import not_found_page
from pixel_studio.pages.set_detail import set_detail_page
from pixel_studio.pages.sets import sets_page
from pixel_studio.pages.settings import settings_page
from pixel_studio.state.account import LogInState, SignUpState
from pixel_studio.state.auth import AuthState
from pixel_studio.state.create import CreateState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.live import job_event_listener
from pixel_studio.state.set_detail import SetDetailState
from pixel_studio.state.sets import SetsState
from pixel_studio.state.settings_page import SettingsState

TITLE = "Pixel Studio"
DESCRIPTION = "Turn prompts into image sets with AI models, and share them."

app = rx.App(
    api_transformer=create_api(),
    head_components=head_components(),
    html_lang="en",
)

app.add_page(
    landing,
    route="/",
    title=f"{TITLE} · AI image studio",
    description=DESCRIPTION,
    on_load=AuthState.redirect_signed_in,
)
app.add_page(
    signup_page,
    route="/signup",
    title=f"Sign up · {TITLE}",
    description=DESCRIPTION,
    on_load=[AuthState.redirect_signed_in, SignUpState.prepare],
)
app.add_page(
    login_page,
    route="/login",
    title=f"Log in · {TITLE}",
    description=DESCRIPTION,
    on_load=[AuthState.redirect_signed_in, LogInState.prepare],
)
app.add_page(
    home_page,
    route="/home",
    title=f"Home · {TITLE}",
    description=DESCRIPTION,
    on_load=AuthState.require_user,
)
app.add_page(
    settings_page,
    route="/settings",
    title=f"Settings · {TITLE}",
    description=DESCRIPTION,
    on_load=[AuthState.require_user, SettingsState.load],
)
# Pages that show jobs load them (and register the tab for live events) after the user.
app.add_page(
    create_page,
    route="/create",
    title=f"Create · {TITLE}",
    description=DESCRIPTION,
    on_load=[AuthState.require_user, JobsState.load, CreateState.load],
)
app.add_page(
    sets_page,
    route="/sets",
    title=f"Your sets · {TITLE}",
    description=DESCRIPTION,
    on_load=[AuthState.require_user, JobsState.load, SetsState.load],
)
app.add_page(
    set_detail_page,
    route="/sets/[set_id]",
    title=f"Set · {TITLE}",
    description=DESCRIPTION,
    # Public sets can be seen signed out: load the user, do not require one.
    on_load=[AuthState.load_user, JobsState.load, SetDetailState.load],
)
app.add_page(
    not_found_page,
    route="404",
    title=f"Page not found · {TITLE}",
    description=DESCRIPTION,
    on_load=AuthState.load_user,
)

# Workers' job events reach open pages through this backend task (state/live.py).
app.register_lifespan_task(job_event_listener)
app.register_lifespan_task(recover_stale_jobs)
