"""`/ws/chat`: the adapter between one socket and the session core.

What the protocol decides (authentication, expiry, which frames, pings, malformed input) is
`api.session.ConnectionCore`'s; this module moves text in and events out, and carries out the
frames the core dispatches: a message (`api.session.admission.take`), a cancel, a resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from api.auth import Principal, verify
from api.deps import AppState
from api.live.pubsub import Subscriber
from api.origins import origin_allowed
from api.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_TOO_SLOW,
    AuthError,
    CancelFrame,
    ChatFrame,
    ErrorCode,
    ErrorEvent,
    ResumeFrame,
    ServerEventBase,
    SessionEvent,
    dump,
)
from api.session import Action, Authenticated, Close, ConnectionCore, Dispatch, Endpoint, Send
from api.session.admission import Refused, take
from api.session.channel import SessionChannel
from orchestrator.persistence import Forbidden
from orchestrator.settings import Environment

log = logging.getLogger(__name__)
router = APIRouter()

CHAT = Endpoint(
    frames=(ChatFrame, CancelFrame, ResumeFrame), wrong_frame="That frame is for /ws/staff"
)


class ChatConnection:
    """One client connection: frames in through the core, events out through one queue."""

    endpoint = CHAT

    def __init__(self, websocket: WebSocket, state: AppState) -> None:
        self.websocket = websocket
        self.state = state
        self.settings = state.settings
        self.core = ConnectionCore(
            self.endpoint,
            functools.partial(verify, state.secret),
            idle_s=self.settings.ws_idle_timeout_s,
            auth_s=self.settings.auth_timeout_s,
            max_frame_bytes=self.settings.max_frame_bytes,
        )
        self.subscriber = Subscriber(queue=asyncio.Queue())
        self.channel: SessionChannel | None = None
        self.partial_response = True  # the auth frame's choice, for messages that make none

    @property
    def user(self) -> Principal | None:
        return self.core.user

    # -- output ---------------------------------------------------------------------------
    def send(self, event: ServerEventBase | Close) -> None:
        if isinstance(event, Close):
            self.subscriber.queue.put_nowait(event)
        else:  # a pong, an error: as bounded as the session's events
            self.subscriber.put(event)

    def error(self, code: ErrorCode, message: str, **fields: object) -> None:
        event = ErrorEvent(error=message, code=code, **fields)
        self._count(event)
        self.send(event)

    def _count(self, event: ServerEventBase | Close) -> None:
        if isinstance(event, ErrorEvent):
            self.state.metrics.errors.labels(event.code.value).inc()
        elif isinstance(event, AuthError):
            self.state.metrics.errors.labels(ErrorCode.AUTH_FAILED.value).inc()

    async def _send_loop(self) -> None:
        queue = self.subscriber.queue
        while True:
            item = await queue.get()
            if item is None:
                return
            if self.subscriber.overflowed:  # not reading: what waits is dropped, it resumes
                log.warning("closing a connection that does not read its events")
                await self._close(Close(CLOSE_TOO_SLOW, "events not read"))
                return
            if isinstance(item, Close):
                await self._close(item)
                return
            assert isinstance(item, ServerEventBase)
            for action in self.core.outgoing(item, time.time()):
                if isinstance(action, Close):
                    await self._close(action)
                    return
                assert isinstance(action, Send)
                if action.event is not item:  # the core's own farewell: counted here
                    self._count(action.event)
                text = dump(action.event, partial_response=self.subscriber.partial_response)
                try:
                    await self.websocket.send_text(text)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    return

    async def _close(self, close: Close) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to close
            await self.websocket.close(code=close.code, reason=close.reason)

    # -- input ----------------------------------------------------------------------------
    async def run(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        try:
            token = self.websocket.query_params.get("token")
            if await self._carry_out(self.core.open(token)):
                await self._receive_loop(sender)
        finally:
            await self.closing()
            if not sender.done():
                self.subscriber.queue.put_nowait(None)
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(sender, timeout=5)

    async def closing(self) -> None:
        if self.channel is not None:
            with contextlib.suppress(Exception):  # Redis away: its subscription ends anyway
                await self.channel.unsubscribe(self.subscriber)

    async def _receive_loop(self, sender: asyncio.Task[None]) -> None:
        while not sender.done():
            wait_s = self.core.wait_s(time.time())
            try:
                message = await asyncio.wait_for(self.websocket.receive(), timeout=wait_s)
            except TimeoutError:
                busy = self.channel is not None and self.channel.busy
                if not await self._carry_out(self.core.timed_out(time.time(), busy)):
                    return
                continue
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            if not await self._carry_out(self.core.receive(message.get("text"), time.time())):
                return

    async def _carry_out(self, actions: list[Action]) -> bool:
        """Do what the core decided; False once the connection is to be closed."""
        for action in actions:
            match action:
                case Send(event=event):
                    self._count(event)
                    self.send(event)
                case Close():
                    self.send(action)
                    return False
                case Authenticated(user=user, partial_response=partial):
                    self.partial_response = self.subscriber.partial_response = partial
                    await self.authenticated(user)
                case Dispatch(frame=frame):
                    await self.dispatch(frame)
        return True

    async def authenticated(self, user: Principal) -> None:
        """The endpoint's own set-up once the user is known."""

    async def dispatch(self, frame: object) -> None:
        match frame:
            case ChatFrame():
                await self._on_message(frame)
            case CancelFrame():
                await self._on_cancel(frame)
            case ResumeFrame():
                await self._on_resume(frame)

    async def _attach(self, channel: SessionChannel) -> None:
        if self.channel is not channel:
            if self.channel is not None:
                await self.channel.unsubscribe(self.subscriber)
            self.channel = None
            self.subscriber.last_seq = 0  # another session: its own numbering
            await channel.subscribe(self.subscriber)
            self.channel = channel

    # -- frames ---------------------------------------------------------------------------
    async def _on_message(self, frame: ChatFrame) -> None:
        user = self.user
        assert user is not None

        async def attach(channel: SessionChannel) -> None:
            await self._attach(channel)
            chosen = frame.partial_response
            self.subscriber.partial_response = self.partial_response if chosen is None else chosen

        # The session's live events wait until `session` (and `queued`) are out: attached to
        # a session whose turn is streaming, a message's first reply is still `session`.
        def announce(event: ServerEventBase) -> None:
            if isinstance(event, SessionEvent) and event.last_seq is not None:
                # Events held back follow `session`: its last_seq must not cover them.
                event = event.model_copy(
                    update={"last_seq": self.subscriber.before_held(event.last_seq)}
                )
            self.send(event)

        self.subscriber.hold()
        try:
            taken = await take(self.state, user, frame, attach, announce=announce)
        except Exception:  # e.g. the database is unreachable: the connection stays usable
            log.exception("could not admit a message")
            self.error(
                ErrorCode.PROCESSING_ERROR,
                "Your message could not be taken right now; please send it again",
                session_id=frame.session_id,
            )
            return
        finally:
            self.subscriber.catch_up([])
        if isinstance(taken, Refused):
            self.error(
                taken.code,
                taken.message,
                session_id=taken.session_id,
                retry_after=taken.retry_after,
                turn_id=taken.turn_id,
            )
        elif taken.answer is not None:
            self.send(taken.answer)

    async def _on_cancel(self, frame: CancelFrame) -> None:
        channel = self.channel
        if channel is None or frame.session_id not in (None, channel.session_id):
            return  # only the session this connection is attached to
        try:
            await self.state.channels.cancel(channel.session_id)
        except Exception:  # Redis away: the turn runs on and ends by itself
            log.exception("could not cancel in session %s", channel.session_id)
            self.error(
                ErrorCode.PROCESSING_ERROR,
                "The cancel could not be passed on; please send it again",
                session_id=channel.session_id,
            )

    async def _on_resume(self, frame: ResumeFrame) -> None:
        user = self.user
        assert user is not None
        try:
            conversation = await self.state.orchestrator.services.db.readable_conversation(
                frame.session_id, user.id, is_staff=user.is_staff
            )
        except Forbidden:  # as REST answers (404): someone else's session reads as none
            conversation = None
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
        channels = self.state.channels
        events: list[ServerEventBase] = []
        self.subscriber.hold()
        try:
            channel = await channels.channel(session_id)
            await self._attach(channel)
            self.subscriber.last_seq = after_seq
            # Subscribed first, then read: what is published meanwhile is held, not lost.
            events = await channel.resume(after_seq, await channels.running(session_id))
        except Exception:  # the database or Redis is away: the connection stays usable
            log.exception("could not follow session %s", session_id)
            self.error(
                ErrorCode.PROCESSING_ERROR,
                "The session could not be followed right now; please try again",
                session_id=session_id,
            )
        finally:
            self.subscriber.catch_up(events)


async def serve_connection(
    websocket: WebSocket, connection: type[ChatConnection], endpoint: str
) -> None:
    """Accept, refuse a foreign Origin with 4003, run the connection, count it while open."""
    state: AppState = websocket.app.state.app
    settings = state.settings
    await websocket.accept()
    if not origin_allowed(
        websocket.headers.get("origin"),
        websocket.headers.get("host"),
        settings.allowed_origins,
        development=settings.environment is Environment.development,
    ):
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
