"""The one configuration object: environment variables and `.env`, validated once."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rag.embeddings import DEFAULT_EMBEDDING_MODEL

# What the retention does to a conversation idle past it (`orchestrator.retention`).
RetentionStrategy = Literal["delete", "keep_latest"]

PLACEHOLDER_SECRETS = frozenset({"changethis", "changeme", "secret", "jwt-secret", "dev"})
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    environment: Environment = Environment.development
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("ORCHESTRATOR_DATA_DIR", "data_dir")
    )
    database_url: str | None = None
    # Live state shared by every worker and instance (rate limits now; turns, resume and
    # fan-out next). Unset: in this process only, which serves one worker.
    redis_url: str | None = None
    redis_prefix: str = "orchestrator:"
    chroma_url: str | None = None
    chroma_collection: str = "knowledge_base"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # Where the model runs: ONNX Runtime (the same vectors, a third of torch's CPU, no torch at
    # start; exported once into model_cache_dir) or torch. See rag.embeddings.load_embedder.
    embedding_backend: Literal["onnx", "torch"] = "onnx"
    # The vectors of a new knowledge base: float32, or int8 (the ONNX model quantised: ~2.1x
    # less CPU per text, a few answers of the evals otherwise; torch is always float32). A
    # knowledge base keeps its own until it is re-ingested with --reset; see
    # orchestrator.knowledge.precision_of.
    embedding_precision: Literal["float32", "int8"] = "float32"
    # Threads for embedding in the service (0: the runtime's default); see rag.embeddings.
    embedding_threads: int = 1
    # The exported model; unset: <data dir>/models. Several data dirs may share one.
    model_cache_dir: Path | None = None

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 2
    # Tokens one model call may write (a model that does not stop is cut here, its answer
    # marked `truncated`, rather than running until the turn's timeout).
    llm_max_tokens: int = Field(default=512, ge=1)
    # While the model cannot be reached (turns are answered offline meanwhile), it is tried
    # again this often (seconds), by a probe and by the next turn.
    llm_recheck_s: float = Field(default=5.0, gt=0)
    # The model's context window in tokens; unset: what its server says of itself (llama.cpp's
    # /props, vLLM's max_model_len, …), else learnt when a prompt is refused for its length.
    # The history and passages of a prompt are fitted to it (orchestrator.model_budget).
    llm_context_tokens: int | None = Field(default=None, ge=256)
    # Model requests under way at once from this process (0: no limit). A server that ends a
    # stream when another request arrives (llama-cpp-python's) is learnt to need 1.
    llm_max_concurrent_requests: int = Field(default=0, ge=0)
    # Streams open at once to the LLM endpoint; httpx's default of 100 made turn 101 wait.
    llm_max_connections: int = 1000
    # Whether the model calls tools (`orchestrator.model_abilities`): `auto` asks it at start-up
    # and again when a turn's request with tools fails so; `on` / `off` say so without asking.
    # Where it does not, specialists do the tool work by their rules and the model words it.
    llm_tools: Literal["auto", "on", "off"] = "auto"

    jwt_secret: SecretStr | None = None
    # `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` when this is set; unset,
    # it is open (as Prometheus scrapes by default): keep the port off the internet then.
    metrics_token: SecretStr | None = None
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"]
    )

    host: str = "127.0.0.1"
    port: int = 8000
    # The service log: `text` for people, `json` (one object a line) for a log shipper; either
    # way one line for each turn (api.session.turn_log).
    log_format: Literal["text", "json"] = "text"

    # Service centre: opening hours per ISO weekday (1 = Monday); a missing day is closed.
    service_bays: int = 2
    free_cancellation_hours: int = 24
    service_timezone: str = "UTC"
    opening_hours: dict[int, tuple[time, time]] = Field(
        default_factory=lambda: {
            1: (time(8), time(18)),
            2: (time(8), time(18)),
            3: (time(8), time(18)),
            4: (time(8), time(18)),
            5: (time(8), time(18)),
            6: (time(9), time(13)),
        }
    )

    # Request bodies (bytes), refused with 413 BODY_TOO_LARGE as they arrive, before they are
    # read (api.body_guard): every route but ingest (a chat message of MAX_MESSAGE_CHARS fits
    # with room for JSON escapes), and the knowledge ingest (documents as base64).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_ingest_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

    # Chat limits.
    max_message_chars: int = 4000
    max_frame_bytes: int = 64 * 1024
    rate_limit_messages: int = 20
    rate_limit_window_s: float = 60.0
    # Counted from when the turn leaves the admission queue, not from when it joined it.
    turn_timeout_s: float = 60.0
    # Time after the turn timeout to save and send its end; past it the turn is ended with
    # TIMEOUT whatever it is waiting for (a database that stopped answering, say).
    turn_end_grace_s: float = Field(default=10.0, gt=0)
    # A streaming answer is saved this often (seconds; 0: never), so that a crash loses at
    # most this much of what was delivered; turns answered sooner write nothing extra.
    partial_save_s: float = Field(default=5.0, ge=0)
    # Turns before their first token at once in this process (0: four per core); the others
    # wait in line, told their position. A message expected to wait longer than
    # `queue_max_wait_s` is refused at once with OVERLOADED and a `retry_after`.
    admission_slots: int = Field(default=0, ge=0)
    queue_max_wait_s: float = Field(default=120.0, gt=0)
    # How long taking a message (its SQL and live-state work) may last. Past it the message
    # is refused, nothing stored: OVERLOADED when the database and live state answer (the
    # process was too busy or starved), UNAVAILABLE when they do not; both with retry_after.
    admission_timeout_s: float = Field(default=15.0, gt=0)
    # A message sent while its session's turn is under way (double-texting), unless the message
    # names its own `multitask_strategy`: `enqueue` stores it in the session's line, answered by
    # a turn of its own once the turns before it end; `interrupt` stops the turn under way
    # (`cancelled`, keeping what it streamed) and lines the message up; `reject` refuses it
    # BUSY. A line holds `max_queued_messages` at most; past it, BUSY with a `retry_after`.
    multitask_strategy: Literal["enqueue", "interrupt", "reject"] = "enqueue"
    max_queued_messages: int = Field(default=5, ge=1)
    # How often each instance looks for lines no turn's end will move (their instance died
    # between two turns): one indexed query.
    line_sweep_s: float = Field(default=5.0, gt=0)
    # How a turn runs the graph: `astream_events` v2, or `astream` with its stream modes.
    stream_mode: Literal["events", "messages"] = "messages"
    # When LangGraph writes a turn's checkpoint: "exit" writes it once, at the end of the turn
    # (the user's message and the answer are saved in SQL regardless); "async" after each step.
    checkpoint_durability: Literal["sync", "async", "exit"] = "exit"
    ws_ping_interval_s: float = 20.0
    ws_idle_timeout_s: float = 300.0
    # A client that has read nothing for this long while the server waits to send is closed
    # (4008) and its socket aborted.
    ws_send_timeout_s: float = Field(default=30.0, gt=0)
    # A message shorter than this is sent uncompressed on a connection that negotiated
    # permessage-deflate (0: compress every one); see api.ws_compression.
    ws_compress_min_bytes: int = Field(default=512, ge=0)
    # A socket that has not authenticated within this time is closed (AUTH_REQUIRED, 4001).
    auth_timeout_s: float = Field(default=10.0, gt=0)
    # Tokens arriving within this many ms of the last token frame are merged into one frame:
    # an answer moves ten times a second, its first token at once. Each frame costs the
    # process about a CPU-ms (numbered, kept for resume, sent): one a token made an answer
    # of 200 tokens streamed alone cost 294-319 CPU-ms, one per 100 ms 186-191 (docs/capacity.md).
    token_coalesce_ms: float = 100.0
    # Token frames a second this process sends in all (0: no budget): with many turns under
    # way, each holds its tokens longer (up to 250 ms) so that they go out in fewer, longer
    # frames, and the turns still waiting for their first token are not kept waiting. A
    # streamed answer is read from the model as often (`orchestrator.model_transport`).
    token_frames_per_s: float = Field(default=500.0, ge=0)
    shutdown_grace_s: float = 10.0
    # A session idle this long that no connection on this instance follows is forgotten by it
    # (its events kept for `resume` in process go; with Redis they stay there). A client back
    # later resumes from the numbering saved in SQL and reads the transcript over REST.
    live_session_idle_s: float = Field(default=300.0, gt=0)
    # Conversations idle longer than this are removed, messages, notes and checkpoints with them,
    # by a sweep every `retention_sweep_s` (unset: kept for good). A customer's bookings and
    # vehicles are theirs, not a conversation's, and stay. With `retention_strategy`
    # "keep_latest" they are kept, transcript and all, and only their graph checkpoints go but
    # the latest, which a new turn continues from.
    retention_days: float | None = Field(default=None, gt=0)
    retention_strategy: RetentionStrategy = "delete"
    retention_sweep_s: float = Field(default=3600.0, gt=0)

    # Routing and retrieval.
    router_llm_threshold: float = 0.55
    # Passages a specialist hands to the offline answerer, and to a language model, which reads
    # more before it answers (the prompt is fitted to a small window by dropping the
    # lowest-ranked); measured on real manuals (docs/benchmarks.md).
    retrieval_top_k: int = Field(default=6, ge=1)
    llm_retrieval_top_k: int = Field(default=10, ge=1)
    # A passage closer in meaning than this (cosine) may be used; an exact code match always.
    # (0.15 answered one more question offline and cost one of the held-out half's in LLM
    # mode: bench/answer_quality.md.)
    retrieval_min_score: float = 0.2
    # The company's own terms for one thing, beside the trade's (`rag.glossary`): a text file,
    # one group a line, the terms separated by commas ("e-Pedal, one-pedal driving").
    glossary_path: Path | None = None
    handoff_confidence_threshold: float = 0.35
    # An answer whose best passage scores below this (cosine similarity) is a knowledge gap
    # (`orchestrator kb gaps`, the console's Knowledge gaps panel).
    gap_score_below: float = Field(default=0.4, ge=0, le=1)

    # Ingest: what one file may make before it is read (the limits `rag.readers.limits` gives
    # its reasons for: unpacked MB and ratio of a zipped file, a PDF's pages, characters of
    # text), and the MB reading it may take, in a process that ends with the ingest.
    ingest_max_unpacked_mb: int = Field(default=200, ge=1)
    ingest_max_unpack_ratio: int = Field(default=200, ge=1)
    ingest_max_pdf_pages: int = Field(default=5000, ge=1)
    ingest_max_chars: int = Field(default=20_000_000, ge=1)
    # Scanned pages of one file read by OCR (a few seconds each); 0: none are.
    ingest_max_ocr_pages: int = Field(default=500, ge=0)
    ingest_reader_memory_mb: int = Field(default=2048, ge=64)
    # The folders `make run` and `orchestrator cluster` ingest with --prune before serving
    # (`orchestrator ingest` without a PATH), comma-separated; empty: none. Documents ingested
    # from anywhere else are never pruned by it.
    knowledge_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("knowledge_base")]
    )

    @field_validator("allowed_origins", "knowledge_dirs", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                import json

                return json.loads(stripped)
            return [part.strip() for part in stripped.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        if self.environment is Environment.production:
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret) < MIN_SECRET_LENGTH or secret.lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "JWT_SECRET must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters in production "
                    "(generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @property
    def answer_mode(self) -> Literal["llm", "offline"]:
        """`llm` when an OpenAI-compatible endpoint is configured (a key, or only the address
        of a local server that needs none), else the offline answerer."""
        return "llm" if self.openai_api_key or self.openai_base_url else "offline"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "orchestrator.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def secret_path(self) -> Path:
        return self.data_dir / "jwt_secret"

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL in use: DATABASE_URL, or SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.sqlite_path.resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
