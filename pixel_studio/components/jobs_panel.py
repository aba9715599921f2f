"""The "Your jobs" panel: each recent job with a progress bar that moves as images finish,
the thumbnails as they arrive (placeholders for those still to come), and Cancel while it runs.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.studio import status_badge, thumb_link
from pixel_studio.state.job_views import JobView, Thumb
from pixel_studio.state.jobs import JobsState


def _set_href(job: ObjectVar[JobView]) -> str:
    return f"/sets/{job.set_id}"  # an f-string with a Var becomes a JavaScript template


def job_card(job: ObjectVar[JobView]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(job.label, job.color, job.active),
                rx.spacer(),
                rx.cond(
                    job.active,
                    rx.button(
                        rx.icon("x", size=14),
                        "Cancel",
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        # A background event: mypy cannot see that the handler is callable.
                        on_click=JobsState.cancel_job(job.job_id),  # type: ignore[misc]
                        aria_label=f"Cancel job: {job.prompt}",
                    ),
                ),
                align="center",
                spacing="2",
                width="100%",
                min_width="0",
            ),
            rx.vstack(
                rx.text(job.prompt, size="2", weight="medium", class_name="ps-clamp-2"),
                rx.text(job.model_name, size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            # The live region: a short sentence, announced politely as the job moves (the
            # card itself is not live: its thumbnails and buttons would all be read out).
            rx.el.span(
                job.prompt.to(str) + ": " + job.label.to(str),
                role="status",
                aria_live="polite",
                aria_atomic="true",
                class_name="ps-sr-only",
            ),
            rx.progress(
                value=job.percent,
                max=100,
                size="2",
                color_scheme=job.color,  # type: ignore[arg-type]
                aria_label=f"Progress: {job.label}",
                aria_valuetext=job.label,
                custom_attrs={"data-job": job.job_id},
            ),
            rx.cond(
                job.message != "",
                rx.text(
                    job.message,
                    size="2",
                    color_scheme=rx.cond(job.status == "failed", "red", "gray"),  # type: ignore[arg-type]
                ),
            ),
            rx.grid(
                rx.foreach(job.thumbnails, lambda t: _thumb(t, _set_href(job))),
                rx.foreach(
                    job.pending,
                    lambda _: rx.box(class_name="ps-pending", aria_hidden="true"),
                ),
                columns="4",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                job.set_id.to(int) > 0,
                rx.link(
                    rx.hstack(
                        rx.text("Open set"),
                        rx.icon("arrow-right", size=14),
                        spacing="1",
                        align="center",
                    ),
                    href=_set_href(job),
                    size="2",
                    weight="medium",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": "job-card"},
    )


def _thumb(thumb: ObjectVar[Thumb], href: str) -> rx.Component:
    return thumb_link(thumb.url, thumb.alt, href)


def empty_jobs() -> rx.Component:
    return rx.vstack(
        rx.center(rx.icon("images", size=22), class_name="ps-step", width="44px", height="44px"),
        rx.text("No jobs yet", weight="bold"),
        rx.text(
            "Your images appear here as each one finishes. You can leave the page: they keep "
            "coming, and everything is kept in your sets.",
            size="2",
            color_scheme="gray",
            align="center",
        ),
        align="center",
        spacing="2",
        padding_y="24px",
        padding_x="8px",
    )


def jobs_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Your jobs", as_="h2", size="4"),
            rx.cond(
                JobsState.active_count > 0,
                rx.badge(JobsState.active_count, " running", variant="soft", radius="full"),
            ),
            rx.spacer(),
            rx.link("All sets", href="/sets", size="2", weight="medium"),
            align="center",
            width="100%",
        ),
        rx.cond(
            JobsState.has_jobs,
            rx.vstack(rx.foreach(JobsState.jobs, job_card), spacing="3", width="100%"),
            rx.card(empty_jobs(), size="2", width="100%", variant="surface"),
        ),
        spacing="3",
        width="100%",
        role="region",
        aria_label="Your jobs",
    )
