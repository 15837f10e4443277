"""A passage's body read as blocks (tables, list items, paragraphs), however the source
wrapped its lines, and a paragraph read as its sentences."""

from __future__ import annotations

import re

from rag.chunking import TABLE_ROW

SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(*])")
# A full stop after one of these ends an abbreviation, not a sentence ("approx. 5 °C").
ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|approx|incl|excl|etc|vs|no|nos|fig|figs|min|max|ca|cf|esp|ref|tel|"
    r"st|nr|op|p|pp|vol|art|sec|dept|mr|mrs|ms|dr)|\b[A-Z]|"
    # a unit after a figure: "21.85 in. (555 mm)", "219.5 cu. in.", "6.6 lbf·ft."
    r"\d\s*(?:in|ft|lbs?|qt|oz|gal|cu|yd|lbf|ftlb))\.$",
    re.IGNORECASE,
)
LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
HEADING = re.compile(r"^\s*#{1,6}\s")
ENDED = re.compile(r"[.!?:;][\"')\]]?$")
WRAPPED_LINE = 50
KEY_VALUE = re.compile(r"^[^:.!?]{1,60}:\s+\S")
# A line ending like this is cut mid-sentence, whatever the next one starts with.
OPEN_ENDED = re.compile(
    r"(?:,|\b(?:and|or|of|the|a|an|to|with|for|in|at|by|on|from|than|as|is|are|be|if))$",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph, not split after an abbreviation."""
    pieces: list[str] = []
    for piece in SENTENCE.split(text):
        if pieces and ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p.strip() for p in pieces if p.strip()]


# A figure on its own line ("1/16 - 1/4 in (2 - 6 mm)"): it opens with a number.
BARE_VALUE = re.compile(r"^[(±~<>≤≥]?\s*\d")
BARE_VALUE_WORDS = 8


def announced_value(previous: str, line: str) -> bool:
    """`line` is the figure the words of `previous` announce ("Freeplay at the throttle grip
    flange:" over "1/16 - 1/4 in (2 - 6 mm)"): one record, as if written on one line."""
    return (
        previous.endswith(":")
        and bool(BARE_VALUE.match(line))
        and len(line.split()) <= BARE_VALUE_WORDS
    )


def continues(previous: str, line: str, indented: bool) -> bool:
    """Whether `line` carries on `previous` (hard-wrapped prose, or the figure its words
    announce) rather than starting anew.

    Lines that each hold a record ("Mira 1.0 power: 74 kW", then "Mira 1.0 torque: …")
    stay apart: a "key: value" line ends where the next capitalised line begins.
    """
    if indented or OPEN_ENDED.search(previous) or announced_value(previous, line):
        return True
    if ENDED.search(previous):
        return False
    if line[:1].islower() or line[:1] in "([{\"'":
        return True
    if KEY_VALUE.match(previous) or previous.split()[:1] == line.split()[:1]:
        return False
    return len(previous) >= WRAPPED_LINE


def blocks(body: str) -> list[tuple[str, list[str]]]:
    """("table" | "item" | "paragraph", lines): wrapped lines stay with their block. An item
    nested under one that announces it ("- Oil capacity, qt.:" over "  - Front: 3.2") is read
    with the items above it, as a table's cell is with its header: "Oil capacity, qt.: Front:
    3.2"."""
    found: list[tuple[str, list[str]]] = []
    above: list[tuple[int, str]] = []  # the items announcing the nested ones: (indent, text)
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped or HEADING.match(line):
            found.append(("break", []))
            continue
        if TABLE_ROW.match(line):
            above.clear()
            if found and found[-1][0] == "table":
                found[-1][1].append(line)
            else:
                found.append(("table", [line]))
        elif LIST_MARK.match(line):
            indent, text = len(line) - len(line.lstrip()), LIST_MARK.sub("", line).strip()
            while above and above[-1][0] >= indent:
                above.pop()
            found.append(("item", [" ".join([*(lead for _, lead in above), text])]))
            if text.endswith(":"):
                above.append((indent, text))
        elif (
            found
            and found[-1][0] in ("item", "paragraph")
            and continues(found[-1][1][-1], stripped, line[:1] in " \t")
        ):
            found[-1][1].append(stripped)  # a wrapped line continues its item or paragraph
        else:
            found.append(("paragraph", [stripped]))
    return [(kind, lines) for kind, lines in found if kind != "break"]
