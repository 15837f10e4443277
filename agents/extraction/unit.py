"""An answerable unit of a passage: a sentence, a list item or a table row, whole, with the
passage it cites; and what it says of itself (whether it is safety advice)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SAFETY = re.compile(
    r"\b(stop (?:the (?:vehicle|car) )?(?:as soon as it is )?safe(?:ly)?|stop safely|"
    r"do not (?:drive|charge|continue|attempt|open|touch)|don't (?:drive|charge)|pull over|"
    r"switch (?:the (?:vehicle|car|engine|ignition) |it )off|"
    r"switch off (?:the )?(?:vehicle|car|engine|ignition)|risk of (?:fire|injury)|"
    r"call (?:\w+ )?roadside)\b",
    re.IGNORECASE,
)
INSTRUCTION_START = 12
QUOTES = re.compile("[‘’“”'\"]")


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
    # When it is due, where its heading only says so ("30000 MI or 48000 KM" over "Replace
    # the cabin air filter."): stated by it, and shown before it.
    due: str = ""

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


def _unquoted(text: str) -> str:
    """ "switch ‘OFF’ the engine" read as "switch OFF the engine"."""
    return QUOTES.sub("", text)


def leaf(heading: str) -> str:
    """The last part of a heading path ("Specs > Towing" → "Towing")."""
    return heading.rsplit(" > ", 1)[-1]
