"""Real servers for the integration suite: one per database backend, plus an LLM-mode one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from orchestrator.settings import Settings
from tests.utils.browser import CHROMIUM, chromium
from tests.utils.databases import BACKENDS, fresh_database
from tests.utils.fake_openai import FakeOpenAI
from tests.utils.server import ServerProcess, llm_mode_server

RATE_LIMIT = 8
AUTH_TIMEOUT_S = 3  # shorter than the default 10 s, so the deadline is tested quickly


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[ServerProcess]:
    """An offline-mode server on SQLite, then on PostgreSQL."""
    root = tmp_path_factory.mktemp(f"server-{request.param}")
    with fresh_database(str(request.param), root) as url:
        process = ServerProcess(
            root / "data",
            kb_settings.chroma_path,
            url.render_as_string(False),
            RATE_LIMIT_MESSAGES=str(RATE_LIMIT),
            RATE_LIMIT_WINDOW_S="60",
            AUTH_TIMEOUT_S=str(AUTH_TIMEOUT_S),
        )
        process.start()
        try:
            yield process
        finally:
            process.stop()


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as llm:
        yield llm


@pytest.fixture(scope="module")
def llm_server(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
) -> Iterator[ServerProcess]:
    """A server in LLM mode, pointed at the OpenAI-compatible server on loopback."""
    process = llm_mode_server(
        tmp_path_factory.mktemp("llm-server"),
        kb_settings.chroma_path,
        fake_llm.base_url,
        LLM_TIMEOUT_S="2",
        SHUTDOWN_GRACE_S="2",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the pages' tests (`make test` installs it)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with chromium() as browser:
        yield browser
