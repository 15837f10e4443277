"""The JavaScript client package (clients/js): constants and types generated from the schema,
the types checked by tsc, the package's contents, and its node tests against a real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.settings import Settings
from tests.conftest import REPO
from tests.utils.fake_openai import FakeOpenAI, Reply
from tests.utils.server import ServerProcess, llm_mode_server

CLIENT = REPO / "clients" / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _node(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), *args], input=stdin, capture_output=True, text=True, cwd=CLIENT, check=False
    )


DEV_TOOLS = CLIENT / "node_modules" / ".installed"  # `make js` (npm ci), part of `make test`
needs_dev_tools = pytest.mark.skipif(
    not DEV_TOOLS.exists(), reason="the client's dev tools are not installed (make js)"
)


@needs_dev_tools
def test_the_protocol_constants_and_types_are_generated_from_the_current_schema() -> None:
    result = _node("scripts/generate-protocol.mjs", "--check")
    assert result.returncode == 0, result.stderr


@needs_dev_tools
def test_the_readme_example_type_checks_against_the_packages_types() -> None:
    """`test/example.ts` uses the package by its name, as a frontend would, under tsc --strict;
    it also expects errors for an unknown event type and a field an event does not have."""
    result = _node(str(CLIENT / "node_modules" / "typescript" / "bin" / "tsc"), "-p", "test")
    assert result.returncode == 0, result.stdout + result.stderr


def test_npm_pack_makes_a_package_with_the_code_and_its_types() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    result = subprocess.run(
        [npm, "pack", "--dry-run", "--json"], capture_output=True, text=True, cwd=CLIENT
    )
    assert result.returncode == 0, result.stderr
    files = {entry["path"] for entry in json.loads(result.stdout)[0]["files"]}
    assert {"src/index.js", "src/index.d.ts", "src/protocol.js", "src/protocol.d.ts"} <= files
    assert {"package.json", "README.md"} <= files
    assert not any(path.startswith(("test/", "scripts/", "node_modules/")) for path in files)
    manifest = json.loads((CLIENT / "package.json").read_text())
    assert manifest["exports"]["."]["types"] == "./src/index.d.ts"
    assert "dependencies" not in manifest  # none at run time


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    """Answers long enough, and paced, for a socket to be cut mid-answer."""
    words = " ".join(f"word{i}" for i in range(60))
    with FakeOpenAI(default=lambda request: Reply(f"Rotate them often: {words} [1].")) as llm:
        llm.tokens_per_s = 30
        yield llm


@pytest.fixture(scope="module")
def llm_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    process = llm_mode_server(
        tmp_path_factory.mktemp("js-client"), kb_settings.chroma_path, fake_llm.base_url
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_the_clients_own_tests_pass_against_a_real_server(llm_server: ServerProcess) -> None:
    tokens = ",".join(llm_server.token(f"js-{n}") for n in range(3))
    result = subprocess.run(
        [str(NODE), "--experimental-websocket", "--test", "test/"],
        capture_output=True,
        text=True,
        cwd=CLIENT,
        env={**os.environ, "CHAT_WS_URL": llm_server.ws_url, "CHAT_TOKENS": tokens},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# pass 3" in result.stdout and "# skipped 1" in result.stdout, result.stdout


def installed_package(where: Path) -> Path:
    """A frontend project that installed the package from the tarball `npm pack` makes."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    quiet = ["--no-audit", "--no-fund", "--offline"]
    packed = subprocess.run(
        [npm, "pack", "--json", "--pack-destination", str(where)],
        capture_output=True, text=True, cwd=CLIENT, check=True,
    )  # fmt: skip
    tarball = where / json.loads(packed.stdout)[0]["filename"]
    app = where / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    subprocess.run([npm, "install", *quiet, str(tarball)], cwd=app, check=True, capture_output=True)
    return app


def test_a_chat_survives_a_server_restart_mid_answer(
    llm_server: ServerProcess, tmp_path: Path
) -> None:
    """test/restart.test.mjs, run in a project that installed the packed package, asks, and
    writes the signal file once tokens flow; the server is killed (kill -9) there and started
    again; the client must still get a whole answer."""
    app = installed_package(tmp_path)
    shutil.copy(CLIENT / "test" / "restart.test.mjs", app)
    signal = tmp_path / "restart"
    node = subprocess.Popen(
        [str(NODE), "--experimental-websocket", "--test", "restart.test.mjs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=app,
        env={
            **os.environ,
            "CHAT_WS_URL": llm_server.ws_url,
            "CHAT_TOKENS": llm_server.token("js-restart"),
            "RESTART_SIGNAL": str(signal),
        },
    )
    try:
        deadline = time.monotonic() + 60
        while not signal.exists():
            assert node.poll() is None and time.monotonic() < deadline, node.stdout
            time.sleep(0.05)
        llm_server.kill()
        llm_server.start()
        output, _ = node.communicate(timeout=180)
    finally:
        if node.poll() is None:
            node.kill()
    assert node.returncode == 0, output[-4000:]
    assert "# pass 1" in output, output


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
        "LLM_EMPTY_REPLY",
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
