"""One WebSocket connection's protocol state, without I/O (in the manner of python-websockets'
`Protocol`): text in, actions out.

The adapter (`api/ws.py`) feeds it what the socket received and carries out what it returns:
`Send` an event, `Close` the socket, `Dispatch` a frame that needs the application (a chat
message, a cancel, a resume, a watch), `Authenticated` once the user is known. The core decides
everything the protocol fixes: authentication first, expiry, which frames an endpoint takes,
pings, malformed input. Time comes in as an argument, so tests need no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from api.auth import InvalidToken, Principal
from api.protocol import (
    CLOSE_AUTH,
    CLOSE_FORBIDDEN,
    AuthError,
    AuthFrame,
    AuthSuccess,
    ErrorCode,
    ErrorEvent,
    PingFrame,
    PongEvent,
    ProtocolError,
    ServerEventBase,
    UserInfo,
    parse_client_frame,
)

__all__ = [
    "Action",
    "Authenticated",
    "Close",
    "ConnectionCore",
    "Dispatch",
    "Endpoint",
    "Phase",
    "Send",
]


BINARY = "Binary frames are not supported; send JSON text"
SLACK_S = 0.01  # waits end this much after a deadline, so that the deadline has passed


class Phase(StrEnum):
    UNAUTHENTICATED = "unauthenticated"
    AUTHENTICATED = "authenticated"
    CLOSED = "closed"


@dataclass(frozen=True)
class Send:
    event: ServerEventBase


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


@dataclass(frozen=True)
class Dispatch:
    """A frame for the application to act on (the user is authenticated and not expired)."""

    frame: object


@dataclass(frozen=True)
class Authenticated:
    user: Principal
    partial_response: bool = True  # the connection's choice for its token events


Action = Send | Close | Dispatch | Authenticated


@dataclass(frozen=True)
class Endpoint:
    """What one WebSocket endpoint accepts beyond auth and ping."""

    frames: tuple[type, ...]
    wrong_frame: str  # the INVALID_MESSAGE text for any other frame
    staff_only: bool = False


class ConnectionCore:
    """The state of one connection: unauthenticated → authenticated → closed."""

    def __init__(
        self,
        endpoint: Endpoint,
        verify: Callable[[str], Principal],
        *,
        idle_s: float = 300.0,
        auth_s: float = 10.0,
        max_frame_bytes: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.verify = verify
        self.idle_s = idle_s  # nothing received for this long, and no turn running: closed
        self.auth_s = auth_s  # no `auth` for this long after opening: closed
        self.max_frame_bytes = max_frame_bytes  # a longer frame is refused, not parsed
        self.phase = Phase.UNAUTHENTICATED
        self.user: Principal | None = None
        self.active_at: float | None = None  # when the client last sent a frame

    # -- inputs ---------------------------------------------------------------------------
    def open(self, query_token: str | None) -> list[Action]:
        """The socket was accepted; `?token=` authenticates at once when given."""
        return self._authenticate(query_token) if query_token is not None else []

    def receive(self, text: str | None, now: float) -> list[Action]:
        """One WebSocket message: its text, or None for a binary frame."""
        if self.phase is Phase.CLOSED:
            return []
        self.active_at = now
        if self.user is not None and self.user.expires_at < now:
            return self._expired()  # whatever the frame: a malformed one is not answered
        if self.user is None and text is None:
            return self._auth_required()
        if text is None:
            return [self._error(ErrorCode.INVALID_MESSAGE, BINARY)]
        if self.max_frame_bytes is not None and len(text) * 4 > self.max_frame_bytes:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > self.max_frame_bytes:
                if self.user is None:
                    return self._auth_required()
                return [self._too_large(size)]
        try:
            frame = parse_client_frame(text)
        except ProtocolError as exc:
            if self.user is None:  # anything but a valid `auth` first closes the connection
                return self._auth_required()
            return [self._error(exc.code, exc.message)]
        return self.frame(frame, now)

    def frame(self, frame: object, now: float) -> list[Action]:
        """A parsed client frame."""
        if self.phase is Phase.CLOSED:
            return []
        if self.user is None:
            if isinstance(frame, AuthFrame):
                return self._authenticate(frame.token, frame.partial_response)
            return self._auth_required()
        if self.user.expires_at < now:
            return self._expired()
        match frame:
            case AuthFrame():
                return [self._error(ErrorCode.INVALID_MESSAGE, "Already authenticated")]
            case PingFrame(timestamp=timestamp):
                return [Send(PongEvent(timestamp=timestamp))]
            case _ if isinstance(frame, self.endpoint.frames):
                return [Dispatch(frame)]
        return [self._error(ErrorCode.INVALID_MESSAGE, self.endpoint.wrong_frame)]

    def idle(self, busy: bool) -> list[Action]:
        """Nothing was received for the idle timeout; waiting for an answer is not idle."""
        if busy or self.phase is Phase.CLOSED:
            return []
        self.phase = Phase.CLOSED
        return [Close(1000, "idle timeout")]

    def wait_s(self, now: float) -> float:
        """How long to wait for the next frame before calling `timed_out`: the time left to
        authenticate, else the idle timeout, cut short by the token's expiry."""
        if self.user is None:
            return self.auth_s
        if self.active_at is None:
            self.active_at = now  # authenticated by the address: the idle clock starts now
        left = min(self.active_at + self.idle_s, self.user.expires_at) - now
        return max(0.0, left) + SLACK_S

    def timed_out(self, now: float, busy: bool) -> list[Action]:
        """Nothing arrived within `wait_s`: no `auth` in time, the token expired, or idle."""
        if self.phase is Phase.CLOSED:
            return []
        if self.user is None:
            return self._close(
                ErrorCode.AUTH_REQUIRED,
                "No auth frame arrived in time; send {type: auth, token} first",
                CLOSE_AUTH,
                "authentication timeout",
            )
        if self.user.expires_at < now:
            return self._expired()
        if busy:  # waiting for an answer is not idle: the idle clock starts again
            self.active_at = now
            return []
        if self.active_at is not None and now - self.active_at < self.idle_s:
            return []  # woken early: wait again
        return self.idle(busy=False)

    def outgoing(self, event: ServerEventBase, now: float) -> list[Action]:
        """An event for the client: sent, unless its token has expired meanwhile (then the
        connection is closed instead, and the event never leaves). One of a turn restarts the
        idle clock: waiting for an answer is not idle, wherever the turn runs (a message
        waiting in line may be answered by another instance)."""
        if self.user is None or self.user.expires_at >= now:
            if getattr(event, "turn_id", None) is not None and self.phase is not Phase.CLOSED:
                self.active_at = now
            return [Send(event)]
        if self.phase is not Phase.CLOSED:
            return self._expired()
        # Closed for the expiry already: only that farewell goes out.
        farewell = isinstance(event, ErrorEvent) and event.code is ErrorCode.AUTH_FAILED
        return [Send(event)] if farewell else []

    # -- decisions ------------------------------------------------------------------------
    def _authenticate(self, token: str, partial_response: bool = True) -> list[Action]:
        try:
            user = self.verify(token)
        except InvalidToken as exc:
            self.phase = Phase.CLOSED
            return [
                Send(AuthError(message=f"Authentication failed: {exc}")),
                Close(CLOSE_AUTH, "authentication failed"),
            ]
        if self.endpoint.staff_only and not user.is_staff:
            self.phase = Phase.CLOSED
            return [
                Send(AuthError(message="The staff console needs a staff or admin token")),
                Close(CLOSE_FORBIDDEN, "staff only"),
            ]
        self.user = user
        self.phase = Phase.AUTHENTICATED
        info = UserInfo(id=user.id, name=user.name, role=user.role)
        return [
            Send(AuthSuccess(message="Authenticated", user=info)),
            Authenticated(user, partial_response),
        ]

    def _error(self, code: ErrorCode, message: str) -> Send:
        return Send(ErrorEvent(error=message, code=code))

    def _too_large(self, size: int) -> Send:
        """A frame over the limit, answered as a message over the limit is: the connection
        stays (its text is not parsed)."""
        return self._error(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"The frame has {size} bytes; the limit is {self.max_frame_bytes}. "
            "Send a shorter message.",
        )

    def _auth_required(self) -> list[Action]:
        return self._close(
            ErrorCode.AUTH_REQUIRED,
            "Authenticate first: send {type: auth, token}",
            CLOSE_AUTH,
            "authentication required",
        )

    def _expired(self) -> list[Action]:
        return self._close(
            ErrorCode.AUTH_FAILED,
            "Your token has expired; reconnect with a new one",
            CLOSE_AUTH,
            "token expired",
        )

    def _close(self, code: ErrorCode, message: str, close: int, reason: str) -> list[Action]:
        self.phase = Phase.CLOSED
        return [self._error(code, message), Close(close, reason)]
