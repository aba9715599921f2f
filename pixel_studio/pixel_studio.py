"""The Reflex app: pages are registered here; the backend's own routes come from api/."""

import reflex as rx

from pixel_studio.api import create_api


def index() -> rx.Component:
    return rx.heading("Pixel Studio")


app = rx.App(api_transformer=create_api())
app.add_page(index, route="/")
