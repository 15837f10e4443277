"""`/ws/chat`: moves protocol messages between one socket and the session channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from api.admission import Admitted, Forwarded, Join, Refused, Replay, admit
from api.auth import InvalidToken, Principal, verify
from api.channels import SessionChannel
from api.deps import AppState
from api.handoff import customer_wrote
from api.protocol import (
    CLOSE_AUTH,
    CLOSE_FORBIDDEN,
    AuthError,
    AuthFrame,
    AuthSuccess,
    CancelFrame,
    ChatFrame,
    ErrorCode,
    ErrorEvent,
    PingFrame,
    PongEvent,
    ProtocolError,
    ResumeFrame,
    ServerEventBase,
    SessionEvent,
    UserInfo,
    dump,
    parse_client_frame,
)
from api.pubsub import Subscriber
from orchestrator.persistence import Forbidden

log = logging.getLogger(__name__)
router = APIRouter()


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


class ChatConnection:
    """One client connection: authentication, frames in, events out through one queue."""

    def __init__(self, websocket: WebSocket, state: AppState) -> None:
        self.websocket = websocket
        self.state = state
        self.settings = state.settings
        self.user: Principal | None = None
        self.subscriber = Subscriber(queue=asyncio.Queue())
        self.channel: SessionChannel | None = None

    # -- output ---------------------------------------------------------------------------
    def send(self, event: ServerEventBase | Close) -> None:
        self.subscriber.queue.put_nowait(event)

    def error(self, code: ErrorCode, message: str, **fields: object) -> None:
        self.state.metrics.errors.labels(code.value).inc()
        self.send(ErrorEvent(error=message, code=code, **fields))

    async def _send_loop(self) -> None:
        queue = self.subscriber.queue
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, Close):
                with contextlib.suppress(Exception):
                    await self.websocket.close(code=item.code, reason=item.reason)
                return
            assert isinstance(item, ServerEventBase)
            text = dump(item, partial_response=self.subscriber.partial_response)
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return

    # -- input ----------------------------------------------------------------------------
    async def run(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        try:
            token = self.websocket.query_params.get("token")
            if token is not None and not self._authenticate(token):
                return
            await self._receive_loop(sender)
        finally:
            if self.channel is not None:
                self.channel.unsubscribe(self.subscriber)
            if not sender.done():
                self.subscriber.queue.put_nowait(None)
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(sender, timeout=5)

    async def _receive_loop(self, sender: asyncio.Task[None]) -> None:
        while not sender.done():
            try:
                message = await asyncio.wait_for(
                    self.websocket.receive(), timeout=self.settings.ws_idle_timeout_s
                )
            except TimeoutError:
                if self.channel is not None and self.channel.busy:
                    continue  # waiting for an answer is not idle
                self.send(Close(1000, "idle timeout"))
                return
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is None:
                self.error(
                    ErrorCode.INVALID_MESSAGE, "Binary frames are not supported; send JSON text"
                )
                continue
            try:
                frame = parse_client_frame(message["text"])
            except ProtocolError as exc:
                self.error(exc.code, exc.message)
                continue
            if not await self._handle(frame):
                return

    async def _handle(self, frame: object) -> bool:
        """Act on one frame; False ends the connection."""
        if self.user is None:
            if isinstance(frame, AuthFrame):
                return self._authenticate(frame.token)
            self.error(ErrorCode.AUTH_REQUIRED, "Authenticate first: send {type: auth, token}")
            self.send(Close(CLOSE_AUTH, "authentication required"))
            return False
        if self._expired():
            self.error(ErrorCode.AUTH_FAILED, "Your token has expired; reconnect with a new one")
            self.send(Close(CLOSE_AUTH, "token expired"))
            return False
        match frame:
            case AuthFrame():
                self.error(ErrorCode.INVALID_MESSAGE, "Already authenticated")
            case PingFrame(timestamp=timestamp):
                self.send(PongEvent(timestamp=timestamp))
            case ChatFrame():
                await self._on_message(frame)
            case CancelFrame():
                self._on_cancel(frame)
            case ResumeFrame():
                await self._on_resume(frame)
            case _:
                self.error(ErrorCode.INVALID_MESSAGE, "That frame is for /ws/staff")
        return True

    def _authenticate(self, token: str) -> bool:
        try:
            self.user = verify(self.state.secret, token)
        except InvalidToken as exc:
            self.state.metrics.errors.labels(ErrorCode.AUTH_FAILED.value).inc()
            self.send(AuthError(message=f"Authentication failed: {exc}"))
            self.send(Close(CLOSE_AUTH, "authentication failed"))
            return False
        self.send(
            AuthSuccess(
                message="Authenticated",
                user=UserInfo(id=self.user.id, name=self.user.name, role=self.user.role),
            )
        )
        return True

    def _expired(self) -> bool:
        return self.user is not None and self.user.expires_at < time.time()

    def _attach(self, channel: SessionChannel) -> None:
        if self.channel is not channel:
            if self.channel is not None:
                self.channel.unsubscribe(self.subscriber)
            channel.subscribe(self.subscriber)
            self.channel = channel

    # -- frames ---------------------------------------------------------------------------
    async def _on_message(self, frame: ChatFrame) -> None:
        user = self.user
        assert user is not None
        try:
            decision = await admit(self.state, user, frame)
        except Exception:  # e.g. the database is unreachable: the connection stays usable
            log.exception("could not admit a message")
            self.error(
                ErrorCode.PROCESSING_ERROR,
                "Your message could not be taken right now; please send it again",
                session_id=frame.session_id,
            )
            return
        match decision:
            case Refused():
                self.error(
                    decision.code,
                    decision.message,
                    session_id=decision.session_id,
                    retry_after=decision.retry_after,
                    turn_id=decision.turn_id,
                )
                return
            case (
                Join(channel=channel)
                | Replay(channel=channel)
                | Admitted(channel=channel)
                | Forwarded(channel=channel)
            ):
                self._attach(channel)
                self.subscriber.partial_response = frame.partial_response
        session_id = channel.session_id
        last_seq = channel.last_seq
        match decision:
            case Join():
                self.send(
                    SessionEvent(
                        session_id=session_id,
                        created=False,
                        last_seq=last_seq,
                        turn_id=channel.turn_id,
                    )
                )
            case Forwarded(message=stored):
                self.send(SessionEvent(session_id=session_id, created=False, last_seq=last_seq))
                await customer_wrote(self.state, session_id, stored)
            case Replay(answer=answer):
                self.send(SessionEvent(session_id=session_id, created=False, last_seq=last_seq))
                self.send(answer)
            case Admitted(created=created, owner_id=owner_id, turn_id=turn_id):
                self.send(
                    SessionEvent(
                        session_id=session_id, created=created, last_seq=last_seq, turn_id=turn_id
                    )
                )
                self.state.channels.start_turn(
                    channel,
                    customer_id=owner_id,
                    author_id=user.id,
                    text=frame.message,
                    turn_id=turn_id,
                    client_message_id=frame.message_id,
                )

    def _on_cancel(self, frame: CancelFrame) -> None:
        channel = self.channel
        if frame.session_id is not None:
            channel = self.state.channels.channels.get(frame.session_id)
            if channel is not None and channel is not self.channel:
                channel = None  # only the session this connection is attached to
        if channel is not None:
            channel.cancel()

    async def _on_resume(self, frame: ResumeFrame) -> None:
        user = self.user
        assert user is not None
        try:
            conversation = await self.state.orchestrator.services.db.readable_conversation(
                frame.session_id, user.id, is_staff=user.is_staff
            )
        except Forbidden:
            self.error(
                ErrorCode.FORBIDDEN,
                "That session belongs to someone else",
                session_id=frame.session_id,
            )
            return
        if conversation is None:
            self.error(
                ErrorCode.SESSION_NOT_FOUND,
                f"No session {frame.session_id}",
                session_id=frame.session_id,
            )
            return
        await self._follow(frame.session_id, frame.after_seq)

    async def _follow(self, session_id: str, after_seq: int) -> None:
        """Attach to a session: its kept events after `after_seq`, a `session` marker, then live."""
        channel = await self.state.channels.channel(session_id)
        missed = channel.replay(after_seq)
        self._attach(channel)
        for event in missed:
            self.send(event)
        self.send(
            SessionEvent(
                session_id=session_id,
                created=False,
                last_seq=channel.last_seq,
                turn_id=channel.turn_id if channel.busy else None,
            )
        )


async def serve_connection(
    websocket: WebSocket, connection: type[ChatConnection], endpoint: str
) -> None:
    """Accept, refuse a foreign Origin with 4003, run the connection, count it while open."""
    state: AppState = websocket.app.state.app
    origin = websocket.headers.get("origin")
    await websocket.accept()
    if origin is not None and origin not in state.settings.allowed_origins:
        await websocket.close(code=CLOSE_FORBIDDEN, reason="origin not allowed")
        return
    gauge = state.metrics.connections.labels(endpoint)
    gauge.inc()
    try:
        await connection(websocket, state).run()
    finally:
        gauge.dec()
        if websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()


@router.websocket("/ws/chat")
async def chat(websocket: WebSocket) -> None:
    """Customer chat: see docs/protocol.md."""
    await serve_connection(websocket, ChatConnection, "chat")
