"""The palette page's state and markup. Built from the app's own pieces (page frame, the
not-found view), so it looks and behaves like the image page it extends."""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.empty_state import not_found_view
from pixel_studio.components.layout import page_frame
from pixel_studio.services.errors import NotFound
from pixel_studio.state.auth import AuthState
from pixel_studio.state.route_params import id_from_path
from pixel_studio_palette.palette import PaletteView, Swatch, read_palette


class PaletteState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    image_id: rx.Field[int] = rx.field(0)
    prompt: rx.Field[str] = rx.field("")
    thumbnail_url: rx.Field[str] = rx.field("")
    swatches: rx.Field[list[Swatch]] = rx.field(default_factory=list)

    @rx.var
    def image_href(self) -> str:
        return f"/image/{self.image_id}"

    def _show(self, view: PaletteView | None) -> None:
        self.loaded, self.found = True, view is not None
        if view is None:
            # Nothing of a previous image may linger for a viewer who may not see this one.
            self.image_id, self.prompt, self.thumbnail_url, self.swatches = 0, "", "", []
            return
        self.image_id, self.prompt = view.image_id, view.prompt
        self.thumbnail_url, self.swatches = view.thumbnail_url, view.swatches

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.load_user`): the palette of the image in the URL, for the
        viewer of this socket's session; the not-found view when they may not see it."""
        self.loaded = False
        image_id = id_from_path(str(self.router.url.path or ""))
        auth = await self.get_state(AuthState)
        view = None
        if image_id is not None:
            try:
                view = await asyncio.to_thread(read_palette, auth._user_id, image_id)
            except NotFound:
                view = None
        self._show(view)


def swatch(item: ObjectVar[Swatch]) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="40px",
            height="40px",
            border_radius="8px",
            background=item.hex,
            border="1px solid var(--gray-a6)",
            aria_hidden="true",
        ),
        rx.text(item.hex, font_family="monospace"),
        rx.text(item.percent.to_string() + "%", color_scheme="gray"),
        rx.el.span(item.label, class_name="sr-only"),
        spacing="3",
        align="center",
        custom_attrs={"data-testid": "swatch"},
    )


def found() -> rx.Component:
    S = PaletteState
    return rx.vstack(
        rx.heading("Palette", as_="h1", size="7"),
        rx.link(S.prompt, href=S.image_href),
        rx.flex(
            rx.el.img(src=S.thumbnail_url, alt=S.prompt, width="256", height="256"),
            rx.cond(
                S.swatches.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(rx.foreach(S.swatches, swatch), spacing="2"),
                rx.text("No colours could be read from this image's file."),
            ),
            gap="24px",
            wrap="wrap",
        ),
        spacing="4",
        width="100%",
    )


def palette_page() -> rx.Component:
    S = PaletteState
    return page_frame(
        rx.cond(
            S.loaded,
            rx.cond(S.found, found(), not_found_view("Image not found", "Go home", "/")),
            rx.center(rx.spinner(size="3"), padding_y="96px"),
        ),
    )
