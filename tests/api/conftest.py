"""Real servers for the integration suite: the shared offline ones (tests/conftest.py), one per
database backend, and an LLM-mode one; each starts once per run, not once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from orchestrator.settings import Settings
from tests.utils.browser import CHROMIUM, chromium
from tests.utils.databases import BACKENDS
from tests.utils.fake_openai import FakeOpenAI
from tests.utils.server import ServerProcess, SharedServers, llm_mode_server

# Short enough that the tests of a turn the server stopped wait little for a save, and still a
# save every second of streaming, as the default's every five seconds.
PARTIAL_SAVE_S = 1.0


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """An offline-mode server on SQLite, then on PostgreSQL."""
    return shared_servers.running(str(request.param))


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as llm:
        yield llm


@pytest.fixture(autouse=True)
def _nothing_scripted_by_another_test(request: pytest.FixtureRequest) -> None:
    """The loopback model is shared by the run: a test starts with no reply queued by another."""
    if "fake_llm" in request.fixturenames:
        request.getfixturevalue("fake_llm").reset()


@pytest.fixture(scope="session")
def _llm_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    process = llm_mode_server(
        tmp_path_factory.mktemp("llm-server"),
        kb_settings.chroma_path,
        fake_llm.base_url,
        LLM_TIMEOUT_S="2",
        SHUTDOWN_GRACE_S="2",
        PARTIAL_SAVE_S=str(PARTIAL_SAVE_S),
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def llm_server(_llm_server: ServerProcess) -> ServerProcess:
    """A server in LLM mode, pointed at the OpenAI-compatible server on loopback (started again
    if a test before left it stopped)."""
    return _llm_server.running()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the pages' tests (`make test` installs it). Per module: while it runs, the
    sync Playwright API holds an event loop that asyncio tests could not run beside."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with chromium() as browser:
        yield browser
