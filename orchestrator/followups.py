"""Follow-up questions made standalone from the conversation, without a language model.

Which words name a vehicle comes from the knowledge base's catalogue. After a question about
the Nova, "And what about its payload?" becomes "And what about its payload? (Acme Nova)",
which both the router and the retriever read as a question about the Nova.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from orchestrator.followup_slots import ASSENT, names_a_thing, slot_filled
from orchestrator.routing import ACTS
from rag.alternatives import sibling
from rag.catalogue import Catalogue
from rag.codes import identifiers

# "same for the diesel", "same question for the diesel", "ditto for the rear".
SAME = r"same(?: (?:question|thing|again))?(?: for| about| with| on)?|ditto"
ANAPHORA = re.compile(
    r"\b(it|its|it's|that one|this one|that car|this car|the same|they|their|them)\b|"
    rf"^\s*(and|what about|how about|and what about|{SAME}|also)\b",
    re.IGNORECASE,
)
CONTINUATION = re.compile(
    rf"^\s*{ASSENT}(and|what about|how about|and what about|{SAME}|also|what if)\b",
    re.IGNORECASE,
)
# A continuation that changes the condition, not the question: "and when it's loaded?".
CONDITION = re.compile(
    r"^\s*(?:and|but|what about|how about)?\s*(?:when|if|while|with|without|during)\b", re.I
)
CONTENT_WORD = re.compile(r"\d+\.\d+|[a-z0-9]{3,}", re.IGNORECASE)
# Words of the trade that name one of a pair or a set (a position, a side, a condition, a
# drive or fuel), whatever a knowledge base's own tables set side by side.
TRADE_ALTERNATIVES: tuple[tuple[str, ...], ...] = (
    ("front", "rear"),
    ("left", "right"),
    ("upper", "lower"),
    ("inner", "outer"),
    ("high", "low"),
    ("hot", "cold"),
    ("summer", "winter"),
    ("automatic", "manual"),
    ("diesel", "gasoline", "petrol"),
    ("2wd", "4wd", "awd", "fwd", "rwd"),
    ("exhaust", "intake"),
    ("inlet", "outlet"),
    ("maximum", "minimum"),
    ("laden", "unladen"),
    ("loaded", "unloaded"),
)
# Words told apart by their numbers alone: a displacement or a size ("1.8", "2.4"), an
# ordinal ("3rd"), a code of letters and digits ("K7M").
DECIMAL = re.compile(r"^\d+\.\d+$")
ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)
CODE = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z0-9]{3,}$", re.IGNORECASE)
YEAR = re.compile(r"(?:19|20)\d\d")
SHAPES = (DECIMAL, ORDINAL, CODE)
STOP = frozenset(
    """
    and what about how the for its it's that this one same also does did has have with can
    which whats what's version versions variant variants model models ones trim trims type
    question thing again ditto please pls
    """.split()  # noqa: SIM905
)
# A follow-up with more content words than this asks something of its own.
MAX_CARRYING_WORDS = 3
# A word this long or longer may stand for a longer word that starts with it ("diff").
MIN_SHORT_FORM = 4
MY_VEHICLE = re.compile(r"\bmy (car|vehicle|truck|van|suv|ev|pickup|bike)\b", re.IGNORECASE)


def vehicle_named(text: str, catalogue: Catalogue) -> str | None:
    """The variant `text` names, else the first model it names."""
    return catalogue.variant_in(text) or next(iter(catalogue.models_in(text)), None)


def qualified(vehicle: str, catalogue: Catalogue) -> str:
    """ "Acme Nova" when the catalogue has a brand, else "Nova"."""
    return f"{catalogue.brand} {vehicle}" if catalogue.brand else vehicle


# "How long is the X?" asks for a dimension only when X is the vehicle itself ("how long is
# the warranty?" asks for a time); the word a data sheet uses for it is what retrieval needs.
SIZE_OF = re.compile(r"^\s*how (long|wide|tall|high|heavy) (?:is|are) (.+?)[\s?.!]*$", re.I)
SIZE_WORDS = {
    "long": "length",
    "wide": "width",
    "tall": "height",
    "high": "height",
    "heavy": "weight",
}
ONLY_THE_VEHICLE = re.compile(r"(?:(?:the|a|an|my|our|this|that|your)\s+)?(?:car\b\W*)+")


def size_asked(query: str, catalogue: Catalogue) -> str | None:
    """The dimension a question asks of the vehicle itself ("How long is the Nova?": length),
    else None."""
    asked = SIZE_OF.match(query)
    if asked is None or not catalogue.models_in(asked.group(2)):
        return None
    neutral = catalogue.neutralise(asked.group(2)).strip().lower()
    return SIZE_WORDS[asked.group(1).lower()] if ONLY_THE_VEHICLE.fullmatch(neutral) else None


def retrieval_query(query: str, vehicle: str | None, catalogue: Catalogue) -> str:
    """What retrieval searches with: the vehicle named in full when the query leaves it out,
    and the dimension a "how long is the X?" asks for named as a data sheet names it."""
    size = size_asked(query, catalogue)
    searched = f"{query} ({size})" if size else query
    if not vehicle or vehicle.lower() in query.lower():
        return searched
    return f"{searched} ({qualified(vehicle, catalogue)})"


def standalone_query(
    message: str, history: Sequence[str], catalogue: Catalogue, owned: Sequence[str] = ()
) -> str:
    """The message with the vehicle it refers to made explicit.

    `history` holds the earlier user messages, oldest first; `owned` the customer's vehicles.
    """
    if catalogue.models_in(message):
        return _with_topic(message, history, catalogue)
    rewritten = _with_alternative(message, history, catalogue) or _with_slot(
        message, history, catalogue
    )
    if rewritten is not None:
        return standalone_query(rewritten, history, catalogue, owned)
    if len(owned) == 1 and MY_VEHICLE.search(message):
        return f"{message.rstrip()} ({qualified(owned[0], catalogue)})"
    referent = _referent(history, catalogue)
    anaphoric = bool(ANAPHORA.search(message) or MY_VEHICLE.search(message))
    # "is it still ok to drive it?" after "what does P0A7F mean?" asks about that code.
    codes = _codes_carried(message, history) if anaphoric else []
    if referent is None:
        # "and when is it fully open?" after a question naming no vehicle still asks it again.
        topic = _previous_topic(message, history, catalogue)
        carried = [*topic, *codes]
        return f"{message.rstrip()} ({' '.join(carried)})" if carried else message
    named = catalogue.variant_by_word(message, referent)
    if named and history and _only_vehicle(_without_words(message, named), catalogue):
        # "and the Performance?": the previous question, about that variant.
        return _with_topic(named, history, catalogue)
    if anaphoric:
        variant = named or next(
            (v for text in reversed(history) if (v := catalogue.variant_in(text))), None
        )
        name = variant if variant and catalogue.model_of(variant) == referent else referent
        topic = _previous_topic(message, history, catalogue)
        return f"{message.rstrip()} ({' '.join([*topic, qualified(name, catalogue), *codes])})"
    return message


def _previous_topic(message: str, history: Sequence[str], catalogue: Catalogue) -> list[str]:
    """ "and when it's loaded up?" asks the previous question under another condition, and
    "what about the crankshaft?" (after "camshaft end play spec?", no phrase of which stands
    for it) asks it of another thing: that question's words; none for any other message."""
    if (
        history
        and (CONDITION.match(message) or names_a_thing(message))
        and continues_previous(message, catalogue)
    ):
        return _without_replaced_modifiers(_content_words(history[-1], catalogue), message)
    return []


def _without_replaced_modifiers(words: Sequence[str], message: str) -> list[str]:
    """The previous question's words, less the one before a word the follow-up shares where
    the follow-up says its own word before it: after "…does the thermostat start to open?",
    "and when is it fully open?" asks of "fully open", not of "start … open"."""
    said = [w.lower() for w in CONTENT_WORD.findall(message) if w.lower() not in STOP]
    dropped = set()
    for i, word in enumerate(words):
        at = said.index(word.lower()) if word.lower() in said else -1
        if i > 0 and at > 0 and words[i - 1].lower() not in said:
            dropped.add(i - 1)
    return [w for i, w in enumerate(words) if i not in dropped]


def with_topic_before(message: str, history: Sequence[str], catalogue: Catalogue) -> str:
    """A message like no example of any route, asked in a conversation about a specialist's
    subject, asks about that subject: the last question asked in full's words carried with
    it ("what's the lowest reading that's still acceptable? (compression healthy engine)")."""
    if not history:
        return message
    words = _content_words(_last_whole(history, catalogue), catalogue)
    return f"{message.rstrip()} ({' '.join(words)})" if words else message


def _with_alternative(message: str, history: Sequence[str], catalogue: Catalogue) -> str | None:
    """ "and the diesel one?" after "how much power does the petrol make?": the question before,
    with the word the follow-up names in place of its sibling (words the knowledge base's
    tables set side by side); None when the follow-up names no such word."""
    if not history or not CONTINUATION.match(message):
        return None
    opening = re.match(rf"^\s*{ASSENT}(?=and|what|how|same|also)", message, re.IGNORECASE)
    words = _content_words(message[opening.end() if opening else 0 :], catalogue)
    if not words or len(words) > MAX_CARRYING_WORDS:
        return None
    base = _last_whole(history, catalogue)
    rewritten = _sibling_named(words, base, catalogue)
    return _phrase_replaced(base, rewritten, message) if rewritten is not None else None


TOKEN = re.compile(r"\w+(?:[.\-]\w+)*")
# Words between two that a follow-up replaces, at most, for all of them to be one phrase
# ("3.8 V6 petrol").
MAX_PHRASE_GAP = 2


def _phrase_replaced(base: str, rewritten: str, message: str) -> str:
    """ "and the 3.2 DI-D diesel?" after "…the 3.8 V6 petrol…": where the follow-up put words
    in place of two or more of the question's, what the question says between them goes with
    them (a "V6" is the petrol's), and what the follow-up says between its own comes in (its
    "DI-D"): "…the 3.2 DI-D diesel…"."""
    old = list(TOKEN.finditer(base))
    new = [m.group(0) for m in TOKEN.finditer(rewritten)]
    if len(old) != len(new):
        return rewritten
    changed = [i for i, (o, n) in enumerate(zip(old, new, strict=True)) if o.group(0) != n]
    if len(changed) < 2 or not 2 <= changed[-1] - changed[0] <= MAX_PHRASE_GAP + 1:
        return rewritten  # nothing between them, or they are not of one phrase
    own = list(TOKEN.finditer(message))
    said = [m.group(0).lower() for m in own]
    first, last = new[changed[0]].lower(), new[changed[-1]].lower()
    if first not in said or last not in said:
        return rewritten
    opens, closes = said.index(first), said.index(last)
    if not 0 <= closes - opens <= MAX_PHRASE_GAP + 1:
        return rewritten
    phrase = message[own[opens].start() : own[closes].end()]
    start, end = old[changed[0]].start(), old[changed[-1]].end()
    return f"{base[:start]}{phrase}{base[end:]}"  # outside the span nothing was replaced


def _referent(history: Sequence[str], catalogue: Catalogue) -> str | None:
    """The model the latest earlier question that names one names first."""
    return next((m for text in reversed(history) for m in catalogue.models_in(text)[:1]), None)


def _last_whole(history: Sequence[str], catalogue: Catalogue) -> str:
    """The last question asked in full (not itself a continuation)."""
    return next((m for m in reversed(history) if not _is_continuation(m, catalogue)), history[-1])


def _with_slot(message: str, history: Sequence[str], catalogue: Catalogue) -> str | None:
    """ "and for the parking lights?" after "bulb number for the front turn signals?": the
    question before, asked of what the follow-up names (`followup_slots`); None when it fills
    no slot, or names a variant or a condition of the vehicle asked about (read below)."""
    if not history or not CONTINUATION.match(message):
        return None
    referent = _referent(history, catalogue)
    if referent is not None and (
        catalogue.variant_by_word(message, referent) or CONDITION.match(message)
    ):
        return None  # the vehicle's own follow-ups, read below
    return slot_filled(message, _last_whole(history, catalogue))


def _sibling_named(words: Sequence[str], base: str, catalogue: Catalogue) -> str | None:
    """The question before with the follow-up's words of the same shape and of the same group
    of siblings in place of their likes ("and the 3.2 diesel?" after "…the 3.8 petrol…": both);
    None when the follow-up names a word that is neither."""
    groups = [*catalogue.alternatives, *TRADE_ALTERNATIVES]
    alone = len(words) == 1  # the follow-up names one word, not a phrase of its own
    numbered = [
        w
        for w in words
        if any(shape.match(w) for shape in SHAPES)
        and not any(w.lower() in group for group in groups)  # "2WD" is a sibling of "AWD"
    ]
    if numbered:
        shaped = _by_shape(numbered, base)
        if shaped is None or len(numbered) == len(words):
            return shaped
        base, words = shaped, [w for w in words if w not in numbered]
    # "and the high beams?" after "…the low beam headlights": "beams" is the question's own.
    words = [_singular(w.lower(), groups) for w in words]
    words = [w for w in words if not _in_text(w, base)] or words
    if not all(any(word in group for group in groups) for word in words):
        return None  # it names something else as well: a question of its own
    for word in words:
        if re.search(rf"\b{re.escape(word)}\b", base, re.IGNORECASE):
            return base
        old = sibling(word, base, groups)
        if old is None:
            return f"{base.rstrip()} ({word})"
        return _replaced(_descriptor_dropped(base, old, groups) if alone else base, old, word)
    return None


def _descriptor_dropped(base: str, old: str, groups: Sequence[Sequence[str]]) -> str:
    """The question before without the numbered word that describes the sibling a follow-up
    of one word replaces ("and the diesel?": the petrol's "V6" or "3.8" in "the V6 petrol"),
    unless it is a sibling itself ("the 2WD automatic") or a year, which is the vehicle's."""
    before = re.search(rf"(?<!\S)([a-z]*\d[\w.\-]*)\s+(?={re.escape(old)}\b)", base, re.I)
    if before is None or YEAR.fullmatch(before.group(1)):
        return base
    if any(before.group(1).lower() in group for group in groups):
        return base
    return base[: before.start()] + base[before.end() :]


def _in_text(word: str, text: str) -> bool:
    """The word, a form of it ("beam" for "beams") or a word it is short for ("diff" for
    "differential"), is in the text."""
    stem = word.lower().rstrip("s")
    short = r"\w*" if len(stem) >= MIN_SHORT_FORM else "s?"
    return re.search(rf"\b{re.escape(stem)}{short}\b", text, re.IGNORECASE) is not None


def _singular(word: str, groups: Sequence[Sequence[str]]) -> str:
    """ "rears" as the group's "rear"."""
    if word.endswith("s") and any(word[:-1] in group for group in groups):
        return word[:-1]
    return word


def _by_shape(words: Sequence[str], base: str) -> str | None:
    """ "what about the 1.8?" after "coolant capacity of the 2.4 engine?": the question before,
    each of the follow-up's numbered words in place of the one of the same shape it names
    (in order), when every word of the follow-up has one there; else None."""
    rewritten = base
    taken: set[str] = set()
    for word in words:
        shape = next((s for s in SHAPES if s.match(word)), None)
        if shape is None:
            return None
        old = next(
            (
                w
                for w in CONTENT_WORD.findall(base)
                if shape.match(w) and w.lower() != word.lower() and w not in taken
            ),
            None,
        )
        if old is None:
            return None
        taken.add(old)
        rewritten = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w.]\w)", word, rewritten, count=1)
    return rewritten if rewritten != base else None


def _replaced(text: str, old: str, new: str) -> str:
    """`text` with the word `old` replaced by `new`, capitalised where `old` was."""
    return re.sub(
        rf"\b{re.escape(old)}\b",
        lambda found: new.capitalize() if found.group(0)[:1].isupper() else new,
        text,
        flags=re.IGNORECASE,
    )


def _is_continuation(message: str, catalogue: Catalogue) -> bool:
    return bool(CONTINUATION.match(message)) and (
        len(_content_words(message, catalogue)) <= MAX_CARRYING_WORDS
    )


def continues_previous(message: str, catalogue: Catalogue) -> bool:
    """ "and when it's loaded?", "what about the Terra, unladen?": the same question again,
    for another case or vehicle, so it goes to the specialist that answered the last one.

    A continuation opens like one and adds at most a few words of its own (vehicle names not
    counted); quoting a code or asking to act starts something new.
    """
    if not opens_as_continuation(message) or identifiers(message) or ACTS.search(message):
        return False
    return len(_content_words(message, catalogue)) <= MAX_CARRYING_WORDS


def opens_as_continuation(message: str) -> bool:
    """ "ok and what does the other message mean?": it opens as a follow-up does, whatever
    follows."""
    return bool(CONTINUATION.match(message))


def _codes_carried(message: str, history: Sequence[str]) -> list[str]:
    """The codes the previous question quoted, when this short one quotes none."""
    content = [w for w in CONTENT_WORD.findall(message.lower()) if w not in STOP]
    if not history or identifiers(message) or len(content) > MAX_CARRYING_WORDS:
        return []
    return list(dict.fromkeys(identifiers(history[-1])))


def _content_words(message: str, catalogue: Catalogue) -> list[str]:
    """The words of `message` that ask something: no vehicle or brand names, no filler."""
    brand = (catalogue.brand or "").lower()
    return [
        w
        for w in CONTENT_WORD.findall(catalogue.neutralise(message, " "))
        if w.lower() not in STOP and w.lower() != brand
    ]


def _without_words(message: str, name: str) -> str:
    words = "|".join(re.escape(w) for w in name.split())
    return re.sub(rf"\b(?:{words})\b", " ", message, flags=re.IGNORECASE)


def _only_vehicle(message: str, catalogue: Catalogue) -> bool:
    return not _content_words(message, catalogue)


def _with_topic(message: str, history: Sequence[str], catalogue: Catalogue) -> str:
    """ "And the Terra?" borrows the topic of the previous question."""
    if not _only_vehicle(message, catalogue) or not history:
        return message
    previous = history[-1]
    named = catalogue.models_in(previous)
    asked = vehicle_named(message, catalogue) or catalogue.models_in(message)[0]
    if not named:
        return f"{message} {previous}"
    earlier = catalogue.variant_in(previous) or named[0]
    replaced = re.sub(rf"\b{re.escape(earlier)}\b", asked, previous, flags=re.IGNORECASE)
    if replaced == previous:
        replaced = re.sub(rf"\b{re.escape(named[0])}\b", asked, previous, flags=re.IGNORECASE)
    return replaced
