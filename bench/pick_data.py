"""What the offline answerer chose from, turn by turn, on real manuals: the data its picking
weights are fitted on (`bench.fit_picking`).

Each manual of the chosen half is served as `bench --only manuals` serves it (its ingested
data dir, default settings) but in LLM mode against `echo_llm.py` with the offline answerer's
number of passages (`LLM_RETRIEVAL_TOP_K` = `RETRIEVAL_TOP_K`), so the model receives exactly
the request the offline answerer reads. Every request of every labelled turn is read back
from `GET /prompts`, its units scored in process by `agents.offline_model.scored_request`, and
each unit written with what every rule of `agents.extraction.rules.RULES` read of it (the
value before its weight) and whether it holds the labelled fact.

    MANUALS_DATA=DIR python -m bench.pick_data --half tuning --out pick-tuning.jsonl
    MANUALS_DATA=DIR python -m bench.pick_data --half in-repo --out pick-in-repo.jsonl

Each request also records which of its passages (heading and text) state the fact; the run
counts the requests whose passages do while no unit read from them does (the answerer's
reading lost it), and names them, except in the held-out half, whose questions stay unread.

MANUALS_DATA is the folder `bench --only manuals` ingested into (each manual ingested there
first). `in-repo` is the repository's two labelled corpora (the sample knowledge base and the
second brand's documents), ingested there on first use. The tuning half's data and the in-repo
data are for fitting; the held-out half's is for counting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import REPO
from bench.fetch_manuals import corpus
from bench.real_manuals import QUESTIONS, echo_llm, ingested_once, prompted_turns, served
from orchestrator.cli.answer_eval import Conversation, load_conversations, normalise

REQUEST = "### Question\n"
CORPORA = REPO / "tests" / "data" / "corpora"
# The repository's labelled corpora: name -> (documents, questions).
IN_REPO = {
    "sample": (REPO / "knowledge_base", CORPORA / "sample" / "questions.jsonl"),
    "halden": (CORPORA / "halden" / "docs", CORPORA / "halden" / "questions.jsonl"),
}


def requests(prompt: str) -> str:
    """The specialist's request of a flattened prompt: from its last question on."""
    at = prompt.rfind(REQUEST)
    return prompt[at:] if at >= 0 else ""


async def _asked(url: str, llm_url: str, conversations: Sequence[Conversation]) -> list[dict]:
    """Every request the model received for every labelled turn, with the turn's facts."""
    rows: list[dict[str, Any]] = []
    async for conversation, index, _, prompts in prompted_turns(
        url, llm_url, conversations, "pick"
    ):
        facts = conversation.turns[index].fact_groups
        for request in filter(None, map(requests, prompts)):
            rows.append(
                {
                    "conversation": conversation.id,
                    "index": index,
                    "facts": facts,
                    "request": request,
                }
            )
    return rows


def holds(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """The text states one of the labelled facts (any form of any group)."""
    plain = normalise(text)
    return any(normalise(form) in plain for group in groups for form in group)


def scored_rows(rows: Sequence[dict[str, Any]], data_dir: Path) -> list[dict[str, Any]]:
    """Each request's units scored as the offline answerer scores them, rule by rule."""
    from agents import model_message
    from agents.extraction.rules import RULES
    from agents.offline_model import scored_request
    from bench.real_manuals import _env
    from orchestrator import knowledge
    from orchestrator.settings import Settings
    from rag.retriever import Retriever

    os.environ.update(_env(data_dir))
    settings = Settings()
    store = knowledge.knowledge_store(settings)
    embedder = knowledge.embedder(settings, precision=knowledge.precision_of(settings, store))
    catalogue = Retriever(store, embedder, knowledge.glossary(settings)).catalogue
    out = []
    for row in rows:
        request = model_message.parse(row["request"])
        if not request.sources or request.reply:
            continue
        _, scored = scored_request(request, embedder, catalogue)
        if scored is None:
            continue
        units = [
            {
                "text": unit.text,
                "rank": unit.rank,
                "holds": holds(unit.text, row["facts"]),
                "values": [
                    value / rule.weight
                    for rule, value in zip(RULES, scored.contributions[i], strict=True)
                ],
            }
            for i, unit in enumerate(scored.units)
        ]
        out.append(
            {
                "conversation": row["conversation"],
                "index": row["index"],
                "question": request.question,
                "has_fact": bool(row["facts"]),
                "units": units,
                # The [n] of each passage handed to the answerer that states the fact.
                "passages_holding": [
                    n
                    for n, _title, heading, body in request.sources
                    if holds(f"{heading}\n{body}", row["facts"])
                ],
            }
        )
    return out


def lost_in_reading(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests whose passages state the fact while none of the units read from them
    does: the answerer's reading lost it (a table, a list, a line), not retrieval."""
    return [
        r
        for r in rows
        if r["has_fact"] and r.get("passages_holding") and not any(u["holds"] for u in r["units"])
    ]


def corpus_rows(
    name: str, questions: Path, data_dir: Path, documents: Path | None = None
) -> list[dict[str, Any]]:
    """Every scored request of one corpus, served from its data dir (ingested from
    `documents` first when given and not done yet)."""
    if documents is not None:
        ingested_once(data_dir, documents)
    elif not (data_dir / "ingested").exists():
        raise SystemExit(f"{data_dir}: not ingested; run `bench --only manuals` with MANUALS_DATA")
    conversations = load_conversations(questions)
    workdir = data_dir / "pick-data"
    workdir.mkdir(exist_ok=True)
    with echo_llm(workdir) as llm_url, served(data_dir, llm_url) as url:
        rows = asyncio.run(_asked(url, llm_url, conversations))
    return [{"manual": name, **r} for r in scored_rows(rows, data_dir)]


def sources(half: str, data_root: Path) -> list[tuple[str, Path, Path, Path | None]]:
    """(name, questions, data dir, documents to ingest or None) of each corpus of `half`."""
    if half == "in-repo":
        return [
            (name, questions, data_root / f"in-repo-{name}", documents)
            for name, (documents, questions) in IN_REPO.items()
        ]
    return [
        (m["name"], QUESTIONS / m["questions"], data_root / m["name"].rsplit(".", 1)[0], None)
        for m in corpus()
        if m["half"] == half
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tuning", "held-out", "in-repo"), default="tuning")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data_root = Path(os.environ["MANUALS_DATA"])
    os.environ["LLM_RETRIEVAL_TOP_K"] = os.environ.get("RETRIEVAL_TOP_K", "6")
    with args.out.open("w") as out:
        for name, questions, data_dir, documents in sources(args.half, data_root):
            rows = corpus_rows(name, questions, data_dir, documents)
            for row in rows:
                out.write(json.dumps(row) + "\n")
            lost = lost_in_reading(rows)
            print(f"{name}: done; {len(lost)} lost in reading", flush=True)
            if args.half == "held-out":
                continue  # counted, never read: no rule is written from the held-out half
            for turn in lost:
                print(
                    f"  a passage states the fact, no unit does: {turn['conversation']}"
                    f"#{turn['index']} {turn['question']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
