"""A real `orchestrator serve` process on a free loopback port, for integration tests."""

from __future__ import annotations

import functools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType

import httpx

from api.auth import Role, issue
from tests.utils.databases import fresh_database

REPO = Path(__file__).resolve().parents[2]
JWT_SECRET = "integration-tests-secret-0123456789abcdefghijklmnop"
ORIGIN = "http://testserver.local"


# Ports the kernel hands out for outgoing connections (a client's end of a Redis, database or
# HTTP connection) and for bind(0). A port picked there can be taken by any outgoing connection
# between the pick and the server's bind, so test servers listen below it, on a block of their
# own per test worker, taken in turn from a random place.
_EPHEMERAL_LOW = 32768
_PORTS_LOW = 10000
_BLOCK = 2000


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _EPHEMERAL_LOW


@functools.cache
def _worker_block() -> range:
    """This test worker's ports: one block each for gw0, gw1, ... below the ephemeral range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    blocks = max(1, (_ephemeral_low() - _PORTS_LOW) // _BLOCK)
    start = _PORTS_LOW + (int(worker) if worker.isdigit() else 0) % blocks * _BLOCK
    return range(start, start + _BLOCK)


_next_port = [random.randrange(_BLOCK)]


def free_port() -> int:
    """A loopback port that nothing listens on now and that no outgoing connection will take:
    outside the kernel's ephemeral range, in this worker's block (so another test worker's
    server never gets it), each call the next one after the last (so a server stopped a moment
    ago is not handed its port again)."""
    block = _worker_block()
    for _ in range(len(block)):
        port = block[_next_port[0] % len(block)]
        _next_port[0] += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {block}")


def wait_until_up(
    process: subprocess.Popen[bytes],
    probe: str,
    timeout_s: float,
    name: str,
    log_path: Path,
    stop: Callable[[], None],
) -> None:
    """Return once `probe` answers 200; raise with the log's tail if `process` exits first,
    or `stop` it and raise if it does not answer within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log_path.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(probe, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop()
    raise RuntimeError(
        f"{name} did not become ready: {log_path.read_text(errors='replace')[-3000:]}"
    )


class ServerProcess:
    """Starts, kills and restarts the server; its data dir holds a copy of the knowledge base."""

    def __init__(
        self,
        data_dir: Path,
        chroma_source: Path,
        database_url: str,
        *,
        workers: int = 1,
        **env: str,
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        if not (data_dir / "chroma").exists():
            shutil.copytree(chroma_source, data_dir / "chroma")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DATABASE_"))},
            "ORCHESTRATOR_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "JWT_SECRET": JWT_SECRET,
            "ALLOWED_ORIGINS": f"{ORIGIN},http://127.0.0.1:{self.port}",
            "PYTHONUNBUFFERED": "1",
            **env,
        }

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat"

    def token(self, user: str, role: Role = "customer", ttl_s: int = 3600) -> str:
        return issue(JWT_SECRET, user, role, ttl_s, name=user.title())

    def start(self, timeout_s: float = 120) -> None:
        self.launch()
        self.wait_ready(timeout_s)

    def running(self) -> ServerProcess:
        """This server, started first unless it runs (a test may have left it stopped)."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (several can then start at once)."""
        log = self.log_path.open("ab")
        args = ["serve", "--port", str(self.port), "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", *args],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 120) -> None:
        assert self.process is not None
        ready = f"{self.base_url}/ready"
        wait_until_up(self.process, ready, timeout_s, "server", self.log_path, self.stop)

    def kill(self) -> None:
        """SIGKILL: no drain, no cleanup, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def llm_env(llm_base_url: str) -> dict[str, str]:
    """What puts a server in LLM mode against an OpenAI-compatible server at `llm_base_url`,
    with the router's LLM off, no retries, and the model's tools taken as working, so that no
    probe asks for them (a test scripts every reply)."""
    return {
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": llm_base_url,
        "LLM_MODEL": "test-model",
        "LLM_MAX_RETRIES": "0",
        "ROUTER_LLM_THRESHOLD": "0",
        "LLM_TOOLS": "on",
    }


def llm_mode_server(
    root: Path, chroma_source: Path, llm_base_url: str, **env: str
) -> ServerProcess:
    """A server in LLM mode on its own SQLite file in `root`, answering through `llm_base_url`."""
    return ServerProcess(
        root / "data",
        chroma_source,
        f"sqlite+aiosqlite:///{root / 'llm.sqlite3'}",
        **(llm_env(llm_base_url) | env),
    )


@contextmanager
def sqlite_server(root: Path, chroma_source: Path, **env: str) -> Iterator[ServerProcess]:
    """A started offline-mode server on its own data dir and SQLite file under `root`, stopped
    afterwards."""
    process = ServerProcess(
        root / "data", chroma_source, f"sqlite+aiosqlite:///{root / 'server.sqlite3'}", **env
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


class SharedServers:
    """Offline-mode servers that many test modules share, one per database backend: each starts
    the first time a test asks for it and is started again if a test left it stopped or killed.
    Tests on a shared server keep apart by their own user and session ids."""

    def __init__(self, root: Path, chroma_source: Path, **env: str) -> None:
        self.root = root
        self.chroma_source = chroma_source
        self.env = env
        self._servers: dict[str, ServerProcess] = {}
        self._databases = ExitStack()

    def running(self, backend: str) -> ServerProcess:
        """The backend's server, started if it is not running."""
        server = self._servers.get(backend)
        if server is None:
            root = self.root / backend
            url = self._databases.enter_context(fresh_database(backend, root))
            server = ServerProcess(
                root / "data", self.chroma_source, url.render_as_string(False), **self.env
            )
            self._servers[backend] = server
        return server.running()

    def __enter__(self) -> SharedServers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._databases:  # dropped once every server has stopped
            for server in self._servers.values():
                server.stop()
