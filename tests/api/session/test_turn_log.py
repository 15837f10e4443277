"""The operator's log: one line per turn, as text or JSON, with ids, route, mode, latency and
outcome, an error's code and cause, and never a message's text or a token."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.log_format import HideTokens, JsonFormatter, TextFormatter, log_config
from api.protocol import (
    CancelledEvent,
    CompleteContext,
    CompleteEvent,
    CompleteMetadata,
    ErrorCode,
    ErrorEvent,
    ProgressEvent,
    ServerEventBase,
    SourcesEvent,
    TokenEvent,
    dump,
)
from api.session.channels import ChannelRegistry
from api.session.turn_log import TurnLog, turn_fields
from orchestrator.events import Progress
from orchestrator.turns import Failed
from tests.api.session.test_channels import _CrashingOrchestrator, watched_turn
from tests.conftest import REPO
from tests.utils.chat_client import ChatClient
from tests.utils.server import ServerProcess, SharedServers

QUESTION = "What is the towing capacity of the Ridge Tow Pack?"
ANSWER = "The Ridge tows 3,500 kg."


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _turn_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api.session.turn_log"]


def _complete(turn_id: str = "t1") -> CompleteEvent:
    metadata = CompleteMetadata(
        agent="specs",
        agents=["specs"],
        confidence=0.8,
        context=CompleteContext(sources=[], passages=[]),
        latency_ms=812,
        mode="offline",
    )
    return CompleteEvent(response=ANSWER, metadata=metadata, session_id="s1", turn_id=turn_id)


def test_a_finished_turn_is_one_line_with_its_route_mode_and_latency(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "api.session.turn_log")
    turns = TurnLog(mode="offline", clock=_Clock())
    ids = {"session_id": "s1", "turn_id": "t1"}
    for event in (
        ProgressEvent(step="starting", message="…", **ids),
        SourcesEvent(sources=[], agent="specs", **ids),
        TokenEvent(token=ANSWER, partial_response=ANSWER, **ids),
        _complete(),
    ):
        turns("s1", event)
    [line] = _turn_lines(caplog)
    assert line.levelno == logging.INFO and line.getMessage() == "turn ended"
    assert line.fields == {  # type: ignore[attr-defined]
        "session_id": "s1",
        "turn_id": "t1",
        "outcome": "complete",
        "route": "specs",
        "mode": "offline",
        "latency_ms": 812,  # the answer's own, as the customer was told
    }
    text = TextFormatter("%(levelprefix)s %(name)s: %(message)s", use_colors=False).format(line)
    assert text == (
        "INFO:     api.session.turn_log: turn ended session_id=s1 turn_id=t1 outcome=complete "
        "route=specs mode=offline latency_ms=812"
    )
    assert ANSWER not in text and ANSWER not in JsonFormatter().format(line)
    assert turns._seen == {}  # nothing kept of an ended turn


def test_a_failed_turn_is_a_warning_with_its_code_cause_and_time_since_it_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    turns = TurnLog(mode="llm", clock=clock)
    ids = {"session_id": "s1", "turn_id": "t2"}
    turns("s1", ProgressEvent(step="queued", message="…", position=2, **ids))
    clock.now += 5  # waiting in line does not count, as for the turn's timeout
    turns("s1", ProgressEvent(step="starting", message="…", **ids))
    turns("s1", ProgressEvent(step="agent_routing", message="…", agent="maintenance", **ids))
    clock.now += 1.25
    error = ErrorEvent(error="The model is unavailable", code=ErrorCode.LLM_UNAVAILABLE, **ids)
    turns("s1", error, lambda turn_id: "APIConnectionError" if turn_id == "t2" else None)
    [line] = _turn_lines(caplog)
    assert line.levelno == logging.WARNING
    assert line.fields == {  # type: ignore[attr-defined]
        "session_id": "s1",
        "turn_id": "t2",
        "outcome": "error",
        "route": "maintenance",
        "mode": "llm",
        "latency_ms": 1250,
        "code": "LLM_UNAVAILABLE",
        "cause": "APIConnectionError",
    }
    as_json = json.loads(JsonFormatter().format(line))
    assert as_json["level"] == "warning" and as_json["logger"] == "api.session.turn_log"
    assert as_json["code"] == "LLM_UNAVAILABLE" and as_json["cause"] == "APIConnectionError"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", as_json["time"])


def test_only_the_events_that_end_a_turn_write_a_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "api.session.turn_log")
    turns = TurnLog()
    refused = ErrorEvent(error="busy", code=ErrorCode.BUSY, session_id="s1", turn_id="t1")
    for event in (
        ErrorEvent(error="empty", code=ErrorCode.EMPTY_MESSAGE),  # a refused frame: no turn
        refused,  # names a turn, ends none
        ProgressEvent(step="starting", message="…", session_id="s1", turn_id="t1"),
    ):
        turns("s1", event)
    assert _turn_lines(caplog) == []
    turns("s1", CancelledEvent(partial_response="The Ridge", session_id="s1", turn_id="t1"))
    [line] = _turn_lines(caplog)
    assert line.fields["outcome"] == "cancelled" and "cause" not in line.fields  # type: ignore[attr-defined]
    # The end alone of a turn a previous process left unfinished: its time is not known here.
    left = ErrorEvent(error="…", code=ErrorCode.INTERRUPTED, session_id="s1", turn_id="t0")
    turns("s1", left)
    assert _turn_lines(caplog)[-1].fields == {  # type: ignore[attr-defined]
        "session_id": "s1",
        "turn_id": "t0",
        "outcome": "error",
        "code": "INTERRUPTED",
    }


def test_fields_are_none_for_events_that_end_no_turn() -> None:
    event: ServerEventBase = TokenEvent(token="x", session_id="s1", turn_id="t1")
    assert turn_fields("s1", event) is None
    assert turn_fields("s1", _complete())["outcome"] == "complete"  # type: ignore[index]


async def _logged_turn(
    orchestrator: object, caplog: pytest.LogCaptureFixture
) -> tuple[logging.LogRecord, Any]:
    """A watched turn run to its end by `orchestrator`: its one turn line, and the watcher."""
    registry = ChannelRegistry(orchestrator=orchestrator)  # type: ignore[arg-type]
    live, watcher = await watched_turn(registry)
    assert live.task is not None
    await live.task
    [line] = _turn_lines(caplog)
    return line, watcher


async def test_a_turn_that_crashes_is_logged_once_with_why_it_was_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line, _ = await _logged_turn(_CrashingOrchestrator(), caplog)
    assert line.fields["code"] == "PROCESSING_ERROR" and line.fields["cause"] == "crashed"  # type: ignore[attr-defined]


class _FailingOrchestrator(_CrashingOrchestrator):
    """A turn whose model could not be reached: the orchestrator's own failure."""

    async def stream_turn(self, **_: object) -> AsyncIterator[object]:
        yield Progress("starting", "Working on your question…")
        yield Failed("LLM_UNAVAILABLE", "unavailable", "", cause="APIConnectionError")


async def test_a_failed_turn_is_logged_with_the_failure_its_run_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line, watcher = await _logged_turn(_FailingOrchestrator(), caplog)
    assert line.fields["cause"] == "APIConnectionError"  # type: ignore[attr-defined]
    sent = [watcher.queue.get_nowait() for _ in range(watcher.queue.qsize())]
    assert sent and all(isinstance(e, ServerEventBase) for e in sent)
    assert not any("APIConnectionError" in dump(e) for e in sent if isinstance(e, ServerEventBase))


def test_tokens_in_addresses_are_not_written() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/ws/test?token=eyJ.secret.sig&x=1", "1.1", 200), None,
    )  # fmt: skip
    assert HideTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /ws/test?token=…&x=1 HTTP/1.1" 200'


def test_the_json_format_writes_every_line_of_the_service_as_json() -> None:
    """uvicorn's lines and the application's, as `orchestrator serve` configures them."""
    script = f"""
import logging, logging.config
from api.log_format import log_config
from api.protocol import CancelledEvent
from api.session.turn_log import TurnLog
logging.config.dictConfig(log_config("json"))
accepted = logging.getLogger("uvicorn.error")
accepted.info('%s - "WebSocket %s" [accepted]', "ip", "/ws/chat?token=abc")
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "ip", "GET", "/", "1.1", 200)
logging.getLogger("api.ws").warning("a warning")
logging.getLogger("httpx").info("an INFO line of a library: not written")
TurnLog("offline")("s1", CancelledEvent(partial_response="{ANSWER}", session_id="s1", turn_id="t1"))
try:
    raise RuntimeError("boom")
except RuntimeError:
    logging.getLogger("api.session.channels").exception("turn t9 crashed")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
    by_logger = {line["logger"]: line for line in lines}
    assert set(by_logger) == {
        "uvicorn.error",
        "uvicorn.access",
        "api.ws",
        "api.session.turn_log",
        "api.session.channels",
    }
    assert "abc" not in by_logger["uvicorn.error"]["message"]
    turn = by_logger["api.session.turn_log"]
    assert turn["outcome"] == "cancelled" and turn["mode"] == "offline"
    assert ANSWER not in json.dumps(lines)
    assert "RuntimeError: boom" in by_logger["api.session.channels"]["exception"]
    assert log_config("text")["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The shared server on SQLite (the log does not depend on the database)."""
    return shared_servers.running("sqlite")


async def test_the_service_log_has_one_line_for_each_turn(server: ServerProcess) -> None:
    session = f"log-{uuid.uuid4().hex[:10]}"
    token = server.token(f"log-{uuid.uuid4().hex[:8]}")
    async with await ChatClient.connect(server.ws_url, token, query_token=True) as client:
        events = await client.turn(QUESTION, session_id=session)
    complete = events[-1]
    assert complete["type"] == "complete"
    await asyncio.sleep(0.2)  # written before the event went out; read after the flush
    log = server.log()
    [line] = [line for line in log.splitlines() if f"session_id={session}" in line]
    metadata = complete["metadata"]
    assert line.endswith(
        f"api.session.turn_log: turn ended session_id={session} turn_id={complete['turn_id']} "
        f"outcome=complete route={metadata['agent']} mode=offline "
        f"latency_ms={metadata['latency_ms']}"
    )
    assert QUESTION not in log and complete["response"] not in log
    assert token not in log  # nor the token of a socket authenticated by its address
