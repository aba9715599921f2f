"""The one place where every socket event learns who is asking (issue 13, item 5).

A Reflex middleware runs before each event handler, under the tab's state lock, with the
router data of the socket that sent the event. It re-derives the viewer from that socket's
session cookie (`AuthState._verify_identity`), so handlers read `AuthState._user_id` as a fact
about this event, not as a value cached from an earlier one. It is added first, ahead of any
other middleware, so even the hydrate snapshot a new socket receives is taken after the reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event

from pixel_studio.state.auth import AuthState

if TYPE_CHECKING:
    from reflex.app import App


class IdentityMiddleware(Middleware):
    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        auth = await state.get_state(AuthState)
        await auth._verify_identity()
        return None  # never swallows the event: the handler runs, with the verified identity


def install(app: App) -> None:
    app.add_middleware(IdentityMiddleware(), index=0)
