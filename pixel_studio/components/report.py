"""A "Report" button opening a small dialog that asks for a reason (state/reports.py)."""

from __future__ import annotations

import reflex as rx

from pixel_studio.state.reports import ReportState


def report_dialog(
    target_type: str, target_id: rx.Var | str | int, label: str = "Report"
) -> rx.Component:
    """For an image (its id), a comment (its id) or a profile (the username)."""
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("flag", size=14),
                label,
                variant="ghost",
                size="1",
                color_scheme="gray",
                class_name=f"report-{target_type}",
            )
        ),
        rx.dialog.content(
            rx.dialog.title(f"Report this {'profile' if target_type == 'user' else target_type}"),
            rx.dialog.description("Tell the admins what is wrong. They see who reported it."),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="target_type", value=target_type),
                    rx.el.input(type="hidden", name="target_id", value=target_id),
                    rx.text_area(
                        name="reason",
                        placeholder="Reason",
                        required=True,
                        max_length=500,
                        aria_label="Reason",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                        rx.dialog.close(
                            rx.button(
                                "Send report", type="submit", color_scheme="red", high_contrast=True
                            )
                        ),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=ReportState.submit,
                reset_on_submit=True,
            ),
            max_width="420px",
        ),
    )
