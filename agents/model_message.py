"""The message a specialist sends its model: question, vehicle, tool results, numbered sources.

Both the language model and the offline extractive model read this one format, so the two
answer modes take exactly the same path through the graph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from rag.glossary import Renaming, parse_terms, terms_line
from rag.retriever import RetrievedChunk

SOURCE_HEADER = re.compile(r"^\[(\d+)\] (.*?) — (.*?) \((.*?)\)$", re.MULTILINE)


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    sources: Sequence[RetrievedChunk] = ()
    numbers: Sequence[int] = ()  # each source's [n] in the turn; 1, 2, … when not given
    vehicle: str | None = None
    tool_result: str | None = None
    reply: str | None = None  # a fixed reply to give as is (greetings, refusals)
    brand: str | None = None
    models: Sequence[str] = ()  # every model the knowledge base covers
    # The question's terms the documents never use, each with theirs ("cambelt": "timing belt").
    terms: Sequence[Renaming] = ()


@dataclass
class ParsedRequest:
    question: str = ""
    vehicle: str | None = None
    tool_result: str | None = None
    reply: str | None = None
    brand: str | None = None
    models: list[str] = field(default_factory=list)
    terms: list[Renaming] = field(default_factory=list)
    sources: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # n, title, heading, text


SECTIONS = ("Question", "Terms", "Vehicle", "Models", "Reply", "Tool result", "Context")
SECTION = re.compile(rf"^### ({'|'.join(SECTIONS)})$", re.MULTILINE)


def render(request: AnswerRequest) -> str:
    """Sections headed `### Name`, so that any of them may span several lines."""
    models = ", ".join(request.models)
    parts = [
        ("Question", request.question),
        ("Terms", terms_line(request.terms)),
        ("Vehicle", request.vehicle),
        ("Models", f"{request.brand}: {models}" if request.brand else models),
        ("Reply", request.reply),
        ("Tool result", request.tool_result),
    ]
    lines = [f"### {name}\n{value.strip()}" for name, value in parts if value]
    if request.sources:
        context = ["### Context"]
        numbers = request.numbers or range(1, len(request.sources) + 1)
        for n, chunk in zip(numbers, request.sources, strict=True):
            context.append(f"[{n}] {chunk.title} — {chunk.heading or chunk.title} ({chunk.source})")
            context.append(chunk.text.strip())
            context.append("")
        lines.append("\n".join(context).rstrip())
    return "\n\n".join(lines) + "\n"


def build_messages(
    system: str, request: AnswerRequest, history: Sequence[BaseMessage] = ()
) -> list[BaseMessage]:
    return [SystemMessage(system), *history, HumanMessage(render(request))]


def parse(text: str) -> ParsedRequest:
    """Read back what `render` wrote."""
    parsed = ParsedRequest()
    markers = list(SECTION.finditer(text))
    sections: dict[str, str] = {}
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
        sections.setdefault(marker.group(1), text[marker.end() : end].strip())
    parsed.question = sections.get("Question", "")
    parsed.terms = parse_terms(sections.get("Terms", ""))
    parsed.vehicle = sections.get("Vehicle")
    parsed.reply = sections.get("Reply")
    parsed.tool_result = sections.get("Tool result")
    models = sections.get("Models", "")
    if ": " in models:
        brand, models = models.split(": ", 1)
        parsed.brand = brand.strip()
    parsed.models = [m.strip() for m in models.split(",") if m.strip()]
    context = sections.get("Context", "")
    headers = list(SOURCE_HEADER.finditer(context))
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(context)
        body = context[match.end() : end].strip()
        parsed.sources.append((int(match.group(1)), match.group(2), match.group(3), body))
    return parsed
