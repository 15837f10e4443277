"""How an answer reads: the lead unit on its own line, what adds to it as a list, each cited
as [n], abbreviations written out; what it says when nothing answers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.extraction.unit import Unit

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


def compose(units: Sequence[Unit], none_found: str = NO_ANSWER) -> str:
    """The answer: the lead unit on its own line, then what adds to it as a list; cited as [n]."""
    if not units:
        return none_found
    lead, *rest = units
    text = f"{shown(lead)} [{lead.source}]"
    if rest:
        text += "\n\n" + "\n".join(f"- {shown(u)} [{u.source}]" for u in rest)
    return text


def shown(unit: Unit) -> str:
    """The unit as the answer shows it: with its lead-in, if it has one, before a colon;
    abbreviations written out."""
    due = f"{unit.due}: " if unit.due else ""
    if unit.lead_in:
        lead = _sentence(unit.lead_in).rstrip(".:")
        return _expanded(f"{due}{lead}: {unit.text.replace('**', '').strip()}")
    return _expanded(f"{due}{with_label_units(_sentence(unit.text))}")


# A unit of measure a label names for its figures ("Spark plug gap, in. (mm): 0.031 (0.8)").
_UNIT = (
    r"(?:in\.|inch(?:es)?|mm|cm|ft\.?|(?:US |Imp\. ?)?(?:qt|gal)\.?|liters?|litres?|L|ml|cc|"
    r"cu\. ?in\.|lbs?\.?|kg|oz\.?|psi|kPa|kgf/cm2|bar|ft·lbf|ft-lbs?|N·m|Nm|kgf·m|mph|km/h|"
    r"°F|°C|rpm|r/min)"
)
LABEL_UNITS = re.compile(
    rf"^(?P<label>[^:]+?),\s*(?P<first>{_UNIT})\s*(?:\((?P<others>{_UNIT}(?:,\s*{_UNIT})*)\))?"
    r"\s*:\s*(?P<rest>\S.*)$"
)
# A figure, then its others in brackets: "0.031 (0.8)", "3.70 x 3.74 (94.0 x 95.0)".
FIGURES = re.compile(r"^(?P<first>[^()]*\d)\s*\((?P<others>[^()]*\d)\)(?P<tail>.*)$")


def with_label_units(text: str) -> str:
    """A record whose label names the units of its figures, written with each figure: "Spark
    plug gap, in. (mm): 0.031 (0.8)" reads "Spark plug gap: 0.031 in. (0.8 mm)", "Drive belt
    tension, lb.: Other belts: 100 ± 20" reads "…: Other belts: 100 ± 20 lb."; a record its
    figures do not fit (as many in brackets as units named) is left as it is."""
    named = LABEL_UNITS.match(text)
    if named is None:
        return text
    first = named["first"]
    others = [u.strip() for u in named["others"].split(",")] if named["others"] else []
    head, colon, value = named["rest"].rpartition(": ")
    value = value.strip()
    if others:
        figures = FIGURES.match(value)
        parts = [p.strip() for p in figures["others"].split(",")] if figures else []
        if figures is None or len(parts) != len(others) or not all(p[-1:].isdigit() for p in parts):
            return text
        value = (
            f"{figures['first']} {first} ("
            + ", ".join(f"{p} {u}" for p, u in zip(parts, others, strict=True))
            + f"){figures['tail']}"
        )
    elif value[-1:].isdigit():
        value = f"{value} {first}"
    else:
        return text
    return f"{named['label']}: {head}{colon}{value}"


def _sentence(text: str) -> str:
    text = text.replace("**", "").strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
