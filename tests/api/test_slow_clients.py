"""What the server's WebSocket transport does with misbehaving clients: one that stops reading
is let go (its connection closed, its socket really gone, instead of staying ESTABLISHED with
megabytes queued for it), and a frame that is not UTF-8 closes with 1007 quietly."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from orchestrator.settings import Settings
from tests.utils.server import ORIGIN, ServerProcess, sqlite_server

pytestmark = pytest.mark.slow

SEND_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[ServerProcess]:
    with sqlite_server(
        tmp_path_factory.mktemp("slow-clients"),
        kb_settings.chroma_path,
        WS_SEND_TIMEOUT_S=str(SEND_TIMEOUT_S),
    ) as process:
        yield process


def established(server_port: int, client_port: int) -> bool:
    """Whether the server's end of this connection is still ESTABLISHED (from /proc)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
                and state == "01"
            ):
                return True
    return False


async def test_a_client_that_reads_nothing_is_closed_and_its_socket_goes(
    server: ServerProcess,
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # little room on its side
    sock.connect(("127.0.0.1", server.port))
    client_port = sock.getsockname()[1]
    connection = await websockets.connect(
        server.ws_url,
        sock=sock,
        origin=ORIGIN,
        max_queue=1,  # type: ignore[arg-type]
    )
    await connection.send(json.dumps({"type": "auth", "token": server.token("never-reads")}))
    assert json.loads(await connection.recv())["type"] == "auth_success"
    assert established(server.port, client_port)

    # Pings whose pongs it never reads: the server's buffers fill, then it must let go.
    ping = json.dumps({"type": "ping", "timestamp": "x" * 64})
    started = time.monotonic()
    for sent in range(200_000):
        try:
            await asyncio.wait_for(connection.send(ping), 30)
        except (websockets.ConnectionClosed, OSError, TimeoutError):
            break  # the server is gone
        if sent % 1000 == 0 and not established(server.port, client_port):
            break
    stopped = time.monotonic()
    while established(server.port, client_port):
        # Without the bounds the socket stayed ESTABLISHED, its send queue full, for minutes.
        assert time.monotonic() - stopped < 5 * SEND_TIMEOUT_S, "the server kept the socket"
        await asyncio.sleep(0.2)
    assert time.monotonic() - started < 120
    sock.close()


async def test_a_reading_client_is_not_disturbed(server: ServerProcess) -> None:
    """Many pongs, read as they come: nothing is closed."""
    async with websockets.connect(server.ws_url, origin=ORIGIN) as connection:  # type: ignore[arg-type]
        await connection.send(json.dumps({"type": "auth", "token": server.token("reads")}))
        assert json.loads(await connection.recv())["type"] == "auth_success"
        for i in range(2000):
            await connection.send(json.dumps({"type": "ping", "timestamp": i}))
        for i in range(2000):
            assert json.loads(await connection.recv()) == {"type": "pong", "timestamp": i}


async def test_a_text_frame_that_is_not_utf8_closes_with_1007_and_one_log_line(
    server: ServerProcess,
) -> None:
    before = server.log().count("Traceback")
    async with websockets.connect(server.ws_url, origin=ORIGIN) as connection:  # type: ignore[arg-type]
        await connection.send(json.dumps({"type": "auth", "token": server.token("bad-utf8")}))
        assert json.loads(await connection.recv())["type"] == "auth_success"
        await connection.send(b'{"type": "ping", "timestamp": "\xff\xfe"}', text=True)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    await asyncio.sleep(0.5)
    assert server.log().count("Traceback") == before
    assert "not UTF-8" in server.log()
