"""`orchestrator cluster`: several instances behind HAProxy on this machine, one address.

The production set-up in one command, for trying it and for its tests: PostgreSQL for
conversations (the database is created if missing), Redis for the live state, one Chroma
server for the knowledge base, N `orchestrator serve` processes sharing all three, and HAProxy
in front, balancing HTTP and WebSocket connections and checking each instance's `/ready`.
`haproxy_config` is the pure part; `run` starts, watches and stops the processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from orchestrator import db_url
from orchestrator.errors import StartupError
from orchestrator.settings import Settings

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/orchestrator"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
READY_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Layout:
    """Where everything listens: the balancer's port, then the instances' and Chroma's."""

    port: int
    instances: int
    host: str = "127.0.0.1"

    @property
    def instance_ports(self) -> list[int]:
        return [self.port + 1 + i for i in range(self.instances)]

    @property
    def chroma_port(self) -> int:
        return self.port + 1 + self.instances


def haproxy_config(host: str, port: int, instance_ports: list[int]) -> str:
    """HAProxy's configuration: listen on `host:port`, round robin over the instances (on
    loopback) that answer `/ready`.

    WebSockets pass through (`timeout tunnel`); `X-Instance` names the instance that answered,
    so that a client (or a test) can see the spread.
    """
    servers = "\n".join(
        f"    server i{n + 1} 127.0.0.1:{instance} check inter 1s fall 2 rise 1"
        for n, instance in enumerate(instance_ports)
    )
    # No `maxconn`: HAProxy sizes it from the file-descriptor limit it is given.
    return f"""defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h
    option forwardfor

frontend support
    bind {host}:{port}
    default_backend instances

backend instances
    balance roundrobin
    option httpchk GET /ready
    http-response set-header X-Instance %[srv_name]
{servers}
"""


def _postgres_url(settings: Settings) -> str:
    url = settings.database_url or DEFAULT_DATABASE
    if db_url.is_sqlite(db_url.parse(url)):
        raise StartupError(
            "a cluster shares one database, and DATABASE_URL names a SQLite file",
            f"Unset DATABASE_URL (default {DEFAULT_DATABASE}) or point it at PostgreSQL",
        )
    return url


def _create_database(url: str) -> None:
    """Create the database if missing, through the server's `postgres` database."""
    import psycopg

    parsed = db_url.parse(url)
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(admin.render_as_string(False), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{parsed.database}"')
    except psycopg.OperationalError as exc:
        raise StartupError(
            f"cannot reach PostgreSQL at {db_url.describe(parsed)} ({exc})".replace("\n", " "),
            "Start PostgreSQL or point DATABASE_URL at one",
        ) from None


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(f"{what} exited while starting", f"See {log}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StartupError(f"{what} did not become ready in {READY_TIMEOUT_S:.0f} s", f"See {log}")


class Cluster:
    """The processes of one cluster, stopped in reverse order of their start."""

    def __init__(self, settings: Settings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self.dir = settings.data_dir / "cluster"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = dict(os.environ)

    def _start(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.dir / f"{name}.log"
        with log.open("ab") as handle:
            process = subprocess.Popen(
                args, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=Path.cwd()
            )
        self.processes.append(process)
        return process, log

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StartupError(f"`{' '.join(args[2:])}` failed", done.stderr.strip()[-500:])

    def start(self) -> None:
        haproxy = shutil.which("haproxy")
        if haproxy is None:
            raise StartupError(
                "HAProxy is not installed", "apt-get install haproxy (or run `make cluster`)"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        database = _postgres_url(self.settings)
        _create_database(database)
        host = self.layout.host
        self.env |= {
            "DATABASE_URL": database,
            "REDIS_URL": self.settings.redis_url or DEFAULT_REDIS,
            "ORCHESTRATOR_DATA_DIR": str(self.settings.data_dir),
        }
        if not self.settings.chroma_url:
            chroma = Path(sys.executable).with_name("chroma")
            port = self.layout.chroma_port
            path = str(self.dir / "chroma")
            args = [str(chroma), "run", "--path", path, "--host", host, "--port", str(port)]
            process, log = self._start("chroma", args)
            _wait_ready(f"http://{host}:{port}/api/v2/heartbeat", process, "chroma", log)
            self.env["CHROMA_URL"] = f"http://{host}:{port}"
        cli = [sys.executable, "-m", "orchestrator"]
        self._run([*cli, "db", "upgrade"])
        self._run([*cli, "ingest", "knowledge_base", "--prune"])
        started = []
        for n, port in enumerate(self.layout.instance_ports):
            name = f"instance-{n + 1}"
            args = [*cli, "serve", "--host", host, "--port", str(port)]
            started.append((*self._start(name, args), name, port))
        for process, log, name, port in started:
            _wait_ready(f"http://{host}:{port}/ready", process, name, log)
        config = self.dir / "haproxy.cfg"
        layout = self.layout
        config.write_text(
            haproxy_config(layout.host, layout.port, layout.instance_ports), encoding="utf-8"
        )
        process, log = self._start("haproxy", [haproxy, "-f", str(config), "-db"])
        _wait_ready(f"http://{host}:{self.layout.port}/ready", process, "haproxy", log)

    def watch(self) -> int:
        """Until a signal or a process ends: then stop them all; the exit status to use."""
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            if any(process.poll() is not None for process in self.processes):
                print(f"a process ended; stopping the cluster (logs in {self.dir})", flush=True)
                return 1
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def run(settings: Settings, instances: int, port: int, pages: dict[str, str]) -> int:
    """Start the cluster, print its one address and `pages` (label: path), serve until stopped.

    The caller makes the JWT secret (`pages` carry tokens) before the instances that share
    the data dir start."""
    layout = Layout(port=port, instances=instances)
    cluster = Cluster(settings, layout)
    try:
        cluster.start()
        base = f"http://{layout.host}:{layout.port}"
        ports = ", ".join(str(p) for p in layout.instance_ports)
        print(f"Cluster of {instances} instances (ports {ports}) behind HAProxy", flush=True)
        print(f"  Open:       {base}", flush=True)
        for label, path in pages.items():
            print(f"  {label + ':':<11} {base}{path}", flush=True)
        print(f"  Logs:       {cluster.dir}", flush=True)
        return cluster.watch()
    finally:
        cluster.stop()
