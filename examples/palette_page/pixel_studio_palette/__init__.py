"""`/palette/[image_id]`: the colour palette of an image the viewer may see.

Loaded only by the web app (the `pixel_studio.pages` group), never by the worker.
"""

from __future__ import annotations

from pixel_studio.plugins.api import PLUGIN_API_VERSION, PagePlugin
from pixel_studio_palette.page import PaletteState, palette_page

ROUTE = "/palette/[image_id]"

page = PagePlugin(
    route=ROUTE,
    title="Palette",
    component=palette_page,
    on_load=(PaletteState.load,),
    nav=None,  # a palette is of one image: reached from an address, not from the nav
    state=PaletteState,
    api_version=PLUGIN_API_VERSION,
)
