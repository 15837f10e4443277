"""The WebSocket protocol models, their JSON Schema, the protocol guide and the test page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import typing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from api import protocol
from api.protocol import (
    CLIENT_MESSAGE,
    ERROR_DESCRIPTIONS,
    SERVER_EVENT,
    TURN_ENDING_ERRORS,
    AuthError,
    AuthFrame,
    AuthSuccess,
    CancelFrame,
    CancelledEvent,
    ChatFrame,
    CompleteContext,
    CompleteEvent,
    CompleteMetadata,
    ConversationEvent,
    ConversationSummary,
    CustomerMessageEvent,
    ErrorCode,
    ErrorEvent,
    HandoffEvent,
    PersonRef,
    PingFrame,
    PongEvent,
    ProgressEvent,
    ProtocolError,
    ResumeFrame,
    SessionEvent,
    SourceRef,
    SourcesEvent,
    StaffMessageEvent,
    TokenEvent,
    ToolCallEvent,
    ToolResultEvent,
    UnwatchFrame,
    UserInfo,
    WatchFrame,
    check_message_text,
    dump,
    parse_client_frame,
)
from api.protocol.schema import SCHEMA_PATH, protocol_schema, render_protocol_schema
from api.routes.pages import render_page
from tests.utils.pages import element_ids

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "protocol.md"
STATIC = REPO / "api" / "static"

SESSION = "3f9a1c7e-52d8-4b0c-9d1e-7a6b5c4d3e2f"
TURN = "b7c2e91f04d34a6a8f5e3d2c1b0a9f87"
SOURCE = SourceRef(
    source="maintenance/aster-service-schedule.md",
    title="Kestrel Aster Service Schedule",
    heading="Kestrel Aster tyre rotation",
    score=0.8312,
)
PAGED_SOURCE = SourceRef(
    n=2,
    source="manuals/aster-owners-manual.pdf",
    title="Kestrel Aster Owner's Manual",
    heading="Tyres > Rotation",
    page=128,
    page_end=129,
    score=0.7904,
    snippet="Rotate the tyres every 10,000 km or at each service, whichever comes first.",
)


def _union_types(union: Any) -> set[str]:
    """The `type` values of a discriminated union's members."""
    members = typing.get_args(typing.get_args(union)[0])
    return {str(model.model_fields["type"].default) for model in members}


CLIENT_TYPES = _union_types(protocol.ClientMessage)
SERVER_TYPES = _union_types(protocol.ServerEvent)

CLIENT_FRAMES: list[BaseModel] = [
    AuthFrame(token="eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
    WatchFrame(session_id="python-session-1"),
    UnwatchFrame(),
    ChatFrame(message="How often should I rotate the tyres?"),
    ChatFrame(
        message="Und auf Deutsch? 🚗",
        session_id=SESSION,
        customer_id="cust-42",
        message_id="m.1:a_b-c",
        partial_response=False,
    ),
    CancelFrame(),
    CancelFrame(session_id=SESSION),
    PingFrame(),
    PingFrame(timestamp=1732170000123),
    PingFrame(timestamp=12.5),
    PingFrame(timestamp="keepalive"),
    ResumeFrame(session_id=SESSION, after_seq=0),
    ResumeFrame(session_id=SESSION, after_seq=17),
]

SERVER_EVENTS: list[BaseModel] = [
    AuthSuccess(message="Authenticated", user=UserInfo(id="cust-42", name="Dana", role="customer")),
    AuthError(message="The token has expired."),
    SessionEvent(session_id=SESSION, created=True, last_seq=0),
    SessionEvent(session_id=SESSION, created=False, last_seq=9, turn_id=TURN),
    protocol.QueuedEvent(session_id=SESSION, turn_id=TURN, message_id="m-2", position=2),
    ProgressEvent(session_id=SESSION, turn_id=TURN, seq=1, step="starting", message="Starting"),
    ProgressEvent(
        session_id=SESSION, turn_id=TURN, seq=3, step="rag_retrieval", message="…", agent="specs"
    ),
    SourcesEvent(
        session_id=SESSION, turn_id=TURN, seq=4, sources=[SOURCE, PAGED_SOURCE], agent="maintenance"
    ),
    SourcesEvent(sources=[]),
    ToolCallEvent(
        session_id=SESSION,
        turn_id=TURN,
        seq=5,
        call_id="call_1",
        name="book_appointment",
        arguments={"start_text": "2026-11-24T10:00", "service_type": "oil_change"},
        agent="maintenance",
    ),
    ToolResultEvent(call_id="call_1", name="book_appointment", ok=True, summary="Booked."),
    ToolResultEvent(call_id="call_2", name="nope", ok=False, summary="Unknown tool nope"),
    TokenEvent(
        session_id=SESSION, turn_id=TURN, seq=6, token="Rotate ", partial_response="Rotate "
    ),
    TokenEvent(token=""),
    CompleteEvent(
        session_id=SESSION,
        turn_id=TURN,
        seq=9,
        response="Rotate the tyres every 10,000 km.",
        metadata=CompleteMetadata(
            agent="maintenance",
            agents=["maintenance", "specs"],
            confidence=0.86,
            context=CompleteContext(
                sources=[SOURCE.source, PAGED_SOURCE.source], passages=[SOURCE, PAGED_SOURCE]
            ),
            latency_ms=1840,
            mode="offline",
            message_id="a41f5c2e9d8b4c7a8e6f5d4c3b2a1908",
        ),
    ),
    CompleteEvent(
        response="",
        metadata=CompleteMetadata(
            agent="general",
            agents=[],
            confidence=0,
            context=CompleteContext(sources=[], passages=[]),
            latency_ms=0,
            mode="llm",
        ),
    ),
    CancelledEvent(session_id=SESSION, turn_id=TURN, seq=8, partial_response="Rotate the"),
    CancelledEvent(partial_response=""),
    ErrorEvent(error="Slow down.", code=ErrorCode.RATE_LIMITED, retry_after=12.5),
    ErrorEvent(session_id=SESSION, turn_id=TURN, seq=6, error="Too slow.", code=ErrorCode.TIMEOUT),
    PongEvent(),
    PongEvent(timestamp=1732170000123),
    PongEvent(timestamp="abc"),
    StaffMessageEvent(session_id=SESSION, seq=12, message="Hello, Dana.", staff_name="Priya"),
    HandoffEvent(session_id=SESSION, seq=10, status="waiting", message="A person will join."),
    HandoffEvent(status="staff_joined", message="Priya joined."),
    HandoffEvent(status="returned_to_bot", message="Back to the assistant."),
    CustomerMessageEvent(session_id=SESSION, seq=14, message="8:30?", message_id="m1"),
    ConversationEvent(
        conversation=ConversationSummary(
            session_id=SESSION,
            customer=PersonRef(id="cust-42", name="Dana"),
            status="waiting",
            updated_at="2026-11-21T09:30:01Z",
        )
    ),
]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return protocol_schema()


def _validator(schema: dict[str, Any], union: str) -> jsonschema.Draft202012Validator:
    """A validator for `#/$defs/<union>` that resolves references within the document."""
    document = {**schema, "$ref": f"#/$defs/{union}"}
    document.pop("anyOf")
    return jsonschema.Draft202012Validator(document)


def _validate(schema: dict[str, Any], frame: dict[str, Any]) -> None:
    """Validate one frame, with the JSON Schema and with the models, by its direction."""
    kind = frame.get("type")
    if kind in CLIENT_TYPES:
        _validator(schema, "ClientMessage").validate(frame)
        CLIENT_MESSAGE.validate_python(frame)
    elif kind in SERVER_TYPES:
        _validator(schema, "ServerEvent").validate(frame)
        SERVER_EVENT.validate_python(frame)
    else:
        pytest.fail(f"unknown frame type {kind!r} in {frame}")


# ------------------------------------------------------------------ the schema file


def test_schema_file_is_up_to_date() -> None:
    hint = "docs/protocol.schema.json is out of date: run `python -m api.protocol.schema`"
    assert SCHEMA_PATH.exists(), hint
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(text) == protocol_schema(), hint
    assert text == render_protocol_schema(), hint + " (formatting differs)"


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"ClientMessage", "ServerEvent"} <= schema["$defs"].keys()


def test_schema_unions_cover_every_model(schema: dict[str, Any]) -> None:
    for union, types in (("ClientMessage", CLIENT_TYPES), ("ServerEvent", SERVER_TYPES)):
        refs = [option["$ref"].rsplit("/", 1)[1] for option in schema["$defs"][union]["oneOf"]]
        consts = {schema["$defs"][ref]["properties"]["type"]["const"] for ref in refs}
        assert consts == types
        for ref in refs:
            assert schema["$defs"][ref]["required"][0] == "type"


def test_schema_main_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from api.protocol.schema import main

    target = tmp_path / "protocol.schema.json"
    assert main(["--check", "--output", str(target)]) == 1
    assert main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8").endswith("}\n")
    assert main(["--check", "--output", str(target)]) == 0
    capsys.readouterr()


def test_client_and_server_types_do_not_overlap() -> None:
    assert not CLIENT_TYPES & SERVER_TYPES
    assert {"auth", "message", "cancel", "ping", "resume", "watch", "unwatch"} == CLIENT_TYPES


# ------------------------------------------------------------------ round trips


def test_examples_cover_every_model() -> None:
    assert {str(frame.type) for frame in CLIENT_FRAMES} == CLIENT_TYPES  # type: ignore[attr-defined]
    assert {str(event.type) for event in SERVER_EVENTS} == SERVER_TYPES  # type: ignore[attr-defined]


@pytest.mark.parametrize("frame", CLIENT_FRAMES, ids=repr)
def test_client_frame_round_trips(frame: BaseModel, schema: dict[str, Any]) -> None:
    text = frame.model_dump_json()
    assert parse_client_frame(text) == frame
    assert parse_client_frame(text.encode()) == frame
    _validate(schema, json.loads(text))


@pytest.mark.parametrize("event", SERVER_EVENTS, ids=repr)
def test_server_event_round_trips(event: BaseModel, schema: dict[str, Any]) -> None:
    assert isinstance(event, protocol.ServerEventBase)
    text = dump(event)
    assert SERVER_EVENT.validate_json(text) == event
    payload = json.loads(text)
    assert None not in payload.values()
    assert next(iter(payload)) == "type"
    _validate(schema, payload)


def test_dump_is_compact_and_omits_none() -> None:
    text = dump(TokenEvent(token="a b", seq=2))
    assert text == '{"type":"token","seq":2,"token":"a b"}'


def test_dump_omits_partial_response_when_client_opted_out() -> None:
    event = TokenEvent(session_id=SESSION, seq=7, token="km", partial_response="10,000 km")
    assert json.loads(dump(event))["partial_response"] == "10,000 km"
    opted_out = json.loads(dump(event, partial_response=False))
    assert "partial_response" not in opted_out
    assert opted_out == {"type": "token", "session_id": SESSION, "seq": 7, "token": "km"}
    cancelled = CancelledEvent(partial_response="10,000")
    assert json.loads(dump(cancelled, partial_response=False))["partial_response"] == "10,000"


def test_chat_frame_defaults() -> None:
    frame = parse_client_frame('{"type": "message", "message": "hi"}')
    assert isinstance(frame, ChatFrame)
    assert frame.partial_response is None  # as the connection's auth frame chose
    assert frame.session_id is None and frame.message_id is None and frame.customer_id is None


def test_chat_frame_keeps_long_and_empty_messages_for_the_server_to_refuse() -> None:
    long = "x" * 10_000
    frame = parse_client_frame(json.dumps({"type": "message", "message": long}))
    assert isinstance(frame, ChatFrame) and frame.message == long
    assert isinstance(parse_client_frame('{"type": "message", "message": ""}'), ChatFrame)


def test_client_frames_ignore_unknown_keys() -> None:
    frame = parse_client_frame('{"type": "message", "message": "hi", "sent_at": 1, "x": {}}')
    assert frame == ChatFrame(message="hi")
    assert "sent_at" not in frame.model_dump()


def test_server_events_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        TokenEvent(token="a", extra="nope")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SERVER_EVENT.validate_python({"type": "pong", "unknown": 1})


@pytest.mark.parametrize(
    "value",
    ["a", "A-z.0_9:b", "x" * 128, "3f9a1c7e-52d8-4b0c-9d1e-7a6b5c4d3e2f"],
)
def test_ids_accepted(value: str) -> None:
    frame = parse_client_frame(json.dumps({"type": "resume", "session_id": value, "after_seq": 0}))
    assert isinstance(frame, ResumeFrame) and frame.session_id == value


@pytest.mark.parametrize(
    "value", ["", "x" * 129, "has space", "slash/id", "é", "semi;colon", "new\nline"]
)
@pytest.mark.parametrize("field", ["session_id", "message_id", "customer_id"])
def test_ids_refused(field: str, value: str) -> None:
    raw = json.dumps({"type": "message", "message": "hi", field: value})
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame(raw)
    assert caught.value.code is ErrorCode.INVALID_MESSAGE
    assert field in caught.value.message


# ------------------------------------------------------------------ parse errors


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "not valid JSON"),
        ("not json", "not valid JSON"),
        ('{"type": "auth", "token": "abc"', "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("[]", "JSON object"),
        ("42", "JSON object"),
        ('"auth"', "JSON object"),
        ("null", "JSON object"),
        ("{}", "'type'"),
        ('{"token": "abc"}', "'type'"),
        ('{"type": "hello"}', "Unknown frame type 'hello'"),
        ('{"type": 5}', "Unknown frame type"),
        ('{"type": "auth"}', "'token' is required"),
        ('{"type": "auth", "token": 5}', "token"),
        ('{"type": "message"}', "'message' is required"),
        ('{"type": "message", "message": 5}', "message"),
        ('{"type": "message", "message": null}', "message"),
        ('{"type": "message", "message": "hi", "partial_response": "maybe"}', "partial_response"),
        ('{"type": "resume", "session_id": "s"}', "'after_seq' is required"),
        ('{"type": "resume", "after_seq": 1}', "'session_id' is required"),
        ('{"type": "resume", "session_id": "s", "after_seq": -1}', "after_seq"),
        ('{"type": "resume", "session_id": "s", "after_seq": "x"}', "after_seq"),
        ('{"type": "ping", "timestamp": {"a": 1}}', "timestamp"),
        ('{"type": "ping", "timestamp": "' + "x" * 65 + '"}', "timestamp"),
        ('{"type": "ping", "timestamp": NaN}', "finite number"),
        ('{"type": "ping", "timestamp": -Infinity}', "finite number"),
        ('{"type": "cancel", "session_id": 7}', "session_id"),
    ],
)
def test_bad_frames_are_invalid_message(raw: str | bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_frame(raw)
    error = caught.value
    assert error.code is ErrorCode.INVALID_MESSAGE
    assert fragment in error.message
    assert str(error) == error.message
    event = error.to_event(session_id=SESSION)
    assert json.loads(dump(event)) == {
        "type": "error",
        "session_id": SESSION,
        "error": error.message,
        "code": "INVALID_MESSAGE",
    }


def test_check_message_text() -> None:
    check_message_text("x" * 4000, 4000)
    check_message_text(" hi ", 4000)
    check_message_text("caf\u00e9 \u200d", 4000)  # visible text with a joiner is fine
    for blank in ("", "   ", "\n\t", "\u200b\u200b", " \ufeff\u200e\u2060 "):
        with pytest.raises(ProtocolError) as caught:
            check_message_text(blank, 4000)
        assert caught.value.code is ErrorCode.EMPTY_MESSAGE
    with pytest.raises(ProtocolError) as caught:
        check_message_text("x" * 4001, 4000)
    assert caught.value.code is ErrorCode.MESSAGE_TOO_LARGE
    assert "4000" in caught.value.message
    # Text that no database stores as text is refused before anything is written.
    for unstorable, fragment in (("Aster tyre\x00 rotation?", "NUL"), ("a\ud800b", "surrogate")):
        with pytest.raises(ProtocolError) as caught:
            check_message_text(unstorable, 4000)
        assert caught.value.code is ErrorCode.INVALID_MESSAGE
        assert fragment in caught.value.message


def test_every_error_code_is_described() -> None:
    assert set(ERROR_DESCRIPTIONS) == set(ErrorCode)
    assert all(text.strip() for text in ERROR_DESCRIPTIONS.values())
    assert set(ErrorCode) >= TURN_ENDING_ERRORS
    assert [code.value for code in ErrorCode] == [code.name for code in ErrorCode]


# ------------------------------------------------------------------ the protocol guide

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(GUIDE.read_text("utf-8")) if lang == language]


def _doc_frames() -> list[dict[str, Any]]:
    frames = [json.loads(block) for block in _blocks("json")]
    for block in _blocks("jsonl"):
        frames.extend(json.loads(line) for line in block.splitlines() if line.strip())
    return frames


def test_guide_has_examples() -> None:
    assert len(_blocks("json")) >= 15
    assert len(_blocks("jsonl")) == 1


@pytest.mark.parametrize("frame", _doc_frames(), ids=lambda frame: str(frame.get("type")))
def test_guide_examples_are_valid(frame: dict[str, Any], schema: dict[str, Any]) -> None:
    _validate(schema, frame)


def test_guide_shows_every_message_type() -> None:
    shown = {frame["type"] for frame in _doc_frames()}
    assert shown >= CLIENT_TYPES | SERVER_TYPES


def test_guide_explains_every_error_code() -> None:
    text = GUIDE.read_text("utf-8")
    for code in ErrorCode:
        assert re.search(rf"^\| `{code.value}` \|", text, re.MULTILINE), code


def test_guide_transcript_is_a_consistent_turn() -> None:
    (block,) = _blocks("jsonl")
    frames = [json.loads(line) for line in block.splitlines() if line.strip()]
    kinds = [frame["type"] for frame in frames]
    assert kinds[:4] == ["auth", "auth_success", "message", "session"]
    steps = [frame["step"] for frame in frames if frame["type"] == "progress"]
    assert steps == ["starting", "agent_routing", "rag_retrieval", "generating"]
    assert kinds.index("sources") < len(kinds) - kinds[::-1].index("progress") - 1
    assert kinds[-1] == "complete"
    numbered = [frame["seq"] for frame in frames if "seq" in frame]
    assert numbered == list(range(1, len(numbered) + 1))
    tokens = "".join(frame["token"] for frame in frames if frame["type"] == "token")
    assert tokens == frames[-1]["response"]
    partials = [frame["partial_response"] for frame in frames if frame["type"] == "token"]
    assert partials[-1] == tokens


async def test_guide_python_client_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guide's Python example, against a server that replays the guide's transcript."""
    from websockets.asyncio.server import ServerConnection, serve

    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)
    (transcript,) = _blocks("jsonl")
    frames = [json.loads(line) for line in transcript.splitlines() if line.strip()]
    replies = [frame for frame in frames if frame["type"] in SERVER_TYPES]
    received: list[Any] = []
    origins: list[str | None] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        origins.append(ws.request.headers.get("Origin"))
        received.append(parse_client_frame(await ws.recv()))
        await ws.send(json.dumps(replies[0]))
        received.append(parse_client_frame(await ws.recv()))
        for reply in replies[1:]:
            await ws.send(json.dumps(reply))
        await ws.wait_closed()

    (code,) = _blocks("python")
    namespace: dict[str, Any] = {"__name__": "protocol_guide_example"}
    exec(compile(code, str(GUIDE), "exec"), namespace)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        answer = await namespace["ask"]("Tyres?", "tok", url=f"ws://127.0.0.1:{port}/ws/chat")

    assert answer == replies[-1]["response"]
    assert origins == ["http://127.0.0.1:8000"]
    assert received[0] == AuthFrame(token="tok")
    assert isinstance(received[1], ChatFrame)
    assert received[1].message == "Tyres?" and received[1].partial_response is False
    out = capsys.readouterr()
    assert replies[-1]["response"] in out.out
    assert "[agent_routing]" in out.err


NODE = shutil.which("node")


def _node_check(path: Path, *, module: bool = False) -> None:
    """`node --check`; an ES module is read from stdin, where node really parses it."""
    command = (
        [str(NODE), "--input-type=module", "--check"]
        if module
        else [str(NODE), "--check", str(path)]
    )
    result = subprocess.run(
        command,
        input=path.read_text("utf-8") if module else None,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_guide_javascript_parses(tmp_path: Path) -> None:
    blocks = _blocks("js")
    assert blocks
    for index, block in enumerate(blocks):
        path = tmp_path / f"example{index}.mjs"
        path.write_text(block, encoding="utf-8")
        _node_check(path)
    assert "innerHTML" not in blocks[0]


# ------------------------------------------------------------------ the test page


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids[str(values["id"])] = tag
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))


def _page() -> _Elements:
    parser = _Elements()
    parser.feed(render_page("test"))
    return parser


def test_page_has_the_elements_browser_tests_use() -> None:
    ids = _page().ids
    expected = {
        "token": "input",
        "connect": "button",
        "status": "div",
        "session-id": "code",
        "message-input": "textarea",
        "send": "button",
        "cancel": "button",
        "progress": "div",
        "messages": "main",
        "error": "div",
        "ping": "button",
    }
    for element, tag in expected.items():
        assert ids.get(element) == tag, element


def test_page_loads_nothing_from_elsewhere() -> None:
    urls = _page().urls
    assert urls == [
        "/static/favicon.svg",  # its own icon
        "/static/base.css",
        "/static/test.css",
        "/static/markdown.css",
        "/static/markdown.js",
        "/static/test.js",
    ]
    shared = ["base.css", "page.js", "shell.html", "../../clients/js/src/chat-socket.js",
              "../../clients/js/src/protocol.js", "../../clients/js/src/index.js"]  # fmt: skip
    for name in ("test.html", "test.js", "test.css", "markdown.js", "markdown.css", *shared):
        text = (STATIC / name).read_text("utf-8")
        assert "@import" not in text and "url(" not in text, name
        # No address to load from (the SVG namespace names a namespace; nothing is fetched).
        text = text.replace('"http://www.w3.org/2000/svg"', "SVG_NAMESPACE")
        assert not re.search(r"https?://", text), name


def test_page_script_never_parses_html() -> None:
    script = (STATIC / "test.js").read_text("utf-8") + (STATIC / "page.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script


def test_page_script_uses_existing_ids() -> None:
    script = (STATIC / "test.js").read_text("utf-8")
    used = element_ids(script)
    assert used
    assert used <= set(_page().ids)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_page_script_parses() -> None:
    _node_check(STATIC / "test.js", module=True)
