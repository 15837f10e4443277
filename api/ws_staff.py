"""`/ws/staff`: the console's live conversation list and the conversation a staff member watches.

The same adapter as `/ws/chat` over the same core, with the staff endpoint's rules: staff and
admin tokens only, and the frames `watch` and `unwatch`.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, WebSocket

from api.auth import Principal
from api.live.pubsub import STAFF_TOPIC
from api.protocol import ErrorCode, UnwatchFrame, WatchFrame
from api.session import Endpoint
from api.ws import ChatConnection, serve_connection
from orchestrator.persistence import UNAVAILABLE

router = APIRouter()

STAFF = Endpoint(
    frames=(WatchFrame, UnwatchFrame),
    wrong_frame="Staff connections take auth, watch, unwatch and ping",
    staff_only=True,
)


class StaffConnection(ChatConnection):
    """A staff member's connection: list updates plus one watched session."""

    endpoint = STAFF

    async def authenticated(self, user: Principal) -> None:
        # Known from now on, so that a colleague can hand them a conversation (the list goes on
        # without it while the database is away).
        with contextlib.suppress(*UNAVAILABLE):
            await self.state.orchestrator.services.db.ensure_user((user.id, user.name, user.role))
        await self.state.channels.pubsub.subscribe(STAFF_TOPIC, self.subscriber)

    async def dispatch(self, frame: object) -> None:
        user = self.user
        assert user is not None
        match frame:
            case WatchFrame(session_id=session_id):
                found = await self.state.orchestrator.services.db.readable_conversation(
                    session_id, user.id, is_staff=True
                )
                if found is None:
                    missing = f"No session {session_id}"
                    self.error(ErrorCode.SESSION_NOT_FOUND, missing, session_id=session_id)
                    return
                await self._follow(session_id, 0)
            case UnwatchFrame():
                if self.channel is not None:
                    await self.channel.unsubscribe(self.subscriber)
                    self.channel = None

    async def closing(self) -> None:
        await super().closing()
        await self.state.channels.pubsub.unsubscribe(STAFF_TOPIC, self.subscriber)


@router.websocket("/ws/staff")
async def staff(websocket: WebSocket) -> None:
    """Staff console: live conversation list and watched conversations."""
    await serve_connection(websocket, StaffConnection, "staff")
