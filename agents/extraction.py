"""Extractive answering: the sentences, list items and table rows that answer a question.

Pure logic over text and vectors; the offline chat model in `agents.offline_model` wraps it.
An answer leads with the single best-supported unit, then adds at most a few that say
something more; every unit is whole (a sentence, however the source wrapped its lines; a list
item; a table row with its column names) and cites the number its passage has in the turn.
When the question names a vehicle, units about another vehicle are left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from rag.catalogue import Catalogue
from rag.chunking import TABLE_ROW, TABLE_SEPARATOR
from rag.lexical import identifiers, tokenize

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
SAFETY = re.compile(
    r"\b(stop (?:the (?:vehicle|car) )?(?:as soon as it is )?safe(?:ly)?|stop safely|"
    r"do not (?:drive|charge|continue|attempt|open|touch)|don't (?:drive|charge)|pull over|"
    r"switch (?:the (?:vehicle|car|engine|ignition) |it )off|"
    r"switch off (?:the )?(?:vehicle|car|engine|ignition)|risk of (?:fire|injury)|"
    r"call (?:\w+ )?roadside)\b",
    re.IGNORECASE,
)
# Question words that say what kind of answer is wanted, not what it is about.
ASKING = frozenset(
    """
    what whats how much many does do tell me about know need please car vehicle cars my our
    there any get got could would should can which when where who why you is are was
    """.split()  # noqa: SIM905
)
# What kind of fact a question asks for, and the units that state one: a unit that holds the
# kind of fact asked for ("how much" → an amount of money) is preferred.
ANSWER_KIND_BONUS = 0.08
ASKS_FOR: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"\b(cost|costs|price|prices|fee|fees|pay|paying|free|expensive|cheap|"
        r"charge[ds]? (?:me|you|for))\b|"
        r"\bhow much (?:is|are|will|would|do|does)\b(?! (?:it|the \w+) (?:hold|take|weigh|tow))|"
        r"\bwhat happens if\b",
        re.I,
    ),
    "duration": re.compile(
        r"\b(how long(?! (?:is|are) (?:the|it|its|this)\b)|how many (years|months|days|hours|"
        r"minutes))\b",
        re.I,
    ),
    # A period of a vehicle's life (a warranty, a running-in) is told in time or distance.
    "period": re.compile(r"\b(warrant\w*|guarantee\w*|valid|last|period)\b", re.I),
    "distance": re.compile(
        r"\b(how far|range|distance|(?:a|one|single|full) (?:charge|tank)|between charges|"
        r"how many (?:km|kms|kilomet\w+|miles))\b",
        re.I,
    ),
    "interval": re.compile(r"\b(how often|interval|every|when (should|do|does|is|must))\b", re.I),
    "clock": re.compile(r"\b(open|opening|close|closing|hours|what time)\b", re.I),
    "pressure": re.compile(r"\b(pressure|pressures|psi|inflate)\b", re.I),
    "temperature": re.compile(r"\b(temperature|cold|hot|warm|freez\w*|degrees?|frost\w*)\b", re.I),
    "quantity": re.compile(
        r"\b(how (much|many|fast|big|heavy|wide|tall|quick)|how long (?:is|are)|capacity|power|"
        r"torque|weight|weigh|payload|tow\w*|speed|size|volume|litres|liters|kw|hp|space|room|"
        r"boot|trunk|fit|max|maximum|peak|"
        r"0\s*-\s*100)\b",
        re.I,
    ),
    # How many of a thing (gears, cylinders, seats): a number, with or without a unit.
    "count": re.compile(
        r"\bhow many\b(?!\s+(?:years|months|weeks|days|hours|minutes|kms?|kilomet\w*|miles|"
        r"litres|liters|quarts|gallons)\b)",
        re.I,
    ),
    "grade": re.compile(
        r"\b(which|what) (type|kind|grade|oil|coolant|fluid|viscosity|spec\w*|octane)\b|"
        r"\b(viscosity|grade|octane)\b",
        re.I,
    ),
}
STATES: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"[€$£]\s?\d|\d\s?(eur|euros?|usd|gbp)\b|\bfree of charge\b|\bno (fee|charge)\b", re.I
    ),
    "duration": re.compile(
        r"\b\d+(?:[.,]\d+)?\s*(years?|months?|weeks?|days?|hours?|h|minutes?|min)\b", re.I
    ),
    "interval": re.compile(
        r"\bevery\b|\b\d[\d,.]*\s*(kms?|miles|mi|months?|years?)\b(?!\s*/\s*h)|\bannual(ly)?\b",
        re.I,
    ),
    "distance": re.compile(r"(?<!/)\b\d[\d,.]*\s*(kms?|miles|mi)\b(?!\s*/\s*h)", re.I),
    "clock": re.compile(r"\b\d{1,2}[:.]\d{2}\b|\bclosed\b", re.I),
    "pressure": re.compile(r"\b\d+(?:[.,]\d+)?\s*(bar|psi|kpa)\b", re.I),
    "temperature": re.compile(r"\d\s*°\s*[CF]\b|\bdegrees\b", re.I),
    "quantity": re.compile(
        r"\d[\d,.]*\s*(kw|kwh|hp|ps|nm|km/h|mph|km|kg|t|l|litres?|liters?|mm|m|s|cc|%|wh/km|"
        r"kwh/100\s*km|l/100\s*km|mpg|v)\b",
        re.I,
    ),
    "count": re.compile(r"(?<![\d.,:/])\b\d{1,3}\b(?![.,:/]\d)"),
    "grade": re.compile(
        r"\b\d{1,2}W-?\d{2}\b|\b(type|dot)\s?-?[a-z0-9]+\b|\bACEA\b|\bAPI\b|\bRON\b|"
        r"\boctane\b",
        re.I,
    ),
}


# A quantity asked for by what it measures: its own units answer it. (What vehicles are
# measured in, the same for any maker's documents.)
MEASURES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "power": (
        re.compile(
            r"\b(horse ?power|power|output|bhp|hp|kw)\b|\b(?:how fast|speed)\b.*\bcharg", re.I
        ),
        re.compile(r"\d\s*(hp|bhp|ps|kw)\b", re.I),
    ),
    "torque": (
        re.compile(r"\btorque\b", re.I),
        re.compile(r"\d\s*(nm|lb-?ft|ft-?lbs?|ftlb)", re.I),
    ),
    "speed": (
        re.compile(r"\b(top speed|max(?:imum)? speed|how fast|fastest)\b(?!.*\bcharg)", re.I),
        re.compile(r"\d\s*(km/h|kmph|mph)\b", re.I),
    ),
    "acceleration": (
        re.compile(
            r"\b0\s*(?:-|–|to)\s*(?:60|62|100)\b|\baccelerat\w*|"
            r"\bhow (?:quick|fast)\w*\b.*\bto\s*(?:60|62|100)\b(?!\s*%)",
            re.I,
        ),
        re.compile(r"\d\s*(s|secs?|seconds)\b", re.I),
    ),
    "volume": (
        re.compile(
            r"\bhow much\b(?:\s+\w+){0,2}\s+"
            r"(?:oil|fuel|coolant|fluid|water|petrol|diesel|adblue)\b|"
            r"\b(capacity|capacities|litres?|liters?|quarts?|gallons?|fuel tank|hold|holds|"
            r"(?:boot|trunk|luggage|cargo) (?:space|volume|capacity))\b",
            re.I,
        ),
        re.compile(r"\d\s*(l|litres?|liters?|quarts?|qts?|gallons?|gal)\b", re.I),
    ),
    "weight": (
        re.compile(r"\b(weigh\w*|payload|kerb|curb|how heavy|towing capacity|tow)\b", re.I),
        re.compile(r"\d\s*(kg|lbs?|tonnes?|t)\b", re.I),
    ),
    "length": (
        re.compile(
            r"\bhow (?:long|wide|tall|high|deep) (?:is|are)\b|\b(length|width|height|wheelbase|"
            r"wheel base|clearance|wading|dimensions?)\b",
            re.I,
        ),
        re.compile(r"\d\s*(mm|cm|m|in|inches|ft)\b", re.I),
    ),
}


# Kinds of figure that say which figure is asked for, where "quantity" says only "a figure".
SPECIFIC_KINDS = frozenset({"money", "duration", "period", "distance", "pressure", "temperature"})


def answer_kinds_wanted(question: str) -> set[str]:
    """The kinds of fact a question asks for; a measure it names ("horsepower", "top speed")
    in place of the general "quantity"."""
    wanted = {kind for kind, pattern in ASKS_FOR.items() if pattern.search(question)}
    measures = {kind for kind, (asks, _) in MEASURES.items() if asks.search(question)}
    if measures or wanted & SPECIFIC_KINDS:
        # "How many km…": a distance, not any figure ("4.9 l/100 km" is one too).
        return (wanted - {"quantity"}) | measures
    return wanted


def answer_kinds_in(text: str) -> set[str]:
    stated = {kind for kind, pattern in STATES.items() if pattern.search(text)}
    if stated & {"duration", "distance"}:
        stated.add("period")
    return stated | {kind for kind, (_, states) in MEASURES.items() if states.search(text)}


MAX_UNITS = 3
# List items of fewer sentences than this are one unit.
WHOLE_ITEM_SENTENCES = 3
MIN_SCORE = 0.35
# Units this close to the best one may follow it.
KEEP_WITHIN = 0.12
REDUNDANT = 0.9
# Safety advice this close to the best unit's score is shown first.
SAFETY_WITHIN = 0.3
# Without a code to tie it to the question, safety advice must score nearly as well.
SAFETY_WITHIN_UNCODED = 0.1
INSTRUCTION_START = 12


def no_answer(brand: str | None = None, models: Sequence[str] = ()) -> str:
    """What the answer says when the knowledge base holds nothing that answers."""
    where = f"the {brand} knowledge base" if brand else "the knowledge base"
    names = list(models)
    named = (
        f" (for example {', '.join(names[:-1])} or {names[-1]})"
        if len(names) > 1
        else f" ({names[0]})"
        if names
        else ""
    )
    return (
        f"I couldn't find an answer to that in {where}. "
        f"Try rephrasing, name your model{named}, or ask to speak to a person."
    )


NO_ANSWER = no_answer()


@dataclass(frozen=True)
class Unit:
    text: str  # as it will appear in the answer
    source: int  # the [n] it cites
    rank: int  # the source's retrieval rank, 0 = best
    position: int  # order inside its source
    label: str = ""  # a table row's first cell, a list item's or paragraph's bold lead-in
    heading: str = ""  # the heading of the passage it comes from
    match: str = field(default="", compare=False)  # what scoring reads; `text` if empty
    lead_in: str = ""  # the paragraph's bold lead-in, when the sentence is not it
    # The sentence that names the vehicle this one is about: itself, or an earlier one in
    # its paragraph ("Tow Pack: 240 kPa unladen. When laden, 280 kPa.").
    names: str = field(default="", compare=False)
    kind: str = "sentence"  # "row" of a table, "item" of a list, or "sentence"
    # A row read in its model's column, asked about one of the model's variants.
    model_wide: bool = False
    list_id: int = 0  # for an item: which list of its source it is in
    item: int = 0  # for an item: which item of its source it is (its sentences share it)

    @property
    def safety(self) -> bool:
        return bool(SAFETY.search(_unquoted(self.text)))

    @property
    def instructs(self) -> bool:
        """The unit is safety advice itself: it opens with the instruction."""
        match = SAFETY.search(_unquoted(self.text.replace("**", "")))
        return match is not None and match.start() <= INSTRUCTION_START

    @property
    def scored_text(self) -> str:
        return self.match or self.text


QUOTES = re.compile("[‘’“”'\"]")


def _unquoted(text: str) -> str:
    """ "switch ‘OFF’ the engine" read as "switch OFF the engine"."""
    return QUOTES.sub("", text)


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _about(text: str, focus: str | None, catalogue: Catalogue) -> bool | None:
    """Whether `text` is about the focus vehicle; None when it names no vehicle at all."""
    named = catalogue.vehicles_in(text)
    if not named:
        return None
    if not focus:
        return True
    focus_model = catalogue.model_of(focus) or focus.split()[0]
    focus_is_variant = focus != focus_model
    if focus_is_variant:
        variants = {variant for _, variant in named if variant}
        if variants:
            return focus in variants
    return focus_model in {model for model, _ in named} or focus.lower() in text.lower()


def without_vehicles(
    text: str, catalogue: Catalogue | None = None, focus: str | None = None
) -> str:
    """The question without the names of the vehicles it is about (what it asks of them)."""
    return _without_vehicles(text, _knowing(catalogue, focus)) or text


def _without_vehicles(text: str, catalogue: Catalogue) -> str:
    stripped = catalogue.neutralise(text, replacement=" ")
    return re.sub(r"\s+", " ", stripped).strip()


def _table_units(
    lines: list[str],
    source: int,
    rank: int,
    start: int,
    focus: str | None,
    catalogue: Catalogue,
    heading: str,
    asked: frozenset[str] = frozenset(),
) -> list[Unit]:
    """Each row read with its column names; only the columns the question names, when it
    names some (the diesel one, the rear, the unit system); a column of short words
    (Petrol, Diesel) read as part of the row's label."""
    header = _cells(lines[0])
    rows = [r for r in lines[1:] if not TABLE_SEPARATOR.match(r)]
    about = [_about(name, focus, catalogue) if i else None for i, name in enumerate(header)]
    vehicle_columns = [i for i, a in enumerate(about) if a is not None]
    columns: Sequence[int] = range(1, len(header))
    model_wide = False
    if focus and vehicle_columns:
        # Asked about a variant: the column that names it, not one that names only its model;
        # else the columns of its own kinds ("Turbo Tiptronic" for a Turbo).
        named = {i: catalogue.variant_in(header[i]) for i in vehicle_columns}
        if catalogue.model_of(focus) == focus:  # the model: its column names no variant
            exact = [i for i in vehicle_columns if about[i] and named[i] is None]
            kinds: list[int] = []
        else:
            exact = [i for i in vehicle_columns if named[i] == focus]
            kinds = [i for i in vehicle_columns if (named[i] or "").startswith(focus + " ")]
        columns = exact or kinds or [i for i in vehicle_columns if about[i]]
        if not columns:
            return []  # every column is another vehicle's figures
        model_wide = not (exact or kinds) and catalogue.model_of(focus) != focus
    elif focus:
        # A table with one row per vehicle: keep the asked-about vehicle's rows.
        row_about = [_about(_cells(r)[0], focus, catalogue) for r in rows]
        if any(a is not None for a in row_about):
            rows = [r for r, a in zip(rows, row_about, strict=True) if a is not False]
    qualifiers = _qualifier_columns([_cells(r) for r in rows], len(header))
    columns = [i for i in columns if i not in qualifiers]
    columns = _named_columns(header, columns, asked) or columns
    units = []
    for offset, row in enumerate(rows):
        cells = _cells(row)
        if len(cells) < 2 or _legend(cells):
            continue
        label, first_value = _row_label(cells, header)
        chosen = [
            i
            for i in (columns or range(1, len(cells)))
            if first_value <= i < len(cells) and cells[i] and not MARK.match(cells[i])
        ]
        if not chosen:
            continue
        qualified = [cells[i] for i in qualifiers if i < len(cells) and cells[i]]
        names = [header[i] if i < len(header) else "" for i in chosen]
        plain_names = [n for i, n in zip(chosen, names, strict=True) if about[i] is None]
        # Read by its label, qualifiers and column names: the figures say little to the
        # embedding model, the label says what the row is about.
        match = " ".join([f"{_leaf(heading)}:", label, *qualified, *plain_names])
        units.append(
            Unit(
                _row_text(label, qualified, names, [cells[i] for i in chosen]),
                source,
                rank,
                start + offset,
                # A row that only names a vehicle (a table of one row per version) is about
                # what its columns say: "<model> 2.2D" read for "Braked trailer".
                label=(
                    label.replace("**", "")
                    if _without_vehicles(label.replace("**", ""), catalogue) or not plain_names
                    else ", ".join(plain_names)
                ),
                heading=heading,
                match=_without_vehicles(match.replace("**", ""), catalogue),
                kind="row",
                model_wide=model_wide,
            )
        )
    return units


LEGEND_CELL = re.compile(r"^\d{1,2}[.)]\s")
# Abbreviations written out in an answer: a full stop inside a sentence reads as its end.
ABBREVIATED = (
    (re.compile(r"\bMax\.\s*"), "Maximum "),
    (re.compile(r"\bmax\.\s*"), "maximum "),
    (re.compile(r"\bMin\.\s*"), "Minimum "),
    (re.compile(r"\bmin\.\s*(?=[a-z])"), "minimum "),
    (re.compile(r"\bNo\.\s+(?=of\b)", re.I), "Number "),
    (re.compile(r"\b[Aa]pprox\.\s*"), "approx "),
    (re.compile(r"\b[Ii]ncl\.\s*"), "incl "),
    (re.compile(r"\be\.g\.\s*"), "for example "),
    (re.compile(r"\bi\.e\.\s*"), "that is "),
)


def _expanded(text: str) -> str:
    for pattern, replacement in ABBREVIATED:
        text = pattern.sub(replacement, text)
    return text


MARK = re.compile(r"^[^\w\s]{1,2}$")  # ●, ✓, x-like marks a schedule puts in its cells
NUMBERED = re.compile(r"^(?:(.+?)\s+–\s+)?[\d.]+$")


def _row_label(cells: Sequence[str], header: Sequence[str]) -> tuple[str, int]:
    """The row's label and the first column of its values: a row whose first cell is only
    its number (and group: "Engine (Diesel) – 2") is named by its next cell."""
    numbered = NUMBERED.match(cells[0]) if cells[0] else None
    if numbered and len(cells) > 2 and cells[1] and not any(c.isdigit() for c in cells[1][:3]):
        group = numbered.group(1)
        return (f"{group} – {cells[1]}" if group else cells[1]), 2
    return cells[0] or (header[0] if header else ""), 1


def _legend(cells: Sequence[str]) -> bool:
    """A figure's legend set as a table ("1. Dip stick | 4. Washer container"): no answer."""
    filled = [c for c in cells if c]
    return len(filled) > 1 and all(LEGEND_CELL.match(c) for c in filled)


def _qualifier_columns(rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Columns of a few words that tell rows apart (Petrol, Diesel), with no figures."""
    found = []
    for i in range(1, width):
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if (
            len(set(values)) >= 2
            and len(values) == len(rows)
            and all(len(v.split()) <= 2 and not any(c.isdigit() for c in v) for v in values)
        ):
            found.append(i)
    return found


def _named_columns(
    header: Sequence[str], columns: Sequence[int], asked: frozenset[str]
) -> list[int]:
    """The columns whose own words (those their neighbours do not share) the question names
    most of: "braked towing" names "Braked trailer" before "Unbraked trailer"."""
    if len(columns) < 2 or not asked:
        return []
    words = {i: _terms(header[i]) for i in columns if i < len(header)}
    if len(words) < 2:
        return []
    shared = set.intersection(*words.values())
    counts = {i: len((terms - shared) & asked) for i, terms in words.items()}
    most = max(counts.values())
    named = [i for i, count in counts.items() if count and count == most]
    return named if 0 < len(named) < len(words) else []


def _row_text(
    label: str, qualified: Sequence[str], names: Sequence[str], values: Sequence[str]
) -> str:
    """ "Maximum power (Petrol): 85 PS", or "Capacity: 45 litres (diesel), 40 litres (petrol)"."""
    shown = label.replace("**", "").strip()
    if qualified:
        shown = f"{shown}, {', '.join(qualified)}"
    if len(set(values)) == 1:
        name = names[0] if len(values) == 1 and names[0] else ""
        return f"{shown} ({name}): {values[0]}" if name else f"{shown}: {values[0]}"
    parts = [f"{v} ({n})" if n else v for n, v in zip(names, values, strict=True)]
    return f"{shown}: {', '.join(parts)}"


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph, not split after an abbreviation."""
    pieces: list[str] = []
    for piece in SENTENCE.split(text):
        if pieces and ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p.strip() for p in pieces if p.strip()]


ENDED = re.compile(r"[.!?:;][\"')\]]?$")
WRAPPED_LINE = 50


KEY_VALUE = re.compile(r"^[^:.!?]{1,60}:\s+\S")
# A line ending like this is cut mid-sentence, whatever the next one starts with.
OPEN_ENDED = re.compile(
    r"(?:,|\b(?:and|or|of|the|a|an|to|with|for|in|at|by|on|from|than|as|is|are|be|if))$",
    re.IGNORECASE,
)


def _continues(previous: str, line: str, indented: bool) -> bool:
    """Whether `line` carries on `previous` (hard-wrapped prose) rather than starting anew.

    Lines that each hold a record ("Mira 1.0 power: 74 kW", then "Mira 1.0 torque: …")
    stay apart: a "key: value" line ends where the next capitalised line begins.
    """
    if indented or OPEN_ENDED.search(previous):
        return True
    if ENDED.search(previous):
        return False
    if line[:1].islower() or line[:1] in "([{\"'":
        return True
    if KEY_VALUE.match(previous) or previous.split()[:1] == line.split()[:1]:
        return False
    return len(previous) >= WRAPPED_LINE


def _blocks(body: str) -> list[tuple[str, list[str]]]:
    """("table" | "item" | "paragraph", lines): wrapped lines stay with their block."""
    blocks: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped or HEADING.match(line):
            blocks.append(("break", []))
            continue
        if TABLE_ROW.match(line):
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(line)
            else:
                blocks.append(("table", [line]))
        elif LIST_MARK.match(line):
            blocks.append(("item", [LIST_MARK.sub("", line).strip()]))
        elif (
            blocks
            and blocks[-1][0] in ("item", "paragraph")
            and _continues(blocks[-1][1][-1], stripped, line[:1] in " \t")
        ):
            blocks[-1][1].append(stripped)  # a wrapped line continues its item or paragraph
        else:
            blocks.append(("paragraph", [stripped]))
    return [(kind, lines) for kind, lines in blocks if kind != "break"]


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
    catalogue = _knowing(catalogue, focus)
    units: list[Unit] = []
    lists = items = 0
    previous_kind = ""
    for kind, lines in _blocks(body):
        if kind == "table":
            units.extend(
                _table_units(lines, source, rank, len(units), focus, catalogue, heading, asked)
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
        pieces = _sentences(text)
        if kind == "item" and len(pieces) < WHOLE_ITEM_SENTENCES:
            pieces = [text]  # a short item reads best whole ("Noise: cause. What to do.")
        previous = naming = ""
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
                        match=_without_vehicles(
                            f"{_leaf(heading)}: {context} {previous} {piece}".replace("**", ""),
                            catalogue,
                        ),
                        lead_in=context,
                        names=naming,
                        kind="item" if kind == "item" else "sentence",
                        list_id=lists if kind == "item" else 0,
                        item=items if kind == "item" else 0,
                    )
                )
            previous = piece
    return units


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


def _leaf(heading: str) -> str:
    return heading.rsplit(" > ", 1)[-1]


def _knowing(catalogue: Catalogue | None, focus: str | None) -> Catalogue:
    """The catalogue, taught the focus vehicle's name if it does not know it already."""
    catalogue = catalogue or Catalogue()
    if not focus or catalogue.models_in(focus):
        return catalogue
    return catalogue.with_model(focus.split()[0])


SUFFIXES = (("ies", "y"), ("ing", ""), ("ers", ""), ("er", ""), ("es", ""), ("ed", ""),
            ("s", ""), ("e", ""))  # fmt: skip


def _stem(term: str) -> str:
    """A crude stem, so that charge, charger and charging meet (and fully, full)."""
    if term.endswith("lly") and len(term) >= 5:
        return term[:-1]
    for suffix, replacement in SUFFIXES:
        if len(term) > len(suffix) + 3 and term.endswith(suffix):
            return term[: -len(suffix)] + replacement
    return term


def _terms(text: str) -> set[str]:
    return {_stem(t) for t in tokenize(text) if t not in ASKING}


# Words customers use for what documents call otherwise (stems): "how much can it tow?" is
# answered by the braked-trailer limit, a loan car by the courtesy-vehicle rules.
SAID_OTHERWISE: dict[str, tuple[str, ...]] = {
    "tow": ("towing", "brak", "trail"),
    "towing": ("tow", "brak", "trail"),
    "loan": ("courtesy",),
    "rust": ("corrosion",),
}


def _asked_terms(text: str) -> set[str]:
    terms = _terms(text)
    return terms.union(*(SAID_OTHERWISE.get(t, ()) for t in terms))


def _share(terms: set[str], text: str) -> float:
    """The share of the asked terms the text has; a short form the text writes for a long
    asked word counts ("Sat" for Saturday, "approx" for approximately)."""
    if not terms:
        return 0.0
    have = _terms(text)
    short = {t for t in have if 3 <= len(t) <= 4 and t.isalpha()}
    found = sum(
        1 for t in terms if t in have or (len(t) >= 6 and any(t.startswith(s) for s in short))
    )
    return found / len(terms)


def _mentions_other_vehicle(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """A sentence about another vehicle only; table rows were already cut to the focus."""
    if not focus or unit.kind == "row" or TABLE_ROW.match(unit.text):
        return False
    return _about(unit.names or unit.text, focus, catalogue) is False


# Asked about one vehicle, a sentence that sets it beside another model ("the GT has the
# highest top speed of the three even though the SUV is much quicker") says less of it than
# one about it alone; so does a figure read in a whole model's column, asked about one of its
# variants ("Maximum braked towing (<model>)" for its 2.2D), to one of that variant.
COMPARISON = 0.05


def _compares(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    if not focus or unit.kind == "row":
        return False
    models = {model for model, _ in catalogue.vehicles_in(unit.text)}
    return len(models) > 1 and catalogue.model_of(focus) in models


def _heading_names_other_variant(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    if not focus or not unit.heading:
        return False
    variant = catalogue.variant_in(unit.heading)
    return (
        variant is not None
        and variant != focus
        and catalogue.model_of(variant) == (catalogue.model_of(focus))
        and focus != catalogue.model_of(focus)
    )


OTHER_VARIANT = 0.12
VARIANT_WORD = re.compile(r"[\w.+-]+")


def _variant_words(name: str, model: str) -> set[str]:
    return {w.lower() for w in VARIANT_WORD.findall(name)} - {
        w.lower() for w in VARIANT_WORD.findall(model)
    }


def _names_other_variant(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """The unit gives another variant's figure ("3,500 kg (2.2D)" asked about the 2.2D
    Trail): it names every word of another variant of the model and not the focus's own."""
    model = catalogue.model_of(focus) if focus else None
    entry = catalogue.model(model) if model else None
    if entry is None or focus == model:
        return False
    said = {w.lower() for w in VARIANT_WORD.findall(f"{unit.text} {unit.label}")}
    if _variant_words(str(focus), model or "") <= said:
        return False
    return any(
        (words := _variant_words(v.name, entry.name)) and words <= said
        for v in entry.variants
        if v.name != focus
    )


@dataclass(frozen=True)
class Scored:
    """A question's candidate units, each with its score and embedding (row i+1 of vectors)."""

    units: list[Unit]
    scores: NDArray[np.float64]
    vectors: NDArray[np.float32]
    codes: list[str]
    action: bool = False  # the question asks what to do
    procedure: bool = False  # … and how, from the start ("how do I", "what first")
    asked: frozenset[str] = frozenset()  # the question's terms


def candidates(
    sources: Sequence[tuple[int, str, str, str]],
    focus: str | None,
    catalogue: Catalogue,
    question: str = "",
) -> list[Unit]:
    """Every distinct unit of the sources, leaving out those about another vehicle."""
    asked = (
        frozenset(_asked_terms(_without_vehicles(question, catalogue))) if question else frozenset()
    )
    units = [
        unit
        for rank, (n, _title, heading, body) in enumerate(sources)
        for unit in split_units(body, n, rank, focus, catalogue, heading, asked)
    ]
    return _distinct([u for u in units if not _mentions_other_vehicle(u, focus, catalogue)])


def score(
    question: str,
    units: list[Unit],
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
    focus: str | None,
    catalogue: Catalogue,
) -> Scored:
    """How well each unit answers: meaning, shared terms, its label and heading, exact codes,
    the kind of fact asked for; less for a lower-ranked passage or another variant's section."""
    asked = _without_vehicles(question, catalogue) or question
    vectors = encode([asked, *(u.scored_text for u in units)])
    similarity = vectors[1:] @ vectors[0]
    codes = identifiers(question)
    terms = _asked_terms(asked) - {(catalogue.brand or "").lower()}
    wanted = answer_kinds_wanted(question)
    action = bool(ACTION.search(question))
    directly = bool(ASKS_DIRECTLY.search(question)) or (
        bool(wanted & {"quantity", *MEASURES}) and not action and bool(ASKS_WHAT.search(question))
    )
    unasked = [
        condition is not None and not (_terms(condition) & terms)
        for condition in _conditions(units)
    ]
    scores = np.asarray(
        [
            float(similarity[i])
            + 0.3 * _share(terms, u.scored_text)
            + 0.1 * bool(terms & _terms(u.label))
            + 0.05 * _share(terms, u.heading)
            + (1.0 if _names_code(u, codes) else 0.0)
            + _kind_fit(wanted, answer_kinds_in(u.text), directly)
            + (MEASURE_NAMED if _names_measure(wanted, u) else 0.0)
            + (KEY_NAMED if _key_named(u, terms) else 0.0)
            + (ACTION_BONUS if action and _order(u.text) else 0.0)
            - 0.02 * u.rank
            - (CONDITIONAL if unasked[i] else 0.0)
            - (COMPARISON if _compares(u, focus, catalogue) or u.model_wide else 0.0)
            - (0.15 if _heading_names_other_variant(u, focus, catalogue) else 0.0)
            - (OTHER_VARIANT if _names_other_variant(u, focus, catalogue) else 0.0)
            for i, u in enumerate(units)
        ],
        dtype=np.float64,
    )
    return Scored(
        units,
        scores,
        vectors,
        codes,
        action=action,
        procedure=bool(PROCEDURE.search(question)),
        asked=frozenset(terms),
    )


# What holds only under a condition the question does not mention ("If you mainly drive short
# trips, … every 7,500 km", an item of a list "if you:") comes after what holds as a rule.
CONDITIONAL = 0.15
CONDITION = re.compile(r"^(?:if|unless|whenever|in case|under)\b(.{3,}?)(?:,(?!\d)|:)", re.I)
CONDITIONAL_LIST = re.compile(r"\b(?:if|when|whenever)(?: you| it| the \w+)?:$", re.I)


def _conditions(units: Sequence[Unit]) -> list[str | None]:
    """Each unit's condition, when it holds only under one: its opening "If …," clause, or,
    for an item of a list announced "…if you:", the item's own words."""
    announced: set[tuple[int, str, int]] = set()
    for before, after in itertools.pairwise(units):
        if (
            after.kind == "item"
            and before.kind != "item"
            and (before.source, before.heading) == (after.source, after.heading)
            and CONDITIONAL_LIST.search(before.text.rstrip())
        ):
            announced.add((after.source, after.heading, after.list_id))
    found: list[str | None] = []
    for unit in units:
        plain = unit.text.replace("**", "")
        if unit.kind == "item" and (unit.source, unit.heading, unit.list_id) in announced:
            found.append(plain.split(":", 1)[0])
        elif match := CONDITION.match(plain):
            found.append(match.group(1))
        else:
            found.append(None)
    return found


# A unit that names the measure asked for and states it in its units ("Acceleration 0-60 mph:
# 5.6 seconds", "the maximum filling capacity is 4.5 litres") over one that only states a
# figure of that kind ("the remaining quantity is 0.5 litres"). Not for weights: a table of
# them names weight in most rows (gross, kerb, payload, towing), so naming it says nothing
# of which one is asked.
MEASURE_NAMED = 0.1
NAMED_MEASURES = frozenset(MEASURES) - {"weight"}


UNIT_WORDS = re.compile(
    r"\b(?:b?hp|ps|kw|nm|lb-?ft|litres?|liters?|quarts?|qts?|gallons?|gal|mph|km/h|kg|lbs?|"
    r"tonnes?|mm|cm|in|inches|ft)\b",
    re.I,
)


def _names_measure(wanted: set[str], unit: Unit) -> bool:
    """Its words, not its figures' units, name the measure ("4 gallons" names no capacity)."""
    named = UNIT_WORDS.sub(" ", unit.label or unit.text)
    return any(
        states.search(unit.text) and asks.search(named)
        for kind, (asks, states) in MEASURES.items()
        if kind in wanted & NAMED_MEASURES
    )


# A sentence that says in words what its key means ("Flashing orange: the car is waiting for
# a schedule.") answers a question that names that key in full ("the light … was flashing
# orange"): the question describes what the key names. A key followed by a figure ("Towing
# capacity, braked: 1,100 kg") is a record, scored as a figure is, for its vehicle.
KEY_NAMED = 0.2
KEY = re.compile(r"^\W*([A-Za-z][^:\d]{2,40}?)\W*:\s+(\S.*)")
KEY_WORDS = (2, 4)


def _key_named(unit: Unit, terms: set[str]) -> bool:
    if unit.kind == "row" or unit.lead_in:
        return False
    key = KEY.match(unit.text.replace("**", ""))
    if key is None or not KEY_WORDS[0] <= len(key.group(1).split()) <= KEY_WORDS[1]:
        return False
    if any(c.isdigit() for c in key.group(2)):
        return False
    named = _terms(key.group(1))
    return len(named) >= KEY_WORDS[0] and named <= terms


# A unit that states only other kinds of fact than the one asked for (how long a service
# takes, asked how often it is due) loses this much.
KIND_MISMATCH = 0.06


def _kind_fit(wanted: set[str], stated: set[str], asks_directly: bool) -> float:
    """More for a unit that states the kind of fact asked for; less for one that states
    only other kinds, or (asked outright: "how long is it?") none at all."""
    if not wanted:
        return 0.0
    if wanted & stated:
        return ANSWER_KIND_BONUS
    return -KIND_MISMATCH if asks_directly else 0.0


# A question that asks for a kind of fact outright ("how often", "what time"), not one that
# only mentions a word of it ("it showed last week").
ASKS_DIRECTLY = re.compile(
    r"\bhow (?:often|far|long|much|many|quick\w*|fast|big|heavy|wide|tall|high|deep)\b|"
    r"\bwhat time\b|\bwhen\b",
    re.I,
)
# "What's the boot space?": a figure is asked for as surely as by "how much".
ASKS_WHAT = re.compile(r"^\W*(?:what|whats|what's|which)\b", re.I)
# Words that start a sentence without giving an order: determiners, pronouns, prepositions,
# conjunctions, auxiliaries (a closed class of English, the same for any document).
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those it its they their them there here he she we you your our
    i my his her if when while as at by for from in into of on onto to with without under
    over after before during and or but so because although though since until unless than
    then is are was were be been being has have had do does did can could will would shall
    should may might must not no yes all each every any some most many more much such what
    which who whom whose why how where also only just even still
    """.split()  # noqa: SIM905
)
ADVERB_LEADS = frozenset("always never only first then now immediately carefully".split())  # noqa: SIM905
# Words that may follow an order's verb: its object's article, a particle, a manner.
ORDER_FOLLOWERS = frozenset(
    """
    the a an your it its them this that these those all any off on out up down in and to
    for with at away back not whether if
    """.split()  # noqa: SIM905
)
ACTION_BONUS = 0.06


def _order(text: str) -> bool:
    """The sentence tells the reader what to do: it opens with a verb ("Drive gently",
    "Stop the vehicle", "Do not open the cap", "Always switch off the engine")."""
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", text.replace("**", ""))[:4]]
    while words and words[0] in ADVERB_LEADS:
        words = words[1:]
    if len(words) < 2 or (words[0] in FUNCTION_WORDS and words[0] != "do"):
        return False
    return words[1] in ORDER_FOLLOWERS or words[1].endswith("ly")


# What to do, not what something is: the answer is a procedure's steps, in their order.
ACTION = re.compile(
    r"\bhow (?:do|can|should|would|to|must) (?:i|you|we)\b|\bhow to\b|"
    r"\bwhat (?:should|do|must|can) (?:i|you|we) do\b|\bwhat to do\b|\bwhat now\b|"
    r"\bsteps?\b|\bprocedure\b",
    re.I,
)


PROCEDURE = re.compile(
    r"\bhow (?:do|can|should|to|would) (?:i|you|we)\b|\bhow to\b|\bsteps?\b|\bprocedure\b|"
    r"\bfirst\b",
    re.I,
)


def _names_code(unit: Unit, codes: Sequence[str]) -> bool:
    """The unit, its lead-in or its section heading names one of the codes."""
    context = f"{unit.text} {unit.label} {_leaf(unit.heading)}".upper()
    return any(code in context for code in codes)


def pick(scored: Scored) -> list[Unit]:
    """The best unit, then up to two more that score close to it and say something else;
    relevant safety advice goes first."""
    units, scores, vectors = scored.units, scored.scores, scored.vectors
    best = float(scores.max())
    if best < MIN_SCORE:
        return []
    order = [int(i) for i in np.argsort(-scores)]
    chosen: list[int] = []
    per_source: dict[int, int] = {}
    for index in order:
        unit = units[index]
        if scores[index] < best - KEEP_WITHIN or len(chosen) >= MAX_UNITS:
            break
        if per_source.get(unit.source, 0) >= 2:
            continue
        if any(float(vectors[index + 1] @ vectors[c + 1]) >= REDUNDANT for c in chosen):
            continue
        chosen.append(index)
        per_source[unit.source] = per_source.get(unit.source, 0) + 1
    # Safety advice that bears on this question (close enough in score, and about the same
    # code when the question names one) leads the answer: a unit that *is* the instruction
    # ("Stop safely and…") before one that only contains it.
    relevant = [
        i
        for i in order
        if units[i].safety
        and (
            _names_code(units[i], scored.codes)
            if scored.codes
            else scores[i] >= best - SAFETY_WITHIN_UNCODED
        )
        and scores[i] >= best - SAFETY_WITHIN
    ]
    instructions = [i for i in relevant if units[i].instructs]
    instruction = None
    if instructions:
        # Steps are written in the order to follow them: the first of the best passage's.
        top = units[instructions[0]]
        instruction = min(
            (
                i
                for i in instructions
                if (units[i].source, units[i].heading) == (top.source, top.heading)
            ),
            key=lambda i: units[i].position,
        )
    lead = (
        instruction
        if instruction is not None
        else next((i for i in chosen if units[i].safety), relevant[0] if relevant else None)
    )
    if lead is not None:
        chosen = [lead, *(i for i in chosen if i != lead)][:MAX_UNITS]
    steps = _steps(units, order[0], scored.procedure) if scored.action else []
    if steps and (lead is None or lead == order[0] or units[lead].kind == "item"):
        return steps
    if scored.action and lead is None:
        # Asked what to do, and close to the best stands a sentence that announces the steps
        # ("This fault can be corrected with a few simple steps:"): the steps are the answer.
        close = itertools.takewhile(lambda i: scores[i] >= best - KEEP_WITHIN, order)
        announced = (_steps(units, i, True) for i in close if units[i].text.rstrip().endswith(":"))
        steps = next((found for found in announced if found), [])
        if steps:
            return steps
    picked = [units[i] for i in _with_antecedent(units, chosen)]
    return [_past_the_description(picked[0], scored.asked), *picked[1:]] if picked else picked


# An item that first describes what the customer describes ("All models: a light grinding when
# you first brake after rain. This is surface rust on the discs…") answers with what it says
# of it: the sentence pointing back to the description reads as pointing to the question.
DESCRIBES = 0.4


def _past_the_description(unit: Unit, asked: frozenset[str]) -> Unit:
    if unit.kind != "item" or unit.lead_in:
        return unit
    first, *rest = _sentences(unit.text)
    if not rest or not POINTS_BACK.match(rest[0].replace("**", "")):
        return unit
    described = _terms(first.split(":", 1)[-1])
    if not described or len(described & asked) < DESCRIBES * len(described):
        return unit
    return replace(unit, text=" ".join(rest))


# A sentence that opens on a word pointing back ("It must be reserved when you book") reads,
# and scores, with the sentence before it: alone at the head of an answer it names nothing.
POINTS_BACK = re.compile(r"^(?:It|Its|This|These|They|Their|That|Those|Such)\b")


def _with_antecedent(units: Sequence[Unit], chosen: list[int]) -> list[int]:
    """The chosen units, the sentence the lead points back to put before it."""
    if not chosen:
        return chosen
    lead = units[chosen[0]]
    if lead.kind != "sentence" or not POINTS_BACK.match(lead.text.replace("**", "")):
        return chosen
    before = next(
        (
            i
            for i, u in enumerate(units)
            if (u.source, u.heading, u.kind) == (lead.source, lead.heading, "sentence")
            and u.position == lead.position - 1
            and u.text.replace("**", "") in lead.scored_text
        ),
        None,
    )
    if before is None:
        return chosen
    return [before, *(i for i in chosen if i != before)][:MAX_UNITS]


MAX_STEPS = 4


def _steps(units: Sequence[Unit], best: int, from_start: bool) -> list[Unit]:
    """A list's items in their order, when the best unit is one of them or introduces them
    ("Make the connections as follows:", a title for what follows); none otherwise. A
    procedure is told from its first step (`from_start`); otherwise the answer starts at the
    best item and goes on with those after it. An item of several sentences shows its first."""
    unit = units[best]
    same = [u for u in units if u.source == unit.source and u.heading == unit.heading]
    if unit.kind == "item":
        members = [u for u in same if u.kind == "item" and u.list_id == unit.list_id]
    elif unit.text.rstrip().endswith(":"):
        after = sorted((u for u in same if u.position > unit.position), key=lambda u: u.position)
        members = []
        for following in after:
            if following.kind != "item" or (members and following.list_id != members[0].list_id):
                break
            members.append(following)
        from_start = True  # what it introduces: the answer is what follows
    else:
        return []
    firsts: dict[int, Unit] = {}
    for member in sorted(members, key=lambda u: u.position):
        firsts.setdefault(member.item, member)
    ordered = [firsts[i] for i in sorted(firsts)]
    if len(ordered) < 2:
        return []
    index = next((n for n, u in enumerate(ordered) if u.item == unit.item), 0)
    start = 0 if from_start and index < MAX_STEPS else index
    return ordered[start : start + MAX_STEPS]


def select(
    question: str,
    sources: Sequence[tuple[int, str, str, str]],
    encode: Callable[[Sequence[str]], NDArray[np.float32]],
    focus: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[Unit]:
    """The units that answer `question`: the best first (safety advice before it), then what
    adds to it."""
    catalogue = _knowing(catalogue, focus)
    units = candidates(sources, focus, catalogue, question)
    if not units:
        return []
    return pick(score(question, units, encode, focus, catalogue))


def _distinct(units: list[Unit]) -> list[Unit]:
    """Each wording once, wherever it appears."""
    seen: set[str] = set()
    kept = []
    for unit in units:
        key = re.sub(r"[^a-z0-9]+", " ", unit.text.lower()).strip()
        if key not in seen:
            seen.add(key)
            kept.append(unit)
    return kept


def compose(units: Sequence[Unit], none_found: str = NO_ANSWER) -> str:
    """The answer: the lead unit on its own line, then what adds to it as a list; cited as [n]."""
    if not units:
        return none_found
    lead, *rest = units
    text = f"{_shown(lead)} [{lead.source}]"
    if rest:
        text += "\n\n" + "\n".join(f"- {_shown(u)} [{u.source}]" for u in rest)
    return text


def _shown(unit: Unit) -> str:
    """The unit as the answer shows it: with its lead-in, if it has one, before a colon;
    abbreviations written out."""
    if unit.lead_in:
        lead = _sentence(unit.lead_in).rstrip(".:")
        return _expanded(f"{lead}: {unit.text.replace('**', '').strip()}")
    return _expanded(_sentence(unit.text))


def _sentence(text: str) -> str:
    text = text.replace("**", "").strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
