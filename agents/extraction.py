"""Extractive answering: the sentences, list items and table rows that answer a question.

Pure logic over text and vectors; the offline chat model in `agents.offline_model` wraps it.
An answer leads with the single best-supported unit, then adds at most a few that say
something more; every unit is whole (a sentence, however the source wrapped its lines; a list
item; a table row with its column names) and cites the number its passage has in the turn.
When the question names a vehicle, units about another vehicle are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rag.catalogue import Catalogue
from rag.chunking import TABLE_ROW, TABLE_SEPARATOR
from rag.lexical import identifiers, tokenize

SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(*])")
# A full stop after one of these ends an abbreviation, not a sentence ("approx. 5 °C").
ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|approx|incl|excl|etc|vs|no|nos|fig|figs|min|max|ca|cf|esp|ref|tel|"
    r"st|nr|op|p|pp|vol|art|sec|dept|mr|mrs|ms|dr)|\b[A-Z])\.$",
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
        r"\b(how much|cost|costs|price|fee|fees|charge[ds]?|pay|paying|free|expensive|cheap)\b|"
        r"\bwhat happens if\b",
        re.I,
    ),
    "duration": re.compile(
        r"\b(how long|how many (years|months|days|hours|minutes)|warrant\w*|guarantee\w*|"
        r"valid|last|period)\b",
        re.I,
    ),
    "interval": re.compile(r"\b(how often|interval|every|when (should|do|does|is|must))\b", re.I),
    "clock": re.compile(r"\b(open|opening|close|closing|hours|what time)\b", re.I),
    "pressure": re.compile(r"\b(pressure|pressures|psi|inflate)\b", re.I),
    "temperature": re.compile(r"\b(temperature|cold|hot|warm|freez\w*|degrees?|frost\w*)\b", re.I),
    "quantity": re.compile(
        r"\b(how (much|many|far|fast|big|heavy|long|wide|tall|quick)|capacity|range|power|"
        r"torque|weight|weigh|payload|tow\w*|speed|size|volume|litres|liters|kw|hp|space|room|"
        r"boot|trunk|fit|max|maximum|peak|"
        r"0\s*-\s*100)\b",
        re.I,
    ),
    "grade": re.compile(
        r"\b(which|what) (type|kind|grade|oil|coolant|fluid|viscosity|spec\w*)\b|"
        r"\b(viscosity|grade)\b",
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
        r"\bevery\b|\b\d[\d,.]*\s*(km|miles|mi|months?|years?)\b|\bannual(ly)?\b", re.I
    ),
    "clock": re.compile(r"\b\d{1,2}[:.]\d{2}\b|\bclosed\b", re.I),
    "pressure": re.compile(r"\b\d+(?:[.,]\d+)?\s*(bar|psi|kpa)\b", re.I),
    "temperature": re.compile(r"\d\s*°\s*[CF]\b|\bdegrees\b", re.I),
    "quantity": re.compile(
        r"\d[\d,.]*\s*(kw|kwh|hp|ps|nm|km/h|mph|km|kg|t|l|litres?|liters?|mm|m|s|cc|%|wh/km|"
        r"kwh/100\s*km|l/100\s*km|mpg|v)\b",
        re.I,
    ),
    "grade": re.compile(r"\b\d{1,2}W-?\d{2}\b|\b(type|dot)\s?-?[a-z0-9]+\b|\bACEA\b|\bAPI\b", re.I),
}


def answer_kinds_wanted(question: str) -> set[str]:
    return {kind for kind, pattern in ASKS_FOR.items() if pattern.search(question)}


def answer_kinds_in(text: str) -> set[str]:
    return {kind for kind, pattern in STATES.items() if pattern.search(text)}


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

    @property
    def safety(self) -> bool:
        return bool(SAFETY.search(self.text))

    @property
    def instructs(self) -> bool:
        """The unit is safety advice itself: it opens with the instruction."""
        match = SAFETY.search(self.text.replace("**", ""))
        return match is not None and match.start() <= INSTRUCTION_START

    @property
    def scored_text(self) -> str:
        return self.match or self.text


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
) -> list[Unit]:
    header = _cells(lines[0])
    rows = [r for r in lines[1:] if not TABLE_SEPARATOR.match(r)]
    about = [_about(name, focus, catalogue) if i else None for i, name in enumerate(header)]
    vehicle_columns = [i for i, a in enumerate(about) if a is not None]
    columns: Sequence[int] = range(1, len(header))
    if focus and vehicle_columns:
        columns = [i for i in vehicle_columns if about[i]]
        if not columns:
            return []  # every column is another vehicle's figures
    elif focus:
        # A table with one row per vehicle: keep the asked-about vehicle's rows.
        row_about = [_about(_cells(r)[0], focus, catalogue) for r in rows]
        if any(a is not None for a in row_about):
            rows = [r for r, a in zip(rows, row_about, strict=True) if a is not False]
    units = []
    for offset, row in enumerate(rows):
        cells = _cells(row)
        if len(cells) < 2:
            continue
        chosen = [i for i in (columns or range(1, len(cells))) if i < len(cells) and cells[i]]
        values = [
            f"{header[i]}: {cells[i]}" if i < len(header) and header[i] else cells[i]
            for i in chosen
        ]
        if not values:
            continue
        label = cells[0] or header[0]
        plain_headers = [header[i] for i in chosen if i < len(header) and about[i] is None]
        # Read by its label (and any column names that are not vehicles): the figures say
        # little to the embedding model, the label says what the row is about.
        match = " ".join([f"{_leaf(heading)}:", label, *plain_headers])
        units.append(
            Unit(
                f"{label} — {'; '.join(values)}",
                source,
                rank,
                start + offset,
                label=label.replace("**", ""),
                heading=heading,
                match=_without_vehicles(match.replace("**", ""), catalogue),
            )
        )
    return units


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

    Lines that each hold a record ("Brisa 1.0 power: 74 kW", then "Brisa 1.0 torque: …")
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
) -> list[Unit]:
    """A source's answerable pieces: whole sentences, list items and labelled table rows."""
    catalogue = _knowing(catalogue, focus)
    units: list[Unit] = []
    for kind, lines in _blocks(body):
        if kind == "table":
            units.extend(_table_units(lines, source, rank, len(units), focus, catalogue, heading))
            continue
        text = " ".join(lines)
        label = _lead_in(text, kind)
        pieces = _sentences(text)
        if kind == "item" and len(pieces) < WHOLE_ITEM_SENTENCES:
            pieces = [text]  # a short item reads best whole ("Noise: cause. What to do.")
        previous = naming = ""
        for piece in pieces:
            if catalogue.vehicles_in(piece):
                naming = piece
            if len(piece.split()) >= 3:
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
                    )
                )
            previous = piece
    return units


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
    """A crude stem, so that charge, charger and charging meet."""
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
    return len(terms & _terms(text)) / len(terms) if terms else 0.0


def _mentions_other_vehicle(unit: Unit, focus: str | None, catalogue: Catalogue) -> bool:
    """A sentence about another vehicle only; table rows were already cut to the focus."""
    if not focus or TABLE_ROW.match(unit.text):
        return False
    return _about(unit.names or unit.text, focus, catalogue) is False


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


@dataclass(frozen=True)
class Scored:
    """A question's candidate units, each with its score and embedding (row i+1 of vectors)."""

    units: list[Unit]
    scores: NDArray[np.float64]
    vectors: NDArray[np.float32]
    codes: list[str]


def candidates(
    sources: Sequence[tuple[int, str, str, str]], focus: str | None, catalogue: Catalogue
) -> list[Unit]:
    """Every distinct unit of the sources, leaving out those about another vehicle."""
    units = [
        unit
        for rank, (n, _title, heading, body) in enumerate(sources)
        for unit in split_units(body, n, rank, focus, catalogue, heading)
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
    scores = np.asarray(
        [
            float(similarity[i])
            + 0.3 * _share(terms, u.scored_text)
            + 0.1 * bool(terms & _terms(u.label))
            + 0.05 * _share(terms, u.heading)
            + (1.0 if _names_code(u, codes) else 0.0)
            + ANSWER_KIND_BONUS * bool(wanted & answer_kinds_in(u.text))
            - 0.02 * u.rank
            - (0.15 if _heading_names_other_variant(u, focus, catalogue) else 0.0)
            for i, u in enumerate(units)
        ],
        dtype=np.float64,
    )
    return Scored(units, scores, vectors, codes)


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
    return [units[i] for i in chosen]


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
    units = candidates(sources, focus, catalogue)
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
    """The unit as the answer shows it: with its lead-in, if it has one, before a colon."""
    if unit.lead_in:
        return f"{_sentence(unit.lead_in).rstrip('.:')}: {unit.text.replace('**', '').strip()}"
    return _sentence(unit.text)


def _sentence(text: str) -> str:
    text = text.replace("**", "").strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
