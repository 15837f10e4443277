"""permessage-deflate where it pays: small messages go out plain, large ones compressed, and a
client reads both on one connection (`api.ws_compression`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol
from websockets.typing import ExtensionParameter
from websockets.uri import parse_uri

from api.ws_compression import PlainWhenSmall, extensions
from orchestrator.settings import Settings
from tests.utils.server import ORIGIN, ServerProcess

RSV1 = 0x40  # the first byte's bit that marks a compressed message


def _connected(min_bytes: int) -> tuple[ServerProtocol, ClientProtocol]:
    """A server and a client that negotiated permessage-deflate, in memory."""
    server = ServerProtocol(extensions=extensions(min_bytes))
    client = ClientProtocol(
        parse_uri("ws://test/ws/chat"),
        extensions=[ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5})],
    )
    request = client.connect()
    client.send_request(request)
    for chunk in client.data_to_send():
        server.receive_data(chunk)
    (handshake,) = server.events_received()
    server.send_response(server.accept(handshake))
    for chunk in server.data_to_send():
        client.receive_data(chunk)
    client.events_received()
    assert [type(e) for e in server.extensions] == [PlainWhenSmall]
    assert [type(e) for e in client.extensions] == [PerMessageDeflate]
    return server, client


def _send(server: ServerProtocol, client: ClientProtocol, text: str) -> tuple[bool, int, str]:
    """Whether the message went out compressed, its size on the wire, what the client read."""
    server.send_text(text.encode())
    wire = b"".join(server.data_to_send())
    client.receive_data(wire)
    (frame,) = client.events_received()
    assert isinstance(frame, Frame) and frame.opcode is Opcode.TEXT
    return bool(wire[0] & RSV1), len(wire), frame.data.decode()


def test_a_small_message_goes_out_plain_and_a_large_one_compressed() -> None:
    server, client = _connected(min_bytes=512)
    token = json.dumps({"type": "token", "content": "The Ridge tows 3,500 kg"})
    answer = json.dumps({"type": "complete", "response": "The Ridge tows 3,500 kg. " * 40})
    assert _send(server, client, token)[::2] == (False, token)
    compressed, size, read = _send(server, client, answer)
    assert compressed and read == answer and size < len(answer) / 4


def test_plain_messages_between_compressed_ones_leave_both_contexts_intact() -> None:
    server, client = _connected(min_bytes=100)
    growing = ""
    seen: list[bool] = []
    for word in ["Check", "the", "oil", "level", "every", "month"] * 12:
        growing += f"{word} "
        text = json.dumps({"type": "token", "partial_response": growing})
        compressed, size, read = _send(server, client, text)
        assert read == text  # the client decodes every one, whichever way it came
        seen.append(compressed)
    assert seen[0] is False and seen[-1] is True
    # Context takeover: a message repeating the last compressed one costs a few bytes.
    assert size < 40


def test_zero_compresses_every_message() -> None:
    server, client = _connected(min_bytes=0)
    assert _send(server, client, '{"type": "token", "content": "ok"}')[0] is True


class _Recording(PerMessageDeflate):
    """The client's side of permessage-deflate, noting for each message whether it came
    compressed."""

    seen: list[tuple[bool, int]]

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.seen.append((frame.rsv1, len(frame.data)))
        return super().decode(frame, max_size=max_size)


class _RecordingFactory(ClientPerMessageDeflateFactory):
    def __init__(self) -> None:
        super().__init__(compress_settings={"memLevel": 5})
        self.seen: list[tuple[bool, int]] = []

    def process_response_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Any]
    ) -> PerMessageDeflate:
        negotiated = super().process_response_params(params, accepted_extensions)
        recording = _Recording(
            negotiated.remote_no_context_takeover,
            negotiated.local_no_context_takeover,
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            self.compress_settings,
        )
        recording.seen = self.seen
        return recording


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
async def test_a_turn_sends_its_small_frames_plain_and_its_answer_compressed(
    server: ServerProcess,
) -> None:
    assert Settings(_env_file=None).ws_compress_min_bytes == 512  # type: ignore[call-arg]
    factory = _RecordingFactory()
    async with websockets.connect(
        server.ws_url, origin=websockets.Origin(ORIGIN), extensions=[factory], compression=None
    ) as ws:
        await ws.send(json.dumps({"type": "auth", "token": server.token(uuid.uuid4().hex)}))
        json.loads(await ws.recv())
        message = "What is the towing capacity of the Ridge Tow Pack?"
        await ws.send(json.dumps({"type": "message", "message": message}))
        kinds = []
        while not kinds or kinds[-1] not in ("complete", "error"):
            kinds.append(json.loads(await ws.recv())["type"])
    assert kinds[-1] == "complete" and "token" in kinds
    assert len(factory.seen) == len(kinds) + 1  # the auth reply too
    plain = [size for compressed, size in factory.seen if not compressed]
    assert plain and all(size < 512 for size in plain)
    assert factory.seen[-1][0] is True  # `complete`, with the answer and its sources
