"""Words a PDF hyphenated at a line end, joined again: "con-" + "tainer" reads "container".

A hyphen at a line end joins the next line's first word when that word starts in lower case,
unless the document itself writes the two halves with a hyphen elsewhere ("four-" + "wheel"
stays "four-wheel" when "four-wheel" appears in the text) and never writes them joined.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

SOFT_HYPHEN = "\u00ad"
HYPHENS = "-\u2010\u2011"  # hyphen-minus, hyphen, non-breaking hyphen
BROKEN = re.compile(rf"([A-Za-zÀ-ÿ]+)[{HYPHENS}]$")
RANGE = re.compile(rf"\d[{HYPHENS}]$")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:[-\u2010\u2011][A-Za-zÀ-ÿ]+)*")


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Every word (hyphenated compounds whole) the texts write within a line, lower-cased."""
    words: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            body = line.rstrip()
            if body.endswith(tuple(HYPHENS)):
                body = body[: body.rfind(" ") + 1] if " " in body else ""
            words.update(w.lower() for w in WORD.findall(body))
    return words


def join_lines(lines: Sequence[str], known: AbstractSet[str] = frozenset()) -> str:
    """The lines of one paragraph as one string: a line-end hyphenation undone, a soft hyphen
    dropped, every other line break a space. A hyphen before a capital or a digit is part of
    the word ("Wi-" + "Fi", "Mercedes-" + "Benz") and stays."""
    text = ""
    glued = False  # the line before ended in a soft hyphen: this one goes on the same word
    for raw in lines:
        line = raw.strip().replace(SOFT_HYPHEN + " ", "").replace(SOFT_HYPHEN, "")
        if not line:
            continue
        if not text or glued:
            text, glued = text + line, raw.rstrip().endswith(SOFT_HYPHEN)
            continue
        glued = raw.rstrip().endswith(SOFT_HYPHEN)
        if RANGE.search(text[-8:]) and line[:1].isdigit():
            text = text + line  # "0-" / "100 km/h": a range broken at its dash
            continue
        broken = BROKEN.search(text[-48:]) if text[-1:] in HYPHENS else None
        first = line.split(" ", 1)[0]
        if broken and (first[:1].isupper() or first[:1].isdigit()):
            text = text + line
            continue
        if broken and first[:1].islower():
            head = broken.group(1)
            tail = re.match(r"[A-Za-zÀ-ÿ]+", first)
            if tail and _keeps_hyphen(head, tail.group(0), known):
                text = text + line
            else:
                text = text[:-1] + line
            continue
        text = f"{text} {line}"
    return text


def _keeps_hyphen(head: str, tail: str, known: AbstractSet[str]) -> bool:
    joined, compound = f"{head}{tail}".lower(), f"{head}-{tail}".lower()
    return compound in known and joined not in known
