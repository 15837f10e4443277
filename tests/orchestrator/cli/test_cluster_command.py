"""`orchestrator cluster` (`make cluster`): two instances behind a real HAProxy, one address.

The whole production set-up on one machine: PostgreSQL, Redis, a Chroma server the command
starts, two instances and the balancer. A customer and a staff member connect through the one
address (round robin puts them on different instances) and see the same turn."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from api.auth import issue
from orchestrator.cli.cluster import (
    MAX_QUICK_EXITS,
    MIN_UPTIME_S,
    Layout,
    Member,
    after_exit,
    haproxy_config,
)
from tests.conftest import REPO
from tests.utils.chat_client import ChatClient
from tests.utils.databases import fresh_database
from tests.utils.live import REDIS_URL
from tests.utils.server import JWT_SECRET, ORIGIN, free_port, wait_until_up


def test_the_balancer_checks_every_instance_and_names_the_one_that_answered() -> None:
    layout = Layout(port=9000, instances=3)
    config = haproxy_config(layout.host, layout.port, layout.instance_ports)
    assert "bind 127.0.0.1:9000" in config
    for n, port in ((1, 9001), (2, 9002), (3, 9003)):
        assert f"server i{n} 127.0.0.1:{port} check" in config
    assert "option httpchk GET /ready" in config and "timeout tunnel" in config
    assert "option redispatch" in config  # a stopped instance's refusal is retried elsewhere


def test_a_read_that_a_stopping_instance_closed_unanswered_is_sent_to_another() -> None:
    config = haproxy_config("127.0.0.1", 9000, [9001, 9002])
    assert "retry-on conn-failure empty-response" in config
    assert "disable-l7-retry unless METH_GET" in config  # a POST may have been acted on
    if shutil.which("haproxy") is None:
        pytest.skip("HAProxy is not installed (`make haproxy`)")
    checked = subprocess.run(
        ["haproxy", "-c", "-f", "/dev/stdin"], input=config, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


class _Instance(BaseHTTPRequestHandler):
    """Ready; answers every request, unless `mute`: then it closes the connection unanswered
    (as an instance stopping does to the connections it kept open)."""

    mute = False

    def _answer(self) -> None:
        if self.path == "/ready" or not self.mute:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        else:
            self.close_connection = True

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Mute(_Instance):
    mute = True


def test_through_the_balancer_a_get_left_unanswered_is_answered_by_another_instance(
    tmp_path: Path,
) -> None:
    if shutil.which("haproxy") is None:
        pytest.skip("HAProxy is not installed (`make haproxy`)")
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), kind) for kind in (_Mute, _Instance)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config("127.0.0.1", port, [s.server_port for s in servers]))
    log = tmp_path / "haproxy.log"
    with log.open("wb") as out:
        balancer = subprocess.Popen(["haproxy", "-f", str(config), "-db"], stderr=out)
    try:
        ready = f"http://127.0.0.1:{port}/ready"
        wait_until_up(balancer, ready, 20, "HAProxy", log, balancer.terminate)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            gets = [http.get("/health") for _ in range(4)]
            posts = [http.post("/message", content=b"{}") for _ in range(4)]
        assert [(r.status_code, r.headers["x-instance"]) for r in gets] == [(200, "i2")] * 4
        # A POST the mute instance took is not sent again: it may have been acted on.
        assert 502 in [r.status_code for r in posts]
    finally:
        balancer.terminate()
        balancer.wait(timeout=10)
        for server in servers:
            server.shutdown()


def _member(name: str, instance: bool, started: float, quick_exits: int = 0) -> Member:
    ready = "http://127.0.0.1:9001/ready" if instance else None
    return Member(name, [], None, Path("log"), started, ready, quick_exits)  # type: ignore[arg-type]


def test_an_instance_that_ends_is_started_again_while_the_rest_serve() -> None:
    assert after_exit(_member("instance-1", True, started=0), now=3600) == "restart"
    # Even one that ended soon after its start, until it has done so too often in a row.
    quick = MIN_UPTIME_S / 2
    assert after_exit(_member("instance-1", True, 0, MAX_QUICK_EXITS - 2), now=quick) == "restart"
    assert after_exit(_member("instance-1", True, 0, MAX_QUICK_EXITS - 1), now=quick) == "stop"


def test_the_cluster_stops_when_its_balancer_or_knowledge_base_ends() -> None:
    for name in ("haproxy", "chroma"):
        assert after_exit(_member(name, False, started=0), now=3600) == "stop"


def _free_run(length: int) -> int:
    """A port such that it and the `length - 1` after it are free, below the kernel's range of
    ephemeral ports: one in that range can be taken by an outgoing connection (the ingest's to
    Chroma and PostgreSQL) between this check and the instance's bind; Linux gives connections
    even ports, and the run's second port, the first instance's, is even."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(50):
        start = random.randrange(10000, low - length)
        try:
            for port in range(start, start + length):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return start
    raise RuntimeError("no run of free ports")


@dataclass
class Running:
    address: str
    port: int
    launcher: subprocess.Popen[bytes]
    log: Path

    def instance_pids(self) -> set[str]:
        found = set()
        for port in (self.port + 1, self.port + 2):
            pgrep = ["pgrep", "-f", f"serve --host 127.0.0.1 --port {port}$"]
            found |= set(subprocess.run(pgrep, capture_output=True, text=True).stdout.split())
        return found


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    if shutil.which("haproxy") is None:
        pytest.skip("HAProxy is not installed (`make haproxy`)")
    port = _free_run(4)  # balancer, two instances, Chroma
    with fresh_database("postgresql", tmp_path) as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DATABASE_"))},
            "ORCHESTRATOR_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": url.render_as_string(False),
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:12]}:",
            "JWT_SECRET": JWT_SECRET,
            "ALLOWED_ORIGINS": ORIGIN,
        }
        log = (tmp_path / "cluster.log").open("wb")
        launcher = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "cluster", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 400
            while "Open:" not in (tmp_path / "cluster.log").read_text():
                assert launcher.poll() is None, (tmp_path / "cluster.log").read_text()
                assert time.monotonic() < deadline, "the cluster did not come up"
                time.sleep(1)
            yield Running(f"127.0.0.1:{port}", port, launcher, tmp_path / "cluster.log")
        finally:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=90)
            log.close()
            # Shown with a failure's report (captured output of the teardown).
            for path in [
                tmp_path / "cluster.log",
                *sorted((tmp_path / "data/cluster").glob("*.log")),
            ]:
                print(f"--- {path.name}", path.read_text(errors="replace")[-8000:], sep="\n")
        leftovers = subprocess.run(
            ["pgrep", "-f", f"--port {port + 1}"], capture_output=True, text=True, check=False
        )
        assert not leftovers.stdout.strip(), "an instance outlived the cluster"


@pytest.mark.slow
async def test_one_address_serves_a_customer_and_a_staff_member_on_different_instances(
    running: Running,
) -> None:
    cluster = running.address
    answered_by = {
        httpx.get(f"http://{cluster}/ready", timeout=10).headers["x-instance"] for _ in range(4)
    }
    assert answered_by == {"i1", "i2"}
    staff_token = issue(JWT_SECRET, "staff-1", "staff", 600, name="Staff")
    customer_token = issue(JWT_SECRET, f"c-{uuid.uuid4().hex[:8]}", "customer", 600, name="C")
    staff = await ChatClient.connect(f"ws://{cluster}/ws/staff", staff_token)
    customer = await ChatClient.connect(f"ws://{cluster}/ws/chat", customer_token)
    async with staff, customer:
        events = await customer.turn("How often should the oil be changed?")
        session_id = events[-1]["session_id"]
        listed = await staff.until("conversation", within=30)
        await staff.send({"type": "watch", "session_id": session_id})
        watched = await staff.until("complete", within=30)
    assert events[-1]["type"] == "complete" and events[-1]["response"]
    assert listed[-1]["conversation"]["session_id"] == session_id
    assert watched[-1]["response"] == events[-1]["response"]

    # Double-texting through the balancer: three more messages while the first is answered,
    # each on a connection of its own (the balancer spreads them over both instances), each
    # sent once the one before was taken: four answers in the order sent, none BUSY.
    asked = [
        "What does code P0A80 mean?",
        "And the tyre pressures?",
        "How often is the brake fluid changed?",
        "Which oil does the Aster take?",
    ]
    sockets = [await ChatClient.connect(f"ws://{cluster}/ws/chat", customer_token) for _ in asked]
    try:
        turns, lined = [], 0
        for connection, text in zip(sockets, asked, strict=True):
            await connection.send({"type": "message", "message": text, "session_id": session_id})
            reply = await connection.recv()  # `session`: it names the turn it starts, or
            assert reply["type"] == "session", reply  # `queued` follows with the turn to come
            while not reply.get("turn_id") or reply["type"] not in ("session", "queued"):
                reply = await connection.recv()  # (the events of a turn already running)
                assert reply["type"] != "error", reply  # none BUSY
            lined += reply["type"] == "queued"
            turns.append(reply["turn_id"])
        seen: list[dict[str, object]] = []
        while sum(e["type"] == "complete" for e in seen) < len(asked):
            seen.append(await sockets[0].recv(within=60))
    finally:
        for connection in sockets:
            await connection.close()
    assert not [e for e in seen if e["type"] == "error"], seen
    assert [e["turn_id"] for e in seen if e["type"] == "complete"] == turns
    assert lined >= 1  # (how many waited depends on how fast the first was answered)

    # A rolling restart (SIGHUP): each instance in turn drains and starts again, and through
    # the balancer nothing is refused meanwhile.
    before = running.instance_pids()
    running.launcher.send_signal(signal.SIGHUP)
    statuses = []
    deadline = time.monotonic() + 300
    async with httpx.AsyncClient(base_url=f"http://{cluster}", timeout=10) as http:
        while "rolling restart done" not in running.log.read_text():
            assert running.launcher.poll() is None, running.log.read_text()
            assert time.monotonic() < deadline, "the rolling restart did not end"
            statuses.append((await http.get("/health")).status_code)
            await asyncio.sleep(0.2)
    after = running.instance_pids()
    assert len(before) == len(after) == 2 and not before & after, (before, after)
    assert len(statuses) > 10 and set(statuses) == {200}, statuses
    async with await ChatClient.connect(f"ws://{cluster}/ws/chat", customer_token) as again:
        rolled = await again.turn("And the tyre pressures?", session_id=session_id)
    assert rolled[-1]["type"] == "complete", rolled[-1:]
