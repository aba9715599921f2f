"""Admin pages: users (/admin), reports and content (/admin/reports), the audit log
(/admin/audit). Everyone who is not an admin, visitors included, sees the not-found view
(the state's `allowed`, decided by services/moderation/admin.require_admin), never a "forbidden"."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.layout import page_frame
from pixel_studio.pages.not_found import not_found_view
from pixel_studio.state.admin import AdminState, AuditItem, ReportItem, UserItem


def _tabs() -> rx.Component:
    return rx.hstack(
        rx.link("Users", href="/admin"),
        rx.link("Reports & content", href="/admin/reports"),
        rx.link("Audit log", href="/admin/audit"),
        spacing="5",
    )


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(AdminState.message != "", rx.callout(AdminState.message, color_scheme="green")),
        rx.cond(
            AdminState.error != "",
            rx.callout(AdminState.error, color_scheme="red", role="alert", id="admin-error"),
        ),
    )


def _admin_only(title: str, *body: rx.Component) -> rx.Component:
    return page_frame(
        rx.cond(
            AdminState.allowed,
            rx.vstack(
                rx.heading(title, as_="h1", size="7"),
                _tabs(),
                _messages(),
                *body,
                spacing="4",
                width="100%",
            ),
            rx.cond(AdminState.loaded, not_found_view(), rx.center(rx.spinner(), padding="80px")),
        ),
        wide=True,
    )


def _reason_input(placeholder: str = "Reason (kept in the audit log)") -> rx.Component:
    return rx.input(name="reason", placeholder=placeholder, required=True, max_length=500)


def _more(show: rx.Var[bool], handler: Any) -> rx.Component:
    return rx.cond(show, rx.button("Load more", variant="soft", on_click=handler))


USER_COLUMNS = ("User", "Email", "Credits", "Joined", "Actions")


# --- users -----------------------------------------------------------------------------------


def _user_row(user: ObjectVar[UserItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                "@" + user.username.to(str),
                href="/u/" + user.username.to(str),
                underline="always",  # beside other text: not told apart by colour alone
            ),
            rx.cond(user.is_admin, rx.badge("admin", margin_left="6px")),
            rx.cond(user.suspended, rx.badge("suspended", color_scheme="red", margin_left="6px")),
        ),
        rx.table.cell(user.email),
        rx.table.cell(user.credits.to_string(), class_name="credits-cell"),
        rx.table.cell(user.joined),
        rx.table.cell(
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="user_id", value=user.id.to_string()),
                    rx.input(name="amount", placeholder="±N", width="70px", required=True),
                    _reason_input("Why"),
                    rx.button("Change credits", type="submit", size="1"),
                ),
                on_submit=AdminState.change_credits,
                reset_on_submit=True,
            ),
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="user_id", value=user.id.to_string()),
                    rx.el.input(
                        type="hidden",
                        name="action",
                        value=rx.cond(user.suspended, "restore", "suspend"),
                    ),
                    _reason_input("Why"),
                    rx.button(
                        rx.cond(user.suspended, "Restore", "Suspend"),
                        type="submit",
                        size="1",
                        color_scheme=rx.cond(user.suspended, "green", "red"),
                        # White on solid red or green is under 4.5:1 (axe, tests/e2e a11y).
                        high_contrast=True,
                    ),
                ),
                on_submit=AdminState.set_suspended,
                reset_on_submit=True,
                margin_top="4px",
            ),
        ),
    )


def admin_users_page() -> rx.Component:
    return _admin_only(
        "Admin · users",
        rx.form(
            rx.hstack(
                rx.input(
                    name="q",
                    placeholder="Search by name or email",
                    default_value=AdminState.query,
                    aria_label="Search users",
                ),
                rx.button("Search", type="submit"),
            ),
            on_submit=AdminState.search,
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("User", "Email", "Credits", "Joined")
                    ],
                    rx.table.column_header_cell("Actions"),
                )
            ),
            rx.table.body(rx.foreach(AdminState.users, _user_row)),
            width="100%",
        ),
        _more(AdminState.users_more, AdminState.more_users),
    )


# --- reports and content ---------------------------------------------------------------------


def _report_row(report: ObjectVar[ReportItem]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(report.target_type),
                rx.cond(
                    report.href != "",
                    rx.link(report.target_label, href=report.href),
                    rx.text(report.target_label),
                ),
                rx.text("#" + report.target_id.to_string(), color_scheme="gray", size="1"),
            ),
            rx.text("Reported by @", report.reporter, " on ", report.when, ": ", report.reason),
            rx.cond(
                AdminState.report_status == "open",
                rx.form(
                    rx.hstack(
                        rx.el.input(type="hidden", name="report_id", value=report.id.to_string()),
                        rx.el.select(
                            rx.el.option("Remove it", value="resolve"),
                            rx.el.option("Dismiss", value="dismiss"),
                            name="decision",
                            aria_label="Decision",
                        ),
                        _reason_input(),
                        rx.button("Apply", type="submit"),
                    ),
                    on_submit=AdminState.decide_report,
                ),
            ),
            spacing="2",
        ),
        class_name="report-row",
        width="100%",
    )


def admin_reports_page() -> rx.Component:
    return _admin_only(
        "Admin · reports",
        rx.hstack(
            rx.link("Open", href="/admin/reports"),
            rx.link("Resolved", href="/admin/reports?status=resolved"),
            rx.link("Dismissed", href="/admin/reports?status=dismissed"),
            spacing="3",
        ),
        rx.cond(
            AdminState.reports.length() == 0,  # type: ignore[attr-defined]
            rx.text("No reports here.", color_scheme="gray"),
        ),
        rx.foreach(AdminState.reports, _report_row),
        _more(AdminState.reports_more, AdminState.more_reports),
        rx.heading("Remove content", as_="h2", size="4"),
        rx.form(
            rx.hstack(
                rx.el.select(
                    rx.el.option("Image", value="image"),
                    rx.el.option("Comment", value="comment"),
                    name="kind",
                    aria_label="Kind",
                ),
                rx.input(name="item_id", placeholder="Its number", required=True, width="110px"),
                _reason_input(),
                rx.button("Remove", type="submit", color_scheme="red", high_contrast=True),
            ),
            on_submit=AdminState.remove_content,
            reset_on_submit=True,
        ),
    )


# --- audit -----------------------------------------------------------------------------------


def _audit_row(entry: ObjectVar[AuditItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(entry.when),
        rx.table.cell(entry.actor),
        rx.table.cell(entry.action),
        rx.table.cell(entry.target),
        rx.table.cell(entry.reason),
        rx.table.cell(entry.details),
        class_name="audit-row",
    )


def admin_audit_page() -> rx.Component:
    headers = ("When (UTC)", "Who", "What", "To whom", "Why", "Details")
    return _admin_only(
        "Admin · audit log",
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(AdminState.entries, _audit_row)),
            width="100%",
        ),
        _more(AdminState.audit_more, AdminState.more_audit),
    )
