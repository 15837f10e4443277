"""`/ws/staff`: the console's live conversation list and the conversation a staff member watches."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from api.auth import InvalidToken, verify
from api.protocol import (
    CLOSE_FORBIDDEN,
    AuthError,
    AuthFrame,
    ErrorCode,
    PingFrame,
    UnwatchFrame,
    WatchFrame,
)
from api.pubsub import STAFF_TOPIC
from api.ws import ChatConnection, Close, serve_connection

router = APIRouter()


class StaffConnection(ChatConnection):
    """A staff member's connection: staff roles only; list updates plus one watched session."""

    def _authenticate(self, token: str) -> bool:
        try:
            principal = verify(self.state.secret, token)
        except InvalidToken:
            return super()._authenticate(token)  # auth_error and close 4001
        if not principal.is_staff:
            self.send(AuthError(message="The staff console needs a staff or admin token"))
            self.send(Close(CLOSE_FORBIDDEN, "staff only"))
            return False
        if not super()._authenticate(token):
            return False
        self.state.channels.pubsub.subscribe(STAFF_TOPIC, self.subscriber)
        return True

    async def _handle(self, frame: object) -> bool:
        if self.user is None or isinstance(frame, AuthFrame | PingFrame):
            return await super()._handle(frame)
        match frame:
            case WatchFrame(session_id=session_id):
                found = await self.state.orchestrator.services.db.readable_conversation(
                    session_id, self.user.id, is_staff=True
                )
                if found is None:
                    self.error(
                        ErrorCode.SESSION_NOT_FOUND,
                        f"No session {session_id}",
                        session_id=session_id,
                    )
                    return True
                await self._follow(session_id, 0)
            case UnwatchFrame():
                if self.channel is not None:
                    self.channel.unsubscribe(self.subscriber)
                    self.channel = None
            case _:
                self.error(
                    ErrorCode.INVALID_MESSAGE,
                    "Staff connections take auth, watch, unwatch and ping",
                )
        return True

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            self.state.channels.pubsub.unsubscribe(STAFF_TOPIC, self.subscriber)


@router.websocket("/ws/staff")
async def staff(websocket: WebSocket) -> None:
    """Staff console: live conversation list and watched conversations."""
    await serve_connection(websocket, StaffConnection, "staff")
