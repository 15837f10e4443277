"""A TCP proxy on loopback that a test can cut, blackhole and restore: the network between the
server and its database, failing on cue.

    with TcpProxy("127.0.0.1", 5432) as proxy:      # listen on proxy.port
        ...                                         # traffic passes
        proxy.cut()        # every connection reset; new ones refused until restore()
        proxy.blackhole()  # connections stay open, nothing passes either way, new ones hang
        proxy.restore()    # new connections pass again (the cut or held ones stay dead)

It runs its own event loop in a thread, so a synchronous test and the server process under
test need nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from enum import StrEnum

__all__ = ["Mode", "TcpProxy"]


class Mode(StrEnum):
    PASS = "pass"
    CUT = "cut"
    BLACKHOLE = "blackhole"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = Mode.PASS
        self.port = 0
        self.connections = 0  # accepted so far
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._held: set[asyncio.StreamWriter] = set()

    # -- control (from the test's thread) -------------------------------------------------
    def start(self) -> TcpProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._listen())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="tcp-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the TCP proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._close_all)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def cut(self) -> None:
        """Reset every connection now and refuse new ones, as a database that went away."""
        self._set(Mode.CUT)

    def blackhole(self) -> None:
        """Let every packet vanish: open connections hang, new ones are held unanswered."""
        self._set(Mode.BLACKHOLE)

    def restore(self) -> None:
        """New connections pass again; those cut or held before stay dead."""
        self._set(Mode.PASS)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the proxy's loop ----------------------------------------------------------
    def _set(self, mode: Mode) -> None:
        def apply() -> None:
            self.mode = mode
            if mode is Mode.CUT:
                self._close_all()
            elif mode is Mode.PASS:
                for writer in list(self._held):  # held in the blackhole: now dead
                    self._abort(writer)

        self._call(apply)

    def _call(self, function: object) -> None:
        assert self._loop is not None and callable(function)
        done = threading.Event()

        def run() -> None:
            try:
                function()
            finally:
                done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _close_all(self) -> None:
        for writer in list(self._writers | self._held):
            self._abort(writer)

    def _abort(self, writer: asyncio.StreamWriter) -> None:
        self._writers.discard(writer)
        self._held.discard(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:  # a reset (RST), not a polite close: as a host that went away
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
        writer.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode is Mode.CUT:
            self._abort(writer)
            return
        if self.mode is Mode.BLACKHOLE:
            self._held.add(writer)  # never answered
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._abort(writer)
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer, writer), self._pipe(up_reader, writer, up_writer)
        )

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, own: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await source.read(65536):
                if self.mode is Mode.BLACKHOLE:
                    self._held |= {sink, own}
                    continue  # swallowed
                if sink not in self._writers:
                    break
                sink.write(data)
                await sink.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            if self.mode is not Mode.BLACKHOLE and sink in self._writers:
                self._abort(sink)
