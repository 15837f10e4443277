"""uvicorn's WebSocket protocol, letting go of a client that stops reading.

Such a client fills the kernel's send buffer, then the transport's; from then on every send
waits for room that never comes, and a polite close waits too (it flushes first), so the
socket stays ESTABLISHED holding megabytes (issue 16 measured 2.8 MB each). Here:

- a send that has waited `WS_SEND_TIMEOUT_S` for room ends the connection: a close frame
  (4008) is queued if it can be, and the socket is aborted, not flushed;
- a keepalive ping left unanswered aborts the socket in the same way;
- a connection being closed (by the client's close frame, the application, a protocol error
  or a shutdown) whose socket has not gone `WS_SEND_TIMEOUT_S` later is aborted: a polite
  close waits for unsent data to be taken, which a client that reads nothing never does.

And a text frame that is not UTF-8 closes the connection with 1007 as before, logged as one
line instead of a traceback per frame.

A frame over `MAX_FRAME_BYTES` is read and refused by the application with
`MESSAGE_TOO_LARGE`, the connection kept (`api.session.ConnectionCore`); only one over
`read_limit` (16 times as much) is refused here, unread, by closing with 1009.

The application's own bound (too many events queued for one connection) is
`api.live.pubsub.Subscriber.limit`. Compression is offered as uvicorn offers it, but a small
message goes out plain (`api.ws_compression`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from api.protocol import CLOSE_TOO_SLOW
from api.ws_compression import extensions
from orchestrator.settings import get_settings

log = logging.getLogger(__name__)
READ_FACTOR = 16


def read_limit(max_frame_bytes: int) -> int:
    """The largest frame read at all: past `max_frame_bytes` a frame is still read, so that
    it can be answered with an error and the connection kept, up to this bound on memory."""
    return max_frame_bytes * READ_FACTOR


class SlowClientsLetGo(WebSocketsSansIOProtocol):
    send_timeout_s: float | None = None  # from the settings, on first use
    compress_min_bytes: int | None = None  # likewise

    _abort_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:  # offered before the handshake is read
            self.conn.available_extensions = extensions(self._compress_min_bytes())

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # The kernel's own bound on a peer that takes no data: unacknowledged (or refused by
        # a shut window) for this long, the connection is dropped, even after the socket was
        # closed with data still queued (which would otherwise linger for minutes).
        sock = transport.get_extra_info("socket")
        timeout_ms = int(self._send_timeout_s() * 1000)
        if sock is not None and hasattr(socket, "TCP_USER_TIMEOUT"):
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, timeout_ms)

    async def send(self, message: Any) -> None:
        if not self.writable.is_set() and not self.disconnected:
            try:
                async with asyncio.timeout(self._send_timeout_s()):
                    await self.writable.wait()
            except TimeoutError:
                log.warning("a client has read nothing for %.0f s: closing", self._send_timeout_s())
                self._abort()
                raise ClientDisconnected from None
        await super().send(message)
        if message.get("type") == "websocket.close":
            self._abort_later()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                log.warning("a text frame that is not UTF-8: closing with 1007")
                self.conn.send_close(1007, "text frames must be UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self._abort()  # its close only flushed: a peer that reads nothing kept the socket

    def handle_close(self, event: Any) -> None:
        super().handle_close(event)
        self._abort_later()

    def handle_parser_exception(self) -> None:
        super().handle_parser_exception()
        self._abort_later()

    def shutdown(self) -> None:
        super().shutdown()
        self._abort_later()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._abort_timer is not None:
            self._abort_timer.cancel()
            self._abort_timer = None
        super().connection_lost(exc)

    def _abort_later(self) -> None:
        """The socket is closing: if it is still there after the send timeout, abort it."""
        if self._abort_timer is None and not self.disconnected:
            self._abort_timer = self.loop.call_later(self._send_timeout_s(), self._abort_if_open)

    def _abort_if_open(self) -> None:
        self._abort_timer = None
        if not self.disconnected:
            log.warning(
                "a closed connection's client took nothing for %.0f s: dropping it",
                self._send_timeout_s(),
            )
            self._reset()

    def _abort(self) -> None:
        if not self.close_sent and not self.transport.is_closing():
            self.conn.fail(CLOSE_TOO_SLOW, "events not read")
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
        self._reset()

    def _reset(self) -> None:
        """Drop the socket now, unsent data and all. A plain close (even an abort) leaves the
        kernel holding the unsent bytes and the connection ESTABLISHED for minutes, retrying
        a peer whose window stays shut; with SO_LINGER 0 the close resets it at once."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    @classmethod
    def _send_timeout_s(cls) -> float:
        if cls.send_timeout_s is None:
            cls.send_timeout_s = get_settings().ws_send_timeout_s
        return cls.send_timeout_s

    @classmethod
    def _compress_min_bytes(cls) -> int:
        if cls.compress_min_bytes is None:
            cls.compress_min_bytes = get_settings().ws_compress_min_bytes
        return cls.compress_min_bytes
