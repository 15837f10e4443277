"""Answer-quality evaluation: labelled conversations scored on what a client receives. Pure.

A labelled file holds one conversation per line (`tests/data/corpora/*/questions.jsonl`):
each turn names the routes that should answer, the document that holds the answer and the
fact the answer must contain. A turn is scored on the events of `/ws/chat`: the routes in
`complete.metadata.agents`, the sources its `[n]` citations point to in the `sources` events,
and the answer text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

CITATION = re.compile(r"\s*\[(\d+)\]")
DASHES = re.compile(r"[‐‑‒–—−]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\"'(])|\n+")
# A full stop that ends a short abbreviation before a bracket or a figure ends no sentence:
# "Oil capacity, qt. (Imp. qt., liter): 7.4", "Bore, in. (mm): 3.70", "No. 4651".
ABBREVIATED = re.compile(
    r"\b(?:in|ft|lbs?|qt|oz|gal|cu|yd|imp|no|nos|approx|max|min|ca|e\.g|i\.e)\.$", re.IGNORECASE
)
# An answer that says the documents do not hold what was asked (the offline answerer's words,
# and what a model told to say so usually writes).
NOT_FOUND = re.compile(
    r"\b(?:couldn'?t|could not|can'?t|cannot|did not|didn'?t|was unable to|unable to) find\b"
    r"|\bno information (?:about|on)\b|\bnot (?:stated|given|listed|covered|mentioned) in\b",
    re.IGNORECASE,
)
# An answer that turns the question away as outside what the assistant covers (the general
# route's words, and what a model told to keep to its subject usually writes).
TURNED_AWAY = re.compile(
    r"\boutside (?:of )?what I can help with\b|\bI can(?:'?t|not) help with that\b",
    re.IGNORECASE,
)


class LabelledTurn(BaseModel):
    message: str
    routes: list[str] = Field(min_length=1)
    source: str | list[str] | None = None
    fact: list[str] | None = None
    facts: list[list[str]] | None = None
    page: int | None = Field(default=None, ge=1, description="The page that holds the fact.")
    answerable: bool = Field(
        default=True,
        description="False for a question none of the documents answers: right when the answer "
        "says it could not find that.",
    )

    @model_validator(mode="after")
    def _one_kind_of_fact(self) -> LabelledTurn:
        if self.fact is not None and self.facts is not None:
            raise ValueError("give `fact` or `facts`, not both")
        return self

    @property
    def fact_groups(self) -> list[list[str]]:
        """Every fact the answer must hold, each a list of alternatives."""
        if self.facts is not None:
            return [group for group in self.facts if group]
        return [self.fact] if self.fact else []

    @property
    def sources(self) -> list[str]:
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class Conversation(BaseModel):
    id: str
    kind: str
    turns: list[LabelledTurn] = Field(min_length=1)


def load_conversations(path: Path) -> list[Conversation]:
    return [
        Conversation.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@dataclass(frozen=True)
class Received:
    """What the client got for one turn."""

    answer: str
    routes: list[str]
    sources: list[dict[str, Any]]  # every source event's entries, each with its `n`
    error: str | None = None


def normalise(text: str) -> str:
    text = DASHES.sub("-", text).replace("\u00a0", " ").replace("\u202f", " ")
    text = text.replace("**", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def without_citations(text: str) -> str:
    return CITATION.sub("", text)


def first_sentence(answer: str) -> str:
    """The answer's first sentence (or first line, for a list or a table row)."""
    text = without_citations(answer).strip()
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text)
    for end in SENTENCE_END.finditer(text):
        before, after = text[: end.start()], text[end.end() : end.end() + 1]
        if "\n" in end.group() or not (ABBREVIATED.search(before) and after in "(0123456789"):
            return before
    return text


def cited_passages(answer: str, sources: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The passages the answer's [n] citations point to, in the order first cited."""
    by_number = {int(s["n"]): s for s in sources if "n" in s}
    numbers = dict.fromkeys(int(n) for n in CITATION.findall(answer))
    return [by_number[n] for n in numbers if n in by_number]


def cited_sources(answer: str, sources: Sequence[dict[str, Any]]) -> set[str]:
    return {str(p["source"]) for p in cited_passages(answer, sources)}


PAGED = (".pdf", ".docx")


def _pages(passage: dict[str, Any]) -> range | None:
    page = passage.get("page")
    if not isinstance(page, int):
        return None
    end = passage.get("page_end")
    return range(page, (end if isinstance(end, int) else page) + 1)


def _holds(text: str, alternatives: Sequence[str]) -> bool:
    body = normalise(text)
    return any(normalise(alternative) in body for alternative in alternatives)


@dataclass(frozen=True)
class TurnScore:
    conversation: str
    kind: str
    index: int
    message: str
    routed: bool
    cited: bool
    fact: bool
    first: bool
    expected_routes: list[str]
    got_routes: list[str]
    expected_sources: list[str]
    got_sources: list[str]
    answer: str
    error: str | None
    has_fact: bool
    # Of an answer citing a paged document (PDF, Word): each such citation names its page.
    paged: bool | None = None
    # Of a turn labelled with its page: a citation names that page.
    right_page: bool | None = None
    # Of a turn labelled with its page: that page is among the passages handed to the answer
    # (every `sources` event of the turn, cited or not).
    page_retrieved: bool | None = None
    answerable: bool = True
    abstained: bool = False  # the answer says it could not find what was asked
    turned_away: bool = False  # the answer says the question is outside what it covers

    @property
    def right(self) -> bool:
        if not self.answerable:
            return self.abstained
        return self.routed and self.cited and self.fact


def score_turn(
    conversation: Conversation, index: int, expected: LabelledTurn, got: Received
) -> TurnScore:
    passages = cited_passages(got.answer, got.sources)
    cited = {str(p["source"]) for p in passages}
    from_paged = [p for p in passages if str(p["source"]).lower().endswith(PAGED)]
    groups = expected.fact_groups
    answer = without_citations(got.answer)
    return TurnScore(
        conversation=conversation.id,
        kind=conversation.kind,
        index=index,
        message=expected.message,
        routed=set(got.routes) == set(expected.routes),
        cited=set(expected.sources) <= cited,
        fact=all(_holds(answer, group) for group in groups),
        first=not groups or _holds(first_sentence(got.answer), groups[0]),
        expected_routes=expected.routes,
        got_routes=got.routes,
        expected_sources=expected.sources,
        got_sources=sorted(cited),
        answer=got.answer,
        error=got.error,
        has_fact=bool(groups),
        paged=all(_pages(p) is not None for p in from_paged) if from_paged else None,
        right_page=(
            any(expected.page in (_pages(p) or ()) for p in passages)
            if expected.page is not None
            else None
        ),
        page_retrieved=(
            any(expected.page in (_pages(p) or ()) for p in got.sources)
            if expected.page is not None
            else None
        ),
        answerable=expected.answerable,
        abstained=says_not_found(answer),
        turned_away=TURNED_AWAY.search(normalise(answer)) is not None,
    )


def says_not_found(answer: str) -> bool:
    """Whether the answer says the documents do not hold what was asked."""
    return NOT_FOUND.search(normalise(answer)) is not None


@dataclass
class AnswerReport:
    turns: list[TurnScore] = field(default_factory=list)

    def _rate(self, attribute: str, turns: Sequence[TurnScore] | None = None) -> float:
        chosen = self.turns if turns is None else turns
        return sum(bool(getattr(t, attribute)) for t in chosen) / len(chosen) if chosen else 0.0

    @property
    def routing(self) -> float:
        return self._rate("routed")

    @property
    def source_cited(self) -> float:
        """Among turns that name a source."""
        return self._rate("cited", [t for t in self.turns if t.expected_sources])

    @property
    def fact(self) -> float:
        return self._rate("fact", self._with_facts())

    @property
    def fact_first(self) -> float:
        return self._rate("first", self._with_facts())

    def _with_facts(self, turns: Sequence[TurnScore] | None = None) -> list[TurnScore]:
        return [t for t in (self.turns if turns is None else turns) if t.has_fact]

    def _share(self, attribute: str) -> float | None:
        """The share of turns where `attribute` is true, among those where it applies."""
        values = [v for t in self.turns if (v := getattr(t, attribute)) is not None]
        return round(sum(values) / len(values), 3) if values else None

    def follow_ups(self) -> tuple[int, int]:
        """(right, total) over conversations of more than one turn."""
        by_conversation: dict[str, list[TurnScore]] = {}
        for turn in self.turns:
            by_conversation.setdefault(turn.conversation, []).append(turn)
        long = [turns for turns in by_conversation.values() if len(turns) > 1]
        return sum(all(t.right for t in turns) for turns in long), len(long)

    def abstentions(self) -> tuple[int, int]:
        """(said "couldn't find", total) over the turns no document answers."""
        unanswerable = [t for t in self.turns if not t.answerable]
        return sum(t.abstained for t in unanswerable), len(unanswerable)

    def false_abstentions(self) -> tuple[int, int]:
        """(refused, total) over the turns a document answers: said "couldn't find" or turned
        the question away as outside what the assistant covers."""
        answerable = [t for t in self.turns if t.answerable and t.has_fact]
        return sum(t.abstained or t.turned_away for t in answerable), len(answerable)

    def summary(self) -> dict[str, Any]:
        right, total = self.follow_ups()
        return {
            "turns": len(self.turns),
            "routing": round(self.routing, 3),
            "source_cited": round(self.source_cited, 3),
            "fact": round(self.fact, 3),
            "fact_in_first_sentence": round(self.fact_first, 3),
            "follow_up_conversations_right": [right, total],
            "page_cited": self._share("paged"),
            "right_page": self._share("right_page"),
            "page_retrieved": self._share("page_retrieved"),
            "abstained_when_unanswerable": list(self.abstentions()),
            "abstained_when_answerable": list(self.false_abstentions()),
        }


def render(report: AnswerReport) -> str:
    summary = report.summary()
    right, total = summary["follow_up_conversations_right"]
    lines = [
        f"turns {summary['turns']}",
        f"routing                  {summary['routing']:.3f}",
        f"expected source cited    {summary['source_cited']:.3f}",
        f"fact in the answer       {summary['fact']:.3f}",
        f"fact in first sentence   {summary['fact_in_first_sentence']:.3f}",
        f"follow-up conversations  {right}/{total} right",
    ]
    if summary["page_cited"] is not None:
        lines.append(f"page cited (PDF, Word)   {summary['page_cited']:.3f}")
    if summary["right_page"] is not None:
        lines.append(f"labelled page cited      {summary['right_page']:.3f}")
    if summary["page_retrieved"] is not None:
        lines.append(f"labelled page retrieved  {summary['page_retrieved']:.3f}")
    said, unanswerable = summary["abstained_when_unanswerable"]
    if unanswerable:
        wrongly, answerable = summary["abstained_when_answerable"]
        lines.append(f"not found, unanswerable  {said}/{unanswerable}")
        lines.append(f"not found, answerable    {wrongly}/{answerable}")
    lines += [
        "",
        "kind             turns  routed  cited   fact  first",
    ]
    for kind in sorted({t.kind for t in report.turns}):
        turns = [t for t in report.turns if t.kind == kind]
        facts = report._with_facts(turns)
        sourced = [t for t in turns if t.expected_sources]

        def rate(attribute: str, chosen: list[TurnScore]) -> str:
            return f"{report._rate(attribute, chosen):5.2f}" if chosen else "    -"

        lines.append(
            f"{kind:16} {len(turns):5}  {rate('routed', turns):>6}  {rate('cited', sourced)}  "
            f"{rate('fact', facts)}  {rate('first', facts)}"
        )
    misses = [t for t in report.turns if not (t.right and (t.first or not t.answerable))]
    if misses:
        lines += ["", "misses:"]
        for t in misses:
            checks = (
                (("route", t.routed), ("source", t.cited), ("fact", t.fact), ("first", t.first))
                if t.answerable
                else (("said not found", t.abstained),)
            )
            what = [name for name, ok in checks if not ok]
            lines.append(f"  {t.conversation}#{t.index} [{', '.join(what)}] {t.message}")
            if not t.routed:
                lines.append(f"      routes {t.got_routes}, expected {t.expected_routes}")
            if not t.cited:
                lines.append(f"      cited {t.got_sources}, expected {t.expected_sources}")
            if t.error:
                lines.append(f"      error {t.error}")
            lines.append("      answer: " + json.dumps(t.answer[:300]))
    return "\n".join(lines)
