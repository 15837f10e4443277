"""The JavaScript client (clients/js): its protocol constants come from the schema."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import REPO

CLIENT = REPO / "clients" / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _node(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), *args], input=stdin, capture_output=True, text=True, cwd=CLIENT, check=False
    )


def test_the_protocol_constants_are_generated_from_the_current_schema() -> None:
    result = _node("scripts/generate-protocol.mjs", "--check")
    assert result.returncode == 0, result.stderr


def test_the_constants_say_what_the_schema_says() -> None:
    script = (
        'import * as p from "./src/index.js";'
        "console.log(JSON.stringify({events: p.EVENT_TYPES, ending: p.TURN_ENDING_ERRORS,"
        " max: p.MAX_MESSAGE_CHARS, close: p.CLOSE_NO_RECONNECT}));"
    )
    result = _node("--input-type=module", "-e", script)
    assert result.returncode == 0, result.stderr
    constants = json.loads(result.stdout)
    assert "customer_message" in constants["events"]
    assert sorted(constants["ending"]) == [
        "INTERRUPTED",
        "LLM_UNAVAILABLE",
        "PROCESSING_ERROR",
        "TIMEOUT",
    ]
    assert constants["max"] == 4000
    assert constants["close"] == [1000, 4001, 4003]


def test_every_module_parses() -> None:
    for path in sorted((CLIENT / "src").glob("*.js")):
        result = _node("--input-type=module", "--check", stdin=path.read_text("utf-8"))
        assert result.returncode == 0, f"{path.name}: {result.stderr}"
