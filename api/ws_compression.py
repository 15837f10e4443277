"""permessage-deflate where it pays: a message shorter than `WS_COMPRESS_MIN_BYTES` goes out
uncompressed on a connection that negotiated compression.

RFC 7692 lets each message choose (section 6: RSV1 marks a compressed one), and neither
side's compression context sees a message sent plain, so skipping one never disturbs the
next. Our frames are mostly small (a `progress` step of ~190 bytes, a `token` frame of a few
words, ~140 when the client opted out of `partial_response`): deflating one with a sync flush
costs 4-5 us on the event loop (0.4-0.8 sent plain) and saves ~130 bytes that fit in the same
packet either way; at 100 answers under way, 3,000 frames a second, that is ~1.5 % of a core.
Large messages (the growing `partial_response`, `sources`, `complete`, history on resume)
still compress, and with context takeover a message that repeats the last one costs a few
bytes.

The same window and memory settings as uvicorn's own negotiation (12 bits, memLevel 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from websockets.extensions.base import ServerExtensionFactory
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.typing import ExtensionParameter

__all__ = ["PlainWhenSmall", "extensions"]

_DATA = (Opcode.TEXT, Opcode.BINARY)


class PlainWhenSmall(PerMessageDeflate):
    """permessage-deflate that sends a whole message under `min_bytes` as it is."""

    min_bytes = 0

    def encode(self, frame: Frame) -> Frame:
        if frame.fin and frame.opcode in _DATA and len(frame.data) < self.min_bytes:
            return frame  # RSV1 unset: the peer reads it as it is
        return super().encode(frame)


class _Factory(ServerPerMessageDeflateFactory):
    def __init__(self, min_bytes: int, **options: Any) -> None:
        super().__init__(**options)
        self.min_bytes = min_bytes

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Any]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        response, negotiated = super().process_request_params(params, accepted_extensions)
        extension = PlainWhenSmall(
            negotiated.remote_no_context_takeover,
            negotiated.local_no_context_takeover,
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            self.compress_settings,
        )
        extension.min_bytes = self.min_bytes
        return response, extension


def extensions(min_bytes: int) -> list[ServerExtensionFactory]:
    """What a server offers: permessage-deflate, messages under `min_bytes` sent plain."""
    return [
        _Factory(
            min_bytes,
            server_max_window_bits=12,
            client_max_window_bits=12,
            compress_settings={"memLevel": 5},
        )
    ]
