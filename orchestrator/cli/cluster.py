"""`orchestrator cluster`: several instances behind HAProxy on this machine, one address.

The production set-up in one command, for trying it and for its tests: PostgreSQL for
conversations (the database is created if missing), Redis for the live state, one Chroma
server for the knowledge base, N `orchestrator serve` processes sharing all three, and HAProxy
in front, balancing HTTP and WebSocket connections and checking each instance's `/ready`.
An instance that ends is started again while the others serve, and SIGHUP restarts them one
at a time. `haproxy_config` and `after_exit` are the pure parts; `run` starts, watches and
stops the processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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
STOP_TIMEOUT_S = 40.0
# An instance that ends sooner than this after it started, MAX_QUICK_EXITS times in a row, is
# failing, not stopping: the cluster stops rather than restart it for ever.
MIN_UPTIME_S = 30.0
MAX_QUICK_EXITS = 3


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
    # An instance that has just stopped (a rolling restart) refuses the connection until the
    # checks notice: try another one rather than answer 503. One stopping closes the
    # connections it kept open, and a request sent on one meanwhile gets no response at
    # all: a GET (or HEAD) is sent again to another instance; anything else is not, since
    # the instance may have acted on it before it closed.
    retries 3
    option redispatch
    retry-on conn-failure empty-response

frontend support
    bind {host}:{port}
    default_backend instances

backend instances
    balance roundrobin
    option httpchk GET /ready
    http-request disable-l7-retry unless METH_GET
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


def _tail(log: Path, lines: int = 15) -> str:
    """The last lines of a member's log, for an error that names it."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(
                f"{what} exited while starting (exit code {process.returncode})",
                f"See {log}, which ends:\n{_tail(log)}",
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StartupError(f"{what} did not become ready in {READY_TIMEOUT_S:.0f} s", f"See {log}")


@dataclass
class Member:
    """One process of the cluster; an instance has its own `/ready`."""

    name: str
    args: list[str]
    process: subprocess.Popen[bytes]
    log: Path
    started: float
    ready_url: str | None = None  # None: infrastructure (Chroma, HAProxy)
    quick_exits: int = 0  # ended this many times in a row soon after starting

    @property
    def instance(self) -> bool:
        return self.ready_url is not None


def after_exit(member: Member, now: float) -> str:
    """What to do when `member` has ended: "restart" an instance (the others keep serving);
    "stop" the cluster when its infrastructure ended or an instance keeps failing at start."""
    if not member.instance:
        return "stop"
    quick = now - member.started < MIN_UPTIME_S
    return "stop" if quick and member.quick_exits + 1 >= MAX_QUICK_EXITS else "restart"


class Cluster:
    """The processes of one cluster, stopped in reverse order of their start. An instance that
    ends is started again while the others serve; SIGHUP restarts the instances one at a time
    (a rolling restart: each drains its turns, see `api.stopping`, before the next goes)."""

    def __init__(self, settings: Settings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self.dir = settings.data_dir / "cluster"
        self.members: list[Member] = []
        self.env = dict(os.environ)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [member.process for member in self.members]

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.dir / f"{name}.log"
        with log.open("ab") as handle:
            process = subprocess.Popen(
                args, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=Path.cwd()
            )
        return process, log

    def _start(self, name: str, args: list[str], ready_url: str | None = None) -> Member:
        process, log = self._spawn(name, args)
        member = Member(name, args, process, log, time.monotonic(), ready_url)
        self.members.append(member)
        return member

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
            member = self._start("chroma", args)
            _wait_ready(
                f"http://{host}:{port}/api/v2/heartbeat", member.process, "chroma", member.log
            )
            self.env["CHROMA_URL"] = f"http://{host}:{port}"
        cli = [sys.executable, "-m", "orchestrator"]
        self._run([*cli, "db", "upgrade"])
        self._run([*cli, "ingest", "--prune"])  # the folders of KNOWLEDGE_DIRS
        started = []
        for n, port in enumerate(self.layout.instance_ports):
            args = [*cli, "serve", "--host", host, "--port", str(port)]
            started.append(self._start(f"instance-{n + 1}", args, f"http://{host}:{port}/ready"))
        for member in started:
            self._wait(member)
        config = self.dir / "haproxy.cfg"
        layout = self.layout
        config.write_text(
            haproxy_config(layout.host, layout.port, layout.instance_ports), encoding="utf-8"
        )
        member = self._start("haproxy", [haproxy, "-f", str(config), "-db"])
        _wait_ready(
            f"http://{host}:{self.layout.port}/ready", member.process, "haproxy", member.log
        )

    def _wait(self, member: Member) -> None:
        assert member.ready_url is not None
        _wait_ready(member.ready_url, member.process, member.name, member.log)

    def _restart(self, member: Member) -> None:
        """Start an instance that ended again, in its place, and wait until it is ready."""
        now = time.monotonic()
        member.quick_exits = member.quick_exits + 1 if now - member.started < MIN_UPTIME_S else 0
        member.process, member.log = self._spawn(member.name, member.args)
        member.started = now
        self._wait(member)
        print(f"{member.name} is serving again", flush=True)

    def roll(self, stopping: Callable[[], bool] = lambda: False) -> None:
        """Restart the instances one at a time, each once it has drained (SIGTERM)."""
        print("rolling restart: one instance at a time", flush=True)
        for member in [m for m in self.members if m.instance]:
            if stopping():
                return
            member.process.terminate()
            try:
                member.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait(timeout=10)
            member.started = time.monotonic() - MIN_UPTIME_S  # asked for: not a failure
            self._restart(member)
        print("rolling restart done", flush=True)

    def watch(self) -> int:
        """Until a signal, or until a process the cluster cannot do without ends: an instance
        that ends is started again; SIGHUP rolls the instances. The exit status to use."""
        stopping = False
        rolls = 0

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        def roll(signum: int, frame: object) -> None:
            nonlocal rolls
            rolls += 1

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, roll)
        while not stopping:
            for member in self.members:
                code = member.process.poll()
                if code is None:
                    continue
                if after_exit(member, time.monotonic()) == "stop":
                    print(
                        f"{member.name} ended (exit {code}); stopping the cluster "
                        f"(logs in {self.dir})",
                        flush=True,
                    )
                    return 1
                print(f"{member.name} ended (exit {code}); starting it again", flush=True)
                self._restart(member)
            if rolls:
                rolls = 0
                self.roll(lambda: stopping)
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
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
        print(
            f"  Roll:       kill -HUP {os.getpid()}  (restarts the instances one at a time)",
            flush=True,
        )
        return cluster.watch()
    finally:
        cluster.stop()
