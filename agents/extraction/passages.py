"""A passage split into its answerable units (whole sentences, list items, labelled table
rows), and the candidates of a question: every distinct unit of its passages that is not
about another vehicle."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.extraction.blocks import ENDED, KEY_VALUE, blocks, sentences
from agents.extraction.tables import row_cells, table_units
from agents.extraction.unit import Unit, leaf
from agents.extraction.vehicles import knowing, mentions_other_vehicle, vehicles_removed
from agents.extraction.vocabulary import GIVEN_VALUE, asked_terms, record_label, terms
from rag.catalogue import Catalogue
from rag.chunking import TABLE_SEPARATOR

# List items of fewer sentences than this are one unit.
WHOLE_ITEM_SENTENCES = 3

KEY_PREFIX = re.compile(r"^([A-Z][^:.!?]{1,38}):\s")


def _lead_in(text: str, kind: str) -> str:
    """What a block is about, as it says first: its bold lead-in, or a list item's "Key:"."""
    match = re.match(r"\*\*(.+?)\*\*", text)
    if match:
        return match.group(1).rstrip(":").strip()
    key = KEY_PREFIX.match(text) if kind == "item" else None
    return key.group(1).strip() if key else ""


def split_units(
    body: str,
    source: int,
    rank: int,
    focus: str | None = None,
    catalogue: Catalogue | None = None,
    heading: str = "",
    asked: frozenset[str] = frozenset(),
) -> list[Unit]:
    """A source's answerable pieces: whole sentences, list items and labelled table rows.
    `asked`: the question's terms, which name the table columns to read."""
    catalogue = knowing(catalogue, focus)
    units: list[Unit] = []
    due = leaf(heading) if _interval_heading(leaf(heading)) else ""
    lists = items = 0
    previous_kind = ""
    step = ""  # the last sentence of the text before, which the records after it may qualify
    for kind, lines in _prose_tables_as_paragraphs(blocks(body)):
        if kind == "heading":
            step = ""
            continue
        if kind == "table":
            step = ""
            units.extend(
                table_units(lines, source, rank, len(units), focus, catalogue, heading, asked)
            )
            previous_kind = kind
            continue
        if kind == "item":
            items += 1
            if previous_kind != "item":
                lists += 1  # items in a row are one list (the steps of one procedure)
        previous_kind = kind
        text = " ".join(lines)
        label = _lead_in(text, kind)
        pieces = sentences(text)
        if kind == "item" and len(pieces) < WHOLE_ITEM_SENTENCES:
            pieces = [text]  # a short item reads best whole ("Noise: cause. What to do.")
        previous = naming = ""
        if len(pieces) == 1 and _record(pieces[0]) and _qualifies(step, pieces[0]):
            previous = step  # "Tighten the drain plug to the specified torque." over its figure
        for piece in pieces:
            if catalogue.vehicles_in(piece):
                naming = piece
            if kind == "paragraph" and _caption(piece):
                continue
            if len(piece.split()) >= 3 or _record(piece):
                # A sentence that follows a lead-in ("**CH-230 – Charging power limited.** If
                # the battery is below 10 °C…", "Engine oil: … Capacity is 6.8 litres.") is
                # read, and shown, with that lead-in.
                context = (
                    label
                    if label and label.replace("**", "") not in piece.replace("**", "")
                    else ""
                )
                units.append(
                    Unit(
                        piece,
                        source,
                        rank,
                        len(units),
                        label=context or label,
                        heading=heading,
                        # Read with the sentence before it: "This is surface rust" answers the
                        # grinding noise the sentence before describes.
                        match=vehicles_removed(
                            f"{leaf(heading)}: {context} {previous} {piece}".replace("**", ""),
                            catalogue,
                        ),
                        lead_in=context,
                        names=naming,
                        kind="item" if kind == "item" else "sentence",
                        list_id=lists if kind == "item" else 0,
                        item=items if kind == "item" else 0,
                        due=due,
                    )
                )
            previous = piece
        if pieces and not (len(pieces) == 1 and _no_step(pieces[0])):
            step = pieces[-1]
    return units


# A heading that is only when what follows is due ("30000 MI or 48000 KM", "Every 10,000 km
# or 12 months", "At 1,000 km (600 miles)"): a maintenance schedule set out by its intervals.
INTERVAL_HEADING = re.compile(
    r"^(?:(?:every|at|after|or|and|first|whichever|comes|occurs|\d[\d,.]*|mi|miles?|km|"
    r"kilomet(?:re|er)s?|months?|years?|hours?|mos?|yrs?)\b[\s,/()-]*)+$",
    re.IGNORECASE,
)


def _interval_heading(heading: str) -> bool:
    """Whether the heading only says when what follows is due: each sentence under it
    holds at that interval (`Unit.due`)."""
    plain = heading.strip()
    return any(c.isdigit() for c in plain) and INTERVAL_HEADING.match(plain) is not None


# The most words of a line that only gives a figure or announces one.
FIGURE_LINE_WORDS = 6


def _no_step(line: str) -> bool:
    """A line that is no step of a procedure, but part of the one before it: a figure of it
    ("Tightening torque: 39 ± 5 N·m", "<Long wheelbase> 11.5 mm") or a label announcing its
    figures ("Standard value:"). The records after such a line still qualify the step."""
    plain = line.replace("**", "").strip()
    if KEY_VALUE.match(plain):
        return True
    if len(plain.split()) > FIGURE_LINE_WORDS:
        return False
    # (A short step ends a sentence: "Turn it 2 turns.")
    return plain.endswith(":") or (any(c.isdigit() for c in plain) and not ENDED.search(plain))


# A cell of prose: a sentence or more, not a figure or a label.
PROSE_CELL_WORDS = 15
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _prose(cell: str) -> bool:
    return len(cell.split()) >= PROSE_CELL_WORDS and bool(SENTENCE_END.search(cell))


def _prose_tables_as_paragraphs(
    found: list[tuple[str, list[str]]],
) -> list[tuple[str, list[str]]]:
    """A table that lays out text (a page converted to a document by a tool sets its columns
    of prose as a table's cells, "| Tire Service Life The service life … | The tire
    identification number …|"), read as the paragraphs its cells are: each sentence an answer,
    not the row one unit. A table is such when half its filled cells or more are prose; each
    cell once (a cell merged down the rows is repeated in each)."""
    read: list[tuple[str, list[str]]] = []
    for kind, lines in found:
        if kind != "table":
            read.append((kind, lines))
            continue
        cells = [c for line in lines if not TABLE_SEPARATOR.match(line) for c in row_cells(line)]
        filled = [c for c in cells if c]
        if not filled or 2 * sum(map(_prose, filled)) < len(filled):
            read.append((kind, lines))
            continue
        read.extend(("paragraph", [cell]) for cell in dict.fromkeys(filled))
    return read


def _qualifies(step: str, record: str) -> bool:
    """Whether `record` ("Tightening torque: 39 ± 5 N·m") is the figure `step` refers to
    ("… then tighten it to the specified torque."): a procedure's step names its part and
    the record after it, on a line of its own, names only the kind of figure. So the record's
    label shares a word with the step, or names no figure at all ("Standard value")."""
    label = record_label(record)
    return bool(step) and (bool(terms(label) & terms(step)) or bool(GIVEN_VALUE.match(label)))


CAPTION_WORDS = 6
RECORD = re.compile(r"^[^:]{2,40}:\s*\S*\d")


def _record(text: str) -> bool:
    """A short "key: value" line with a figure ("Sat: 09:00–13:00."): an answer, however short."""
    return bool(RECORD.match(text.replace("**", "")))


def _caption(text: str) -> bool:
    """A picture's caption or a label standing alone ("Tyre pressure sticker location"): a
    few words, no figure, no sentence; nothing an answer can say."""
    plain = text.replace("**", "").strip()
    return (
        len(plain.split()) <= CAPTION_WORDS
        and not any(c.isdigit() for c in plain)
        and not ENDED.search(plain)
    )


def candidates(
    sources: Sequence[tuple[int, str, str, str]],
    focus: str | None,
    catalogue: Catalogue,
    question: str = "",
) -> list[Unit]:
    """Every distinct unit of the sources, leaving out those about another vehicle."""
    asked = (
        frozenset(asked_terms(vehicles_removed(question, catalogue))) if question else frozenset()
    )
    units = [
        unit
        for rank, (n, _title, heading, body) in enumerate(sources)
        for unit in split_units(body, n, rank, focus, catalogue, heading, asked)
    ]
    return distinct([u for u in units if not mentions_other_vehicle(u, focus, catalogue)])


def distinct(units: list[Unit]) -> list[Unit]:
    """Each wording once, wherever it appears."""
    seen: set[str] = set()
    kept = []
    for unit in units:
        key = re.sub(r"[^a-z0-9]+", " ", unit.text.lower()).strip()
        if key not in seen:
            seen.add(key)
            kept.append(unit)
    return kept
