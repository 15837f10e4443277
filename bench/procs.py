"""Processes the WebSocket scenarios run: the LLM simulator, our server, the bare relay.

Each runs in its own process so that its CPU time can be read from /proc apart from the load
generator's (they all share the same cores). CPU and RSS are summed over the process tree,
so `--workers 2` (a uvicorn supervisor and its workers) is measured as one server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.common import REPO, log
from tests.utils.server import free_port, wait_until_up

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# --------------------------------------------------------------------------- /proc


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree so far (its threads included)."""
    total = 0
    for member in descendants(pid):
        fields = _stat_fields(member)
        if fields is not None:
            # After the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14), 0-based.
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


def own_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` alone so far (its threads, not its children): the load
    generator's own share, apart from the servers it started."""
    fields = _stat_fields(pid)
    return sum(int(v) for v in fields[11:13]) / CLOCK_TICKS if fields is not None else 0.0


def rss_kib(pid: int) -> int:
    """Resident memory of the process tree (pages from /proc/PID/statm)."""
    total = 0
    for member in descendants(pid):
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
    return total


# --------------------------------------------------------------------------- processes


class Measurable(Protocol):
    """A server as the load scenarios see it: where to connect and what it costs."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    def cpu_s(self) -> float: ...
    def rss_kib(self) -> int: ...


@dataclass
class Service:
    """A started process with its URL; `cpu_s()` and `rss_kib()` read it from /proc."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_s(self) -> float:
        return cpu_seconds(self.pid)

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _spawn(
    name: str,
    argv: list[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start `argv` with this environment plus `env`, less `unset`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    with log_path.open("ab") as out:
        return subprocess.Popen(
            argv,
            cwd=REPO,
            env={**inherited, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(service: Service, probe: str, timeout_s: float) -> None:
    """Return once `probe` answers 200 (the tests' own wait, `tests.utils.server`)."""
    wait_until_up(service.process, probe, timeout_s, service.name, service.log_path, service.stop)


@contextmanager
def started(
    name: str,
    argv: list[str],
    log_path: Path,
    url: str,
    probe: str,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
) -> Iterator[Service]:
    """A process started from `argv` (logging to `log_path`), yielded once `probe` answers
    200 within `timeout_s`, stopped on the way out: every service a benchmark starts."""
    process = _spawn(name, argv, log_path, env, unset)
    service = Service(name, process, url, log_path)
    try:
        wait_ready(service, probe, timeout_s)
        yield service
    finally:
        service.stop()


@contextmanager
def simulator(
    workdir: Path,
    *,
    tokens_per_s: float | None,
    answer_tokens: int,
    first_token_ms: float = 0.0,
) -> Iterator[Service]:
    """`tests.utils.fake_openai` as an LLM simulator in its own process."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "tests.utils.fake_openai",
        "--port",
        str(port),
        "--answer-tokens",
        str(answer_tokens),
        "--first-token-ms",
        str(first_token_ms),
    ]
    if tokens_per_s:
        argv += ["--tokens-per-s", str(tokens_per_s)]
    url = f"http://127.0.0.1:{port}/v1"
    log_path = workdir / f"simulator-{port}.log"
    with started("LLM simulator", argv, log_path, url, f"{url}/models", 30) as service:
        yield service


@contextmanager
def product(
    data_dir: Path,
    database_url: str | None,
    llm_url: str,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    launcher: str = "orchestrator",
) -> Iterator[Service]:
    """`orchestrator serve` in LLM mode against the simulator, with the product's defaults:
    only what a deployment must set is set (data dir, secret, origin, model endpoint), and
    the database when `database_url` is given (None: the embedded SQLite in the data dir).
    `launcher`: the module run with `serve` (`bench.counted_serve` counts its SQL)."""
    from tests.utils.server import JWT_SECRET, ORIGIN

    port = free_port()
    settings_env = {
        "ORCHESTRATOR_DATA_DIR": str(data_dir),
        "JWT_SECRET": JWT_SECRET,
        "ALLOWED_ORIGINS": ORIGIN,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": llm_url,
        **({"DATABASE_URL": database_url} if database_url else {}),
        **(env or {}),
    }
    argv = [sys.executable, "-m", launcher, "serve", "--port", str(port)]
    argv += ["--workers", str(workers)]
    with started(
        f"server ({workers} worker(s))",
        argv,
        data_dir / f"server-{port}.log",
        f"ws://127.0.0.1:{port}",
        f"http://127.0.0.1:{port}/ready",
        180,
        settings_env,
        unset=("DATABASE_URL",),
    ) as service:
        yield service


@contextmanager
def relay(workdir: Path, llm_url: str) -> Iterator[Service]:
    """The bare relay (`bench.relay`): the same simulator stream, no graph."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.relay", "--port", str(port), "--llm-url", llm_url]
    log_path = workdir / f"relay-{port}.log"
    url, health = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}/health"
    with started("bare relay", argv, log_path, url, health, 60) as service:
        yield service


def describe(service: Service) -> str:
    return f"{service.name} pid {service.pid} at {service.url}"


def note(service: Service) -> None:
    log(f"started {describe(service)}")
