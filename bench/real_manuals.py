"""Answer quality on real manuals of many makers, the tuning half beside the held-out half.

Each manual of `bench/manuals/corpus.json` (fetched by `make manuals` into data/manuals) is
its own knowledge base: ingested by `orchestrator ingest` into a data dir of its own, served by
`orchestrator serve` with default settings, and asked its labelled conversations over
`/ws/chat`:
- offline (no model): the fact in the answer and in its first sentence, follow-up
  conversations right, questions no page answers met with "couldn't find", and for PDF and
  Word the labelled page among the passages handed to the answer (recall at the product's k);
- in LLM mode against `../shared/tools/echo_llm.py`, a model that answers with its prompt:
  whether the fact was in what the model received (`GET /prompts`), turn by turn.
The halves are pooled by turn; every manual's own figures are in the details. Rules are
written against the tuning half only, so only its misses are printed (`bench/results/
manuals/`, or BENCH_RESULTS); the held-out half is judged by its figures.

For a change to answering alone, two settings make a run minutes instead of an hour:
MANUALS_DATA=DIR keeps each manual's ingested data dir there and ingests only a manual it
does not hold yet (empty it when reading, chunking or embedding changes), and MANUALS_LLM=0
leaves out the LLM pass.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, Context, Figure, Result, Scenario, log
from bench.fetch_manuals import DEFAULT_OUT, corpus
from bench.procs import started
from bench.report import RESULTS
from orchestrator.cli.answer_eval import (
    AnswerReport,
    Conversation,
    Received,
    load_conversations,
    normalise,
    render,
    score_turn,
)
from orchestrator.cli.answer_eval_client import ask_turn, evaluate

QUESTIONS = REPO / "bench" / "manuals"
ECHO_LLM = REPO.parent / "shared" / "tools" / "echo_llm.py"
MODEL_CACHE = REPO / ".cache" / "models"
HALVES = ("tuning", "held-out")
TARGETS = {  # the issue's, on every manual
    "llm_context": 0.90,
    "page_retrieved": 0.90,
    "fact": 0.70,
    "first": 0.55,
    "follow_ups": 0.80,
    "abstained": 0.75,
}


def manuals_dir() -> Path:
    """Where `make manuals` put them (MANUALS_DIR); MANUALS=name,... measures only those."""
    return Path(os.environ.get("MANUALS_DIR", str(DEFAULT_OUT)))


def _free_port() -> int:
    from tests.utils.server import free_port

    return free_port()


@contextmanager
def echo_llm(workdir: Path) -> Iterator[str]:
    port = _free_port()
    url, argv = f"http://127.0.0.1:{port}", [sys.executable, str(ECHO_LLM), str(port)]
    with started("echo model", argv, workdir / "echo-llm.log", url, f"{url}/v1/models", 30):
        yield url


def _env(data_dir: Path) -> dict[str, str]:
    from tests.utils.server import JWT_SECRET, ORIGIN

    return {
        "ORCHESTRATOR_DATA_DIR": str(data_dir),
        "MODEL_CACHE_DIR": os.environ.get("MODEL_CACHE_DIR", str(MODEL_CACHE)),
        "JWT_SECRET": JWT_SECRET,
        "ALLOWED_ORIGINS": ORIGIN,
    }


def ingest(data_dir: Path, folder: Path) -> tuple[float, str]:
    """`orchestrator ingest` of the manual's folder into its data dir: seconds, summary line."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "ingest", str(folder)],
        cwd=REPO,
        env={**os.environ, **_env(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    summary = next(
        (line for line in done.stdout.splitlines() if line.strip().startswith("added")), ""
    )
    return time.perf_counter() - started, summary.strip()


def ingested_once(data_dir: Path, folder: Path) -> tuple[float, str, bool]:
    """`folder` ingested into `data_dir` unless it was before (its `ingested` file says so):
    seconds the ingest took, its summary line, whether it was before."""
    done = data_dir / "ingested"
    if done.exists():
        ingest_s, summary = json.loads(done.read_text())
        return ingest_s, summary, True
    data_dir.mkdir(parents=True, exist_ok=True)
    ingest_s, summary = ingest(data_dir, folder)
    done.write_text(json.dumps([ingest_s, summary]))
    return ingest_s, summary, False


@contextmanager
def served(data_dir: Path, llm_url: str | None) -> Iterator[str]:
    """`orchestrator serve` on the manual's data dir, defaults otherwise: offline without a
    model, else LLM mode against it. Yields the chat URL."""
    port = _free_port()
    env = _env(data_dir)
    if llm_url is not None:
        env |= {"OPENAI_BASE_URL": f"{llm_url}/v1", "OPENAI_API_KEY": "x", "LLM_MODEL": "echo"}
    unset = ("DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL", "CHROMA_URL")
    argv = [sys.executable, "-m", "orchestrator", "serve", "--port", str(port)]
    url, ready = f"ws://127.0.0.1:{port}/ws/chat", f"http://127.0.0.1:{port}/ready"
    log_path = data_dir / f"server-{port}.log"
    with started("server", argv, log_path, url, ready, 180, env, unset):
        yield url


def _token(user: str) -> str:
    from api.auth import issue
    from tests.utils.server import JWT_SECRET

    return issue(JWT_SECRET, f"bench-{user}"[:64], "customer", 3600)


def offline(url: str, conversations: Sequence[Conversation]) -> AnswerReport:
    from tests.utils.server import ORIGIN

    return asyncio.run(evaluate(url, ORIGIN, _token, conversations, concurrency=2))


async def prompted_turns(
    url: str, llm_url: str, conversations: Sequence[Conversation], user: str
) -> AsyncIterator[tuple[Conversation, int, Received, list[str]]]:
    """Each labelled turn asked over `/ws/chat` in its conversation, with what the model
    received for it (`GET /prompts` of `echo_llm.py`): (conversation, index, answer, prompts)."""
    import websockets

    from tests.utils.server import ORIGIN

    async with httpx.AsyncClient(timeout=30) as http:
        for conversation in conversations:
            async with websockets.connect(url, origin=ORIGIN, max_size=2**24) as connection:  # type: ignore[arg-type]
                await connection.send(json.dumps({"type": "auth", "token": _token(user)}))
                await connection.recv()
                session_id: str | None = None
                for index, turn in enumerate(conversation.turns):
                    before = (await http.get(f"{llm_url}/prompts?since=0")).json()["count"]
                    got, session_id = await ask_turn(connection, turn.message, session_id)
                    sent = (await http.get(f"{llm_url}/prompts?since={before}")).json()
                    yield conversation, index, got, list(sent["prompts"])


async def _context_recall(
    url: str, llm_url: str, conversations: Sequence[Conversation]
) -> list[dict[str, Any]]:
    """Turn by turn, whether each fact group was in what the model received for that turn."""
    turns: list[dict[str, Any]] = []
    async for conversation, index, got, prompts in prompted_turns(
        url, llm_url, conversations, "llm"
    ):
        turn = conversation.turns[index]
        context = normalise("\n".join(prompts))
        groups = turn.fact_groups
        scored = score_turn(conversation, index, turn, got)
        turns.append(
            {
                "conversation": conversation.id,
                "index": index,
                "has_fact": bool(groups),
                "in_context": all(any(normalise(a) in context for a in group) for group in groups),
                "page_retrieved": scored.page_retrieved,
                "error": got.error,
            }
        )
    return turns


def _rate(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def measure(ctx: Context, manual: dict[str, Any], llm_url: str | None) -> dict[str, Any]:
    stem = manual["name"].rsplit(".", 1)[0]
    conversations = load_conversations(QUESTIONS / manual["questions"])
    if ctx.quick:
        conversations = conversations[:8]
    kept = os.environ.get("MANUALS_DATA")
    data_dir = (Path(kept) if kept else ctx.workdir / "manuals") / stem
    ingest_s, summary, before = ingested_once(data_dir, manuals_dir() / stem)
    done = "ingested before" if before else "ingested"
    log(f"{manual['name']}: {done} in {ingest_s:.0f} s ({summary})")
    with served(data_dir, None) as url:
        report = offline(url, conversations)
    llm_turns: list[dict[str, Any]] = []
    if llm_url is not None:
        with served(data_dir, llm_url) as url:
            llm_turns = asyncio.run(_context_recall(url, llm_url, conversations))
    if manual["half"] == "tuning":
        out = RESULTS / "manuals"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{stem}.offline.txt").write_text(render(report) + "\n")
        if llm_turns:
            (out / f"{stem}.llm.txt").write_text(llm_misses(conversations, llm_turns))
    return {
        "name": manual["name"],
        "half": manual["half"],
        "maker": manual["maker"],
        "format": manual["format"],
        "ingest_s": round(ingest_s, 1),
        "ingest_summary": summary,
        "offline": report,
        "llm_turns": llm_turns,
    }


def llm_misses(conversations: Sequence[Conversation], turns: Sequence[dict[str, Any]]) -> str:
    """LLM mode's misses on a tuning manual, turn by turn: the fact not in what the model
    received, or the labelled page not among the passages (the held-out half's are never
    written, so that no one tunes on them)."""
    messages = {(c.id, i): t.message for c in conversations for i, t in enumerate(c.turns)}
    lines = []
    for turn in turns:
        missed = [
            *(["context"] if turn["has_fact"] and not turn["in_context"] else []),
            *(["page"] if turn["page_retrieved"] is False else []),
        ]
        if missed:
            key = (turn["conversation"], turn["index"])
            lines.append(f"{key[0]}#{key[1]} [{', '.join(missed)}] {messages[key]}")
    return "\n".join(["LLM mode misses:", *lines]) + "\n"


def _figures(measured: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The pooled figures of some manuals' turns."""
    turns = [t for m in measured for t in m["offline"].turns]
    if not turns:
        return dict.fromkeys(("turns", "routing", *LABELS), None)
    pooled = AnswerReport(turns=turns)
    llm = [t for m in measured for t in m["llm_turns"]]
    right, total = pooled.follow_ups()
    said, unanswerable = pooled.abstentions()
    wrongly, answerable = pooled.false_abstentions()
    return {
        "turns": len(turns),
        "routing": round(pooled.routing, 3),
        "fact": round(pooled.fact, 3),
        "first": round(pooled.fact_first, 3),
        "follow_ups": round(right / total, 3) if total else None,
        "follow_ups_right": [right, total],
        "abstained": round(said / unanswerable, 3) if unanswerable else None,
        "abstained_right": [said, unanswerable],
        "abstained_when_answerable": [wrongly, answerable],
        "page_retrieved": pooled.summary()["page_retrieved"],
        "llm_context": _rate([t["in_context"] for t in llm if t["has_fact"]]),
        "llm_page_retrieved": _rate(
            [t["page_retrieved"] for t in llm if t["page_retrieved"] is not None]
        ),
        "llm_errors": sum(1 for t in llm if t["error"]),
    }


LABELS = {
    "fact": "offline: fact in the answer",
    "first": "offline: fact in the first sentence",
    "follow_ups": "offline: follow-up conversations right",
    "abstained": "offline: unanswerable questions met with 'couldn't find'",
    "page_retrieved": "labelled page among the passages (PDF, Word)",
    "llm_context": "LLM mode: fact in the model's context",
}


def run(ctx: Context) -> Result:
    folder = manuals_dir()
    chosen = [
        m
        for m in corpus()
        if (folder / m["name"].rsplit(".", 1)[0] / m["name"]).exists()
        and (QUESTIONS / m["questions"]).exists()
    ]
    only = {n.strip() for n in os.environ.get("MANUALS", "").split(",") if n.strip()}
    chosen = [m for m in chosen if not only or m["name"] in only]
    if not chosen:
        raise RuntimeError(f"no manuals under {folder}: fetch them with `make manuals`")
    measured = []
    with ExitStack() as stack:
        llm = os.environ.get("MANUALS_LLM", "1") != "0"
        llm_url = stack.enter_context(echo_llm(ctx.workdir)) if llm else None
        for manual in chosen:
            measured.append(measure(ctx, manual, llm_url))
    halves = {h: _figures([m for m in measured if m["half"] == h]) for h in HALVES}
    per_manual = [
        {
            "name": m["name"],
            "half": m["half"],
            "maker": m["maker"],
            "format": m["format"],
            "ingest_s": m["ingest_s"],
            "ingest_summary": m["ingest_summary"],
            **_figures([m]),
        }
        for m in measured
    ]
    command = ctx.command("manuals")
    figures = []
    for key, label in LABELS.items():
        tuning, held_out = halves["tuning"][key], halves["held-out"][key]
        if held_out is None:  # a run of the tuning half alone (MANUALS=...)
            held_out, tuning = tuning, None
        if held_out is None:
            continue
        worst = [p[key] for p in per_manual if p[key] is not None]
        figures.append(
            Figure(
                name=f"manuals, held-out half: {label}",
                value=held_out,
                unit="share",
                baseline=tuning,
                baseline_label="the tuning half",
                ratio=round(held_out / tuning, 3) if tuning else None,
                ratio_label="held-out ÷ tuning",
                command=command,
                target=f"≥ {TARGETS[key]:.2f} on every manual",
                met=bool(worst) and min(worst) >= TARGETS[key],
            )
        )
    notes = [
        f"{p['half']:8} {p['name']}: {p['turns']} turns, routing {p['routing']}, "
        f"fact {p['fact']}, first {p['first']}, "
        f"follow-ups {p['follow_ups_right'][0]}/{p['follow_ups_right'][1]}, couldn't-find "
        f"{p['abstained_right'][0]}/{p['abstained_right'][1]}, page {p['page_retrieved']}, "
        f"LLM context {p['llm_context']}, ingest {p['ingest_s']} s"
        for p in per_manual
    ]
    return Result(
        figures=figures,
        notes=notes,
        details={"halves": halves, "manuals": per_manual},
        method=(
            "Each real manual of `bench/manuals/corpus.json` (`make manuals` fetches them by "
            "commit and checksum) ingested alone by `orchestrator ingest`, served with default "
            "settings and asked its labelled conversations over `/ws/chat`: offline, then in "
            "LLM mode against `echo_llm.py` (fact in what the model received). Halves pooled "
            "by turn; targets apply to every manual (the details list each)."
        ),
    )


SCENARIO = Scenario(
    name="manuals",
    title="Answer quality on real manuals: tuning half and held-out half",
    run=run,
    summary="offline fact, first sentence, follow-ups, couldn't-find, page recall and LLM "
    "context recall on real manuals of many makers",
)
