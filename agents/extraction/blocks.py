"""A passage's body read as blocks (tables, list items, paragraphs), however the source
wrapped its lines, and a paragraph read as its sentences."""

from __future__ import annotations

import re

from agents.extraction.vocabulary import DIGIT, LABEL_UNIT
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
# A picture alone on its line ("![Brake fluid reservoir](60220101)"): nothing to quote.
PICTURE = re.compile(r"^\s*(?:[-*+]\s+)?!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?\s*$")
# A picture's callout numbers left on a line of their own ("5 6 7"): nothing to quote.
CALLOUTS = re.compile(r"^\s*\d{1,3}(?:\s+\d{1,3})+\s*$")
# A page's trail of where it sits ("Home >> Repair >> Maintenance >> Engine Oil"), as a site
# serving a manual page by page writes it: navigation, nothing to quote. (A menu path written
# with single marks, "Controls > Service", is an instruction: kept.)
BREADCRUMBS = re.compile(r"^\s*[^<>»\n]{1,60}(?:\s(?:>>|»)\s[^<>»\n]{1,60}){2,}$")
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


TITLE_WORDS = 8


def titles_list(line: str) -> bool:
    """A line of a few words that ends no sentence and names units ("Tire pressure, psi
    (kg/cm2, kPa)"): over a list, the title its items' figures are read under."""
    return (
        len(line.split()) <= TITLE_WORDS
        and not re.search(r"[.!?;,]$", line)
        and bool(LABEL_UNIT.search(line))
    )


def names_figures(text: str) -> bool:
    """A few words that end no sentence and state no figure ("Overall length"): a name for
    the figures of the items nested under it."""
    return (
        len(text.split()) <= TITLE_WORDS
        and not ENDED.search(text.rstrip(":"))
        and not DIGIT.search(text)
    )


def figure_item(text: str) -> bool:
    """A list item that is a short line with a bare figure, its unit unsaid ("Front 26 (1.8,
    180)")."""
    return (
        len(text.split()) <= BARE_VALUE_WORDS
        and any(c.isdigit() for c in text)
        and not LABEL_UNIT.search(text)
    )


def blocks(body: str) -> list[tuple[str, list[str]]]:
    """("table" | "item" | "paragraph" | "heading", lines): wrapped lines stay with their
    block. An item nested under one that announces it ("- Oil capacity, qt.:" over
    "  - Front: 3.2") is read with the items above it, as a table's cell is with its header:
    "Oil capacity, qt.: Front: 3.2"; so is a short item with a figure under a line that titles
    its list ("Tire pressure, psi (kPa)" over "- Front 26 (180)": "Tire pressure, psi (kPa):
    Front 26 (180)")."""
    found: list[tuple[str, list[str]]] = []
    above: list[tuple[int, str]] = []  # the items announcing the nested ones: (indent, text)
    title = ""  # the line over the list being read, when it titles it
    announcing = ""  # the line over the records being read, when it announces them
    parent: tuple[int, str] | None = None  # the last item read, over any nested under it
    titling = ""  # the title line over the records being read
    for line in body.splitlines():
        stripped = line.strip()
        if PICTURE.match(line) or CALLOUTS.match(line) or BREADCRUMBS.match(line):
            continue
        if stripped and not LIST_MARK.match(line) and line[:1] not in " \t":
            parent = None  # a line that is no item, nor one wrapped under it, ends the list
        if not stripped or HEADING.match(line):
            if HEADING.match(line) or (found and found[-1][0] == "item"):
                title = ""  # a new section, or the end of the list
            if stripped:
                announcing = titling = ""
            found.append(("heading", [stripped]) if stripped else ("break", []))
            continue
        if announcing and announced_record(stripped):
            # "Standard value (cold engine):" over "Intake valve: 0.10 mm": one record, read
            # as "Standard value (cold engine): Intake valve: 0.10 mm", as a nested item is.
            _read_under(found, announcing, f"{announcing} {stripped}")
            continue
        announcing = ""
        if TABLE_ROW.match(line):
            above.clear()
            title = ""  # a list after a table is not the list the title was over
            if found and found[-1][0] == "table":
                found[-1][1].append(line)
            else:
                found.append(("table", [line]))
        elif LIST_MARK.match(line):
            indent, text = len(line) - len(line.lstrip()), LIST_MARK.sub("", line).strip()
            if (
                parent
                and indent > parent[0]
                and parent not in above
                and names_figures(parent[1])
                and len(text.split()) <= BARE_VALUE_WORDS
                and bool(DIGIT.search(text))
            ):
                # "- Overall length" over "  - in. 184.1": the item names the figures nested
                # under it, as one ending with a colon announces them.
                above.append(parent)
            while above and above[-1][0] >= indent:
                above.pop()
            last = next((b for b in reversed(found) if b[0] not in ("break", "heading")), None)
            if last is not None and last[0] == "paragraph":
                title = last[1][0] if len(last[1]) == 1 and titles_list(last[1][0]) else ""
            titled = [f"{title.rstrip(':')}:"] if title and not above and figure_item(text) else []
            found.append(("item", [" ".join([*titled, *(lead for _, lead in above), text])]))
            if text.endswith(":"):
                above.append((indent, text))
            parent = (indent, text if text.endswith(":") else f"{text}:")
        elif (
            found
            and found[-1][0] in ("item", "paragraph")
            and continues(found[-1][1][-1], stripped, line[:1] in " \t")
        ):
            found[-1][1].append(stripped)  # a wrapped line continues its item or paragraph
        elif titling and figure_record(stripped):
            # "Front Brake Rotors" over "Rotor Minimum Thickness 30.7 mm": the records under
            # a title line are its, read as "Front Brake Rotors: Rotor Minimum Thickness …".
            _read_under(found, titling, f"{titling}: {stripped}")
            continue
        else:
            found.append(("paragraph", [stripped]))
            title = ""
            if announces(stripped):
                announcing = stripped
        titling = stripped if found[-1] == ("paragraph", [stripped]) and titles(stripped) else ""
    return [(kind, lines) for kind, lines in found if kind != "break"]


def titles(line: str) -> bool:
    """A few capitalised words that end no sentence and state no figure ("Front Brake
    Rotors", "REAR DIFFERENTIAL"): over lines of figures, the title they are read under."""
    return line[:1].isupper() and not line.endswith(":") and names_figures(line)


RECORD_WORDS = 12
# A line that names something before its figure ("Rotor Diameter 323.0 mm (12.7 in.)").
NAMED_FIGURE = re.compile(r"^[A-Za-z][^.!?:;]*?\d")


def figure_record(line: str) -> bool:
    """A short line that names a thing and gives its figure, no sentence ("Use DOT 4 fluid.
    Change it every 2 years." is two): a record under a title."""
    return (
        len(line.split()) <= RECORD_WORDS
        and bool(NAMED_FIGURE.match(line))
        and not re.search(r"[.!?]$", line)
    )


def _read_under(found: list[tuple[str, list[str]]], over: str, record: str) -> None:
    """`record`, a line read under the line `over` it, added to the blocks `found`; `over`
    alone, the block just before, says nothing and is taken out."""
    at = next((i for i in reversed(range(len(found))) if found[i][0] != "break"), -1)
    if at >= 0 and found[at] == ("paragraph", [over]):
        del found[at]
    found.append(("paragraph", [record]))


ANNOUNCING_WORDS = 8


def announces(line: str) -> bool:
    """A short line that ends with a colon and states no figure ("Standard value (cold
    engine):"): the records on the lines after it are its."""
    return line.endswith(":") and not DIGIT.search(line) and len(line.split()) <= ANNOUNCING_WORDS


def announced_record(line: str) -> bool:
    """A "key: figure" line, which a line announcing records may be over."""
    return bool(KEY_VALUE.match(line)) and bool(DIGIT.search(line)) and not line.endswith(":")
