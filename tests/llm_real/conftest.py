"""A real model under the product: `make test-llm` builds llama.cpp's server into `.venv-llm` and
runs this directory, which plain `pytest` (and so `make test`) leaves out unless it is named.

One llama server (SmolLM2-135M-Instruct, a 2,048-token window, default flags) and one product
server in LLM mode pointed at it serve the whole run; a test that stops the model server starts
it again on the same port. Every turn's wall time and terminal event go to `turns.jsonl` beside
the servers' logs, and the run ends with them in a table."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.settings import Settings
from tests.llm_real.conversation import TurnLog
from tests.llm_real.llama_server import LlamaServer, model_path
from tests.utils.server import ServerProcess, free_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LLAMA_PYTHON = "LLAMA_PYTHON"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collected only when this directory (or a file in it) is named on the command line."""
    named = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if any(path == HERE or HERE in path.parents for path in named):
        return None
    return True


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-real")


@pytest.fixture(scope="session")
def llama(run_dir: Path) -> Iterator[LlamaServer]:
    """The model server, started once; a test that stops it leaves it running again."""
    python = Path(os.environ.get(LLAMA_PYTHON, REPO / ".venv-llm" / "bin" / "python"))
    if not python.exists():
        pytest.fail(f"{python} is missing: `make test-llm` builds it", pytrace=False)
    server = LlamaServer(python, model_path(python), free_port(), run_dir / "llama.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def product(run_dir: Path, kb_settings: Settings, llama: LlamaServer) -> Iterator[ServerProcess]:
    """`orchestrator serve` in LLM mode against the llama server: only its address and model
    name are set, every other setting is the product's default."""
    process = ServerProcess(
        run_dir / "data",
        kb_settings.chroma_path,
        f"sqlite+aiosqlite:///{run_dir / 'product.sqlite3'}",
        OPENAI_BASE_URL=llama.base_url,
        LLM_MODEL=llama.model.stem,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def turn_log(run_dir: Path, llama: LlamaServer) -> TurnLog:
    log = TurnLog(run_dir / "turns.jsonl", llama)
    _LOGS.append(log)
    return log


_LOGS: list[TurnLog] = []  # read by the summary at the end of the run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for log in _LOGS:
        terminalreporter.write_sep("-", f"turns against the real model ({log.path})")
        for line in log.table():
            terminalreporter.write_line(line)
