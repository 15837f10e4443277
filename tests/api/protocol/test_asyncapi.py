"""The AsyncAPI document of /ws/chat and /ws/staff: generated from the protocol models, current,
served by the app, and valid by the AsyncAPI project's own parser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from api.protocol import CLIENT_MESSAGE, SERVER_EVENT
from api.protocol.asyncapi import DOCUMENT_PATH, asyncapi_document, main, render_asyncapi
from tests.conftest import REPO
from tests.utils.server import ServerProcess

CLIENT = REPO / "clients" / "js"
NODE = shutil.which("node")
PARSER = CLIENT / "node_modules" / "@asyncapi" / "parser"


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), "scripts/validate-asyncapi.mjs", str(path)],
        capture_output=True,
        text=True,
        cwd=CLIENT,
        timeout=120,
        check=False,
    )


def test_the_document_file_is_current(tmp_path: Path) -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render_asyncapi(), (
        "docs/asyncapi.json is out of date: run `python -m api.protocol.asyncapi`"
    )
    stale = tmp_path / "asyncapi.json"
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0 and main(["--check", "--output", str(stale)]) == 0


def test_every_frame_and_event_is_on_its_endpoint() -> None:
    document = asyncapi_document()
    kinds = {m["name"] for m in document["components"]["messages"].values()}
    frames = {schema["const"] for schema in _type_consts(CLIENT_MESSAGE.json_schema())}
    events = {schema["const"] for schema in _type_consts(SERVER_EVENT.json_schema())}
    assert kinds == frames | events
    receive = document["operations"]["chat.receive"]["messages"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in receive} == {
        "AuthFrame",
        "PingFrame",
        "ChatFrame",
        "CancelFrame",
        "ResumeFrame",
    }
    sent = document["operations"]["chat.send"]["messages"]
    chat_sends = {ref["$ref"].rsplit("/", 1)[1] for ref in sent}
    assert "ConversationEvent" not in chat_sends and "TokenEvent" in chat_sends


def _type_consts(schema: dict[str, object]) -> list[dict[str, str]]:
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    models = [model for model in defs.values() if "type" in model.get("properties", {})]
    return [model["properties"]["type"] for model in models]


@pytest.mark.skipif(
    NODE is None or not PARSER.exists(), reason="the parser is not installed (make js)"
)
def test_the_asyncapi_parser_finds_no_error_and_catches_a_broken_one(tmp_path: Path) -> None:
    result = _validate(DOCUMENT_PATH)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []  # not even a warning
    broken = json.loads(DOCUMENT_PATH.read_text())
    broken["channels"]["chat"]["messages"]["ChatFrame"] = {"$ref": "#/components/messages/Nope"}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert _validate(tmp_path / "broken.json").returncode == 1


def test_the_server_serves_it_beside_openapi(server: ServerProcess) -> None:
    served = httpx.get(f"{server.base_url}/asyncapi.json").json()
    assert served == json.loads(DOCUMENT_PATH.read_text())
    assert httpx.get(f"{server.base_url}/openapi.json").status_code == 200
