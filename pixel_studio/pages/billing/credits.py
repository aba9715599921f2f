"""`/credits`: balance, credit packs (bought through Stripe Checkout) and the credit history."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import page_title
from pixel_studio.state.auth import AuthState
from pixel_studio.state.credits import CreditsState, HistoryRow, PackCard

S = CreditsState


def balance_card() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(rx.icon("coins", size=26), class_name="ps-step", width="52px", height="52px"),
            rx.vstack(
                rx.text("Your balance", size="2", color_scheme="gray"),
                rx.text(
                    AuthState.credits,
                    " credits",
                    size="7",
                    weight="bold",
                    custom_attrs={"data-testid": "credits-balance"},
                ),
                spacing="0",
            ),
            spacing="4",
            align="center",
        ),
        size="3",
        width="100%",
    )


def notice() -> rx.Component:
    return rx.cond(
        S.notice != "",
        rx.callout(
            S.notice,
            icon=rx.match(
                S.notice_kind, ("success", "circle-check"), ("error", "triangle-alert"), "info"
            ),
            color_scheme=rx.match(S.notice_kind, ("success", "green"), ("error", "red"), "blue"),
            role="status",
            width="100%",
            custom_attrs={"data-testid": "credits-notice"},
        ),
    )


def pack_card(pack: ObjectVar[PackCard]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(pack.credits, " credits", as_="h3", size="5"),
            rx.text(pack.price, size="6", weight="bold"),
            rx.text(pack.per_credit, size="1", color_scheme="gray"),
            rx.button(
                rx.cond(S.buying == pack.id, rx.spinner(size="2"), rx.icon("credit-card", size=16)),
                "Buy ",
                pack.credits,
                " credits",
                on_click=S.buy(pack.id),  # type: ignore[misc]  # a bound event
                disabled=~S.enabled | (S.buying != ""),
                size="3",
                width="100%",
                custom_attrs={"data-testid": "buy-pack", "data-pack": pack.id},
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        size="3",
        height="100%",
    )


def packs() -> rx.Component:
    return rx.vstack(
        rx.heading("Buy credits", as_="h2", size="5"),
        rx.cond(
            S.enabled,
            rx.text(
                "One-time payments through Stripe Checkout. Credits never expire.",
                size="2",
                color_scheme="gray",
            ),
            rx.callout(
                "Payments are not configured on this site, so credits cannot be bought here "
                "yet. (Its operator sets STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.)",
                icon="info",
                color_scheme="gray",
                width="100%",
                custom_attrs={"data-testid": "payments-off"},
            ),
        ),
        rx.grid(
            rx.foreach(S.packs, pack_card),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def history_row(row: ObjectVar[HistoryRow]) -> rx.Component:
    what = rx.cond(
        row.href != "",
        rx.link(row.what, href=row.href, size="2"),
        rx.text(row.what, size="2", class_name="ps-clamp-2"),
    )
    return rx.table.row(
        rx.table.cell(rx.text(row.when, size="2", color_scheme="gray", white_space="nowrap")),
        # high_contrast: soft amber text on its tint is under 4.5:1 in light mode.
        rx.table.cell(
            rx.badge(row.kind, color_scheme=row.color, variant="soft", high_contrast=True)  # type: ignore[arg-type]
        ),
        rx.table.cell(what, max_width="360px"),
        rx.table.cell(
            rx.text(
                row.amount,
                size="2",
                weight="bold",
                color_scheme=rx.cond(row.positive, "green", "gray"),  # type: ignore[arg-type]
            ),
            justify="end",
        ),
        rx.table.cell(rx.text(row.balance_after, size="2"), justify="end"),
        custom_attrs={"data-testid": "history-row"},
    )


def history() -> rx.Component:
    return rx.vstack(
        rx.heading("Credit history", as_="h2", size="5"),
        rx.cond(
            S.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("When"),
                            rx.table.column_header_cell("Kind"),
                            rx.table.column_header_cell("What"),
                            rx.table.column_header_cell("Credits", justify="end"),
                            rx.table.column_header_cell("Balance", justify="end"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.rows, history_row)),
                    variant="surface",
                    size="2",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text("No credit movements yet.", color_scheme="gray", size="2"),
        ),
        rx.cond(
            S.has_more,
            rx.center(
                rx.button(
                    "Load more",
                    on_click=S.load_more,
                    loading=S.loading,
                    variant="soft",
                ),
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def credits_page() -> rx.Component:
    return page_frame(
        signed_in_only(
            rx.vstack(
                page_title("Credits", "Each image costs credits, depending on the model and size."),
                notice(),
                balance_card(),
                packs(),
                rx.cond(
                    S.loaded,
                    history(),
                    rx.center(rx.spinner(size="3"), padding_y="40px", width="100%"),
                ),
                spacing="5",
                width="100%",
                padding_bottom="48px",
            ),
        ),
    )
