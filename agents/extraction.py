"""Extractive answering: pick the sentences, list items and table rows that answer a question.

Pure logic over text and vectors; the offline chat model in `agents.offline_model` wraps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orchestrator.followups import MODELS, models_in
from rag.chunking import TABLE_ROW, TABLE_SEPARATOR
from rag.lexical import identifiers, tokenize

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
SAFETY = re.compile(
    r"\b(stop (?:the (?:vehicle|car) )?(?:as soon as it is )?safe(?:ly)?|stop safely|"
    r"do not (?:drive|charge|continue|attempt|open|touch)|don't (?:drive|charge)|pull over|"
    r"switch (?:the vehicle )?off|risk of (?:fire|injury)|call (?:kestrel )?roadside)\b",
    re.IGNORECASE,
)
NO_ANSWER = (
    "I couldn't find an answer to that in the Kestrel knowledge base. "
    "Try rephrasing, name your model (Aster, Ridge or Sable), or ask to speak to a person."
)
MAX_UNITS = 4


@dataclass(frozen=True)
class Unit:
    text: str  # as it will appear in the answer
    source: int  # the [n] it cites
    rank: int  # the source's retrieval rank, 0 = best
    position: int  # order inside its source

    @property
    def safety(self) -> bool:
        return bool(SAFETY.search(self.text))


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table_units(
    lines: list[str], source: int, rank: int, start: int, focus: str | None
) -> list[Unit]:
    header = _cells(lines[0])
    rows = [r for r in lines[1:] if not TABLE_SEPARATOR.match(r)]
    focus_columns = [
        i for i, name in enumerate(header) if focus and i > 0 and focus.lower() in name.lower()
    ]
    if focus and not focus_columns:
        # A table with one row per variant: keep the asked-about variant's rows.
        matching = [r for r in rows if focus.lower() in _cells(r)[0].lower()]
        rows = matching or rows
    units = []
    for offset, row in enumerate(rows):
        cells = _cells(row)
        if len(cells) < 2:
            continue
        columns = focus_columns or range(1, len(cells))
        values = [
            f"{header[i]}: {cells[i]}" if i < len(header) and header[i] else cells[i]
            for i in columns
            if i < len(cells) and cells[i]
        ]
        if values:
            label = cells[0] or header[0]
            units.append(Unit(f"{label} — {'; '.join(values)}", source, rank, start + offset))
    return units


def split_units(body: str, source: int, rank: int, focus: str | None = None) -> list[Unit]:
    """A source's answerable pieces: sentences, list items and (header-labelled) table rows."""
    units: list[Unit] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if TABLE_ROW.match(line):
            table = []
            while i < len(lines) and TABLE_ROW.match(lines[i]):
                table.append(lines[i])
                i += 1
            units.extend(_table_units(table, source, rank, len(units), focus))
            continue
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if LIST_MARK.match(stripped):
            units.append(Unit(LIST_MARK.sub("", stripped), source, rank, len(units)))
            continue
        for sentence in SENTENCE.split(stripped):
            if len(sentence.split()) >= 3:
                units.append(Unit(sentence.strip(), source, rank, len(units)))
    return units


def _mentions_other_model(text: str, focus: str | None) -> bool:
    if not focus:
        return False
    base = focus.split()[0]
    named = models_in(text)
    return bool(named) and base not in named and any(m in MODELS for m in named)


def _overlap(question_terms: set[str], codes: list[str], text: str) -> float:
    terms = set(tokenize(text))
    if not question_terms:
        return 0.0
    score = len(question_terms & terms) / len(question_terms)
    if codes and any(code in text.upper() for code in codes):
        score += 1.0
    return score


def select(
    question: str,
    sources: Sequence[tuple[int, str, str, str]],
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
    focus: str | None = None,
) -> list[Unit]:
    """The units that best answer `question`, safety-critical ones first."""
    units = [
        unit
        for rank, (n, _title, _heading, body) in enumerate(sources)
        for unit in split_units(body, n, rank, focus)
        if not _mentions_other_model(unit.text, focus)
    ]
    if not units:
        return []
    question = _without_vehicle(question, focus)
    vectors = encode([question, *(u.text for u in units)])
    similarity = vectors[1:] @ vectors[0]
    codes = identifiers(question)
    terms = set(tokenize(question)) - {"kestrel"}
    scores = np.asarray(
        [
            float(similarity[i]) + 0.25 * _overlap(terms, codes, u.text) - 0.02 * u.rank
            for i, u in enumerate(units)
        ]
    )
    best = float(scores.max())
    if best < 0.35:
        return []
    order = np.argsort(-scores)
    chosen: list[Unit] = []
    per_source: dict[int, int] = {}
    for index in order:
        unit = units[int(index)]
        if scores[index] < max(0.35, best - 0.15) or len(chosen) >= MAX_UNITS:
            break
        if per_source.get(unit.source, 0) >= 3:
            continue
        chosen.append(unit)
        per_source[unit.source] = per_source.get(unit.source, 0) + 1
    safety = [u for u in units if u.safety and u.rank == 0 and u not in chosen]
    if any(u.safety for u in chosen) or (safety and codes):
        chosen = [*safety[:1], *chosen][:MAX_UNITS]
    return sorted(chosen, key=lambda u: (not u.safety, chosen.index(u)))


def _without_vehicle(question: str, focus: str | None) -> str:
    """The question minus the vehicle's name, which every unit about that vehicle shares."""
    if not focus:
        return question
    stripped = question
    for word in sorted({focus, *focus.split()}, key=len, reverse=True):
        stripped = re.sub(rf"\b{re.escape(word)}\b", " ", stripped, flags=re.IGNORECASE)
    stripped = re.sub(r"\b(kestrel|the|of)\b\s*(?=[?.!]|$)", "", stripped, flags=re.I)
    return re.sub(r"\s+", " ", stripped).strip() or question


def compose(units: Sequence[Unit]) -> str:
    """A short answer that cites its sources as [n]."""
    if not units:
        return NO_ANSWER
    if len(units) == 1:
        return f"{_sentence(units[0].text)} [{units[0].source}]"
    lines = [f"- {_sentence(u.text)} [{u.source}]" for u in units]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text.replace("**", "").strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
