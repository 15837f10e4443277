"""A short follow-up that names a new thing for the previous question's slot, read without a
language model. Pure.

"bulb number for the front turn signals?" then "and for the parking lights?" asks the same
thing of another part: the follow-up's phrase takes the place of the phrase it stands for in
the question before ("bulb number for the parking lights?"). Which phrase that is, is read
from the words alone, by the first of these rules that finds one:
- `same_lead`: both open the phrase with the same word ("for", "into", "when"), so the
  question's phrase after that word is replaced;
- `condition`: a condition the question did not have ("after an engine rebuild") is added;
- `shared_words`: the follow-up shares a word with the question ("the spark arrester mounting
  bolts" for "the tail cap cover bolts", "code 42" for "code 21");
- `first_thing`: the question's first "the …" phrase after a preposition stands for the
  follow-up's "the …" ("the transfer case" for "the rear differential").
A follow-up that asks a question of its own (a word of asking, another kind of figure) fills
no slot: None. Nothing here knows any corpus; the words are English's and the trade's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

WORD = re.compile(r"[\w'’/.-]*\w|[^\w\s]")
# "ok and 3rd to 4th?", "right, and the rear?": a word of assent may open a continuation.
ASSENT = r"(?:(?:ok|okay|right|so|cool|thanks|great|and then)\b[\s,.!]*)?"
# What opens a follow-up and carries no meaning of its own ("ok and what about …").
OPENER = re.compile(
    rf"^\s*{ASSENT}"
    r"(?:and\s+what\s+about|what\s+about|how\s+about|and\s+for(?=\s)|and|same\s+for|also|"
    r"what\s+if|but)\b[\s,]*",
    re.IGNORECASE,
)
TRAILER = re.compile(r"[\s,]*\b(?:instead|then|too|as well)\b[\s?.!]*$|[\s?.!]+$", re.IGNORECASE)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that open the phrase a slot holds: prepositions and the conjunctions of a condition.
LEADS = _set(
    "for into in on at to from with without after before during under over when while if unless"
)
CONDITION_LEADS = _set("when while if unless after before during with without")
# A follow-up holding one of these asks a question of its own ("ok and what does X mean?").
ASKING = re.compile(
    r"\b(?:what|which|how|why|where|who|whats|what's|does|do|did|is|are|can|could|should|"
    r"must|will|would)\b",
    re.IGNORECASE,
)
# Words that ask for a kind of figure or fact: a follow-up naming one asks something new
# ("and its towing capacity?"), not the same thing of another part.
ATTRIBUTE = re.compile(
    r"\b(?:capacit\w*|pressures?|torque|power|horse ?power|hp|size|weight|length|width|height|"
    r"speed|range|intervals?|consumption|rating|gap|clearance|volume|price|cost|warranty|"
    r"dimensions?|economy|mileage|temperature|voltage|grade|type|number|payload|"
    r"mean(?:ing|s)?)\b",
    re.IGNORECASE,
)
ARTICLES = frozenset({"the", "a", "an"})
DETERMINERS = ARTICLES | _set("my this that your its these those")
# Words that end a run of a phrase's own words ("the tail cap cover bolts | on the muffler").
FUNCTION = (
    _set(
        "is are was be do does did i you it we they what which how why where who whats what's "
        "should can could must will would to of and or but"
    )
    | DETERMINERS
    | LEADS
)
MAX_PHRASE_WORDS = 8
MAX_CONDITION_WORDS = 14
MIN_SHARED_LENGTH = 3

Word = tuple[int, int, str]  # where it starts and ends in its text, and the word


def slot_filled(follow_up: str, question: str) -> str | None:
    """`question` asked again of what `follow_up` names, or None when the follow-up fills
    no slot of it (it asks something of its own, or nothing in the question stands for it)."""
    phrase = _phrase(follow_up)
    if phrase is None:
        return None
    # The slot is in what was asked: "The light flickers at idle. What's the minimum oil
    # pressure at idle?" then "and at 2000 rpm?" asks the pressure at 2000 rpm; the sentence
    # before the question only says when the customer saw it.
    told, asked = _last_sentence(question)
    for part, before in ((asked, told), (question, "")) if told else ((question, ""),):
        for rule in RULES:
            rewritten = rule(phrase, part)
            if rewritten is not None:
                return before + rewritten
    return None


SENTENCE_END = re.compile(r"[.!?](?=\s+\S)")


def _last_sentence(question: str) -> tuple[str, str]:
    """(what comes before the question's last sentence, that sentence); ("", question) for a
    question of one sentence."""
    ends = list(SENTENCE_END.finditer(question))
    if not ends:
        return "", question
    cut = ends[-1].end()
    while cut < len(question) and question[cut].isspace():
        cut += 1
    return question[:cut], question[cut:]


def names_a_thing(follow_up: str) -> bool:
    """ "what about the crankshaft?": the follow-up names a thing to ask the same of ("the",
    "its", "my" … and its words), not a condition, an attribute or a question of its own."""
    phrase = _phrase(follow_up)
    return phrase is not None and len(phrase) >= 2 and phrase[0].lower() in DETERMINERS


def _phrase(follow_up: str) -> list[str] | None:
    """The follow-up's own words, its opener and closing words left out; None when it asks
    a question of its own."""
    opened = OPENER.match(follow_up)
    if opened is None:
        return None
    rest = TRAILER.sub("", follow_up[opened.end() :]).strip()
    rest = re.sub(r"^(?:it's|it is|its)\s+", "", rest, flags=re.IGNORECASE)
    words = WORD.findall(rest)
    if words and words[0].lower() in CONDITION_LEADS and len(words) <= MAX_CONDITION_WORDS:
        # "and when should I change it?" asks when; "and when it's towing?" is a condition.
        return None if len(words) > 1 and ASKING.fullmatch(words[1]) else words
    if not words or len(words) > MAX_PHRASE_WORDS:
        return None
    if ASKING.search(rest) or ATTRIBUTE.search(rest):
        return None
    return words


def _words(text: str) -> list[Word]:
    return [(m.start(), m.end(), m.group(0)) for m in WORD.finditer(text)]


def _joined(words: Sequence[str]) -> str:
    return re.sub(r"\s+([,.;:?!])", r"\1", " ".join(words))


def _spliced(question: str, first: Word, last: Word, phrase: Sequence[str]) -> str:
    return f"{question[: first[0]]}{_joined(phrase)}{question[last[1] :]}"


def _own(word: str) -> bool:
    """A word of a phrase's own: not a word of function, not punctuation."""
    return word[0].isalnum() and word.lower() not in FUNCTION


def _run_end(words: Sequence[Word], first: int) -> int:
    """The index after the phrase that starts at `first`: its determiners and own words, up
    to the next word of function or punctuation."""
    i = first
    while i < len(words) and words[i][2].lower() in DETERMINERS:
        i += 1
    while i < len(words) and _own(words[i][2]):
        i += 1
    return i


def _clause_end(words: Sequence[Word], first: int) -> int:
    """The index after the clause that starts at `first`: up to a mark of punctuation."""
    return next(
        (j for j in range(first, len(words)) if words[j][2] in {",", ";", ":", "?", "!", "-"}),
        len(words),
    )


def same_lead(phrase: Sequence[str], question: str) -> str | None:
    """ "and for the parking lights?" after "bulb number for the front turn signals?": the
    question's phrase after the same word, replaced; a condition in place of the question's
    condition, to the end of its clause ("if I don't change the filter" for "with a new
    filter")."""
    lead = phrase[0].lower()
    if lead not in LEADS or len(phrase) < 2:
        return None
    conditional = lead in CONDITION_LEADS
    words = _words(question)
    for i, (_, _, word) in enumerate(words):
        if word.lower() != lead and not (conditional and word.lower() in CONDITION_LEADS):
            continue
        end = _clause_end(words, i + 1) if conditional else _run_end(words, i + 1)
        if end > i + 1:
            return _spliced(question, words[i], words[end - 1], phrase)
    return None


def _stem(word: str) -> str:
    return word.lower().rstrip("s")


def shared_words(phrase: Sequence[str], question: str) -> str | None:
    """ "and the spark arrester mounting bolts?" after "Torque for the tail cap cover bolts on
    the muffler?": the question's words around the word both have, as many on each side as
    the follow-up has around it, replaced ("code 42" for "code 21")."""
    own = [w for w in phrase if w.lower() not in DETERMINERS]
    stems = [_stem(w) if _own(w) and len(w) >= MIN_SHARED_LENGTH else "" for w in own]
    words = _words(question)
    hit = next(
        (
            (i, stems.index(_stem(w)))
            for i, (_, _, w) in enumerate(words)
            if _own(w) and len(w) >= MIN_SHARED_LENGTH and _stem(w) in stems
        ),
        None,
    )
    if hit is None:
        return None
    at, place = hit
    first = last = at
    while first > 0 and at - first < place and _own(words[first - 1][2]):
        first -= 1
    while (
        last + 1 < len(words)
        and last - at < len(own) - place - 1
        and (_own(words[last + 1][2]) or words[last + 1][2].isdigit())
    ):
        last += 1
    replacement = own
    if first > 0 and words[first - 1][2].lower() in DETERMINERS:
        first -= 1
        replacement = [words[first][2], *own]
    elif phrase[0].lower() in DETERMINERS:
        replacement = [phrase[0], *own]
    return _spliced(question, words[first], words[last], replacement)


def condition(phrase: Sequence[str], question: str) -> str | None:
    """ "and if I don't change the filter?" after "how much oil for an oil change?": the
    question with the condition added."""
    if phrase[0].lower() not in CONDITION_LEADS:
        return None
    body = question.rstrip(" ?.!")
    return f"{body} {_joined(phrase)}{question[len(body) :].strip() or '?'}"


def first_thing(phrase: Sequence[str], question: str) -> str | None:
    """ "what about the transfer case?" after "How much oil goes in the rear differential on
    the AWD?": the question's first "the …" phrase after a preposition (else its first "the …"
    phrase) stands for the follow-up's."""
    if phrase[0].lower() not in ARTICLES:
        return None
    words = _words(question)
    starts = [i for i, w in enumerate(words) if w[2].lower() in ARTICLES]
    after_lead = [i for i in starts if i > 0 and words[i - 1][2].lower() in LEADS]
    for i in [*after_lead, *starts]:
        end = _run_end(words, i)
        if end > i + 1:
            return _spliced(question, words[i], words[end - 1], phrase)
    return None


RULES: tuple[Callable[[Sequence[str], str], str | None], ...] = (
    same_lead,
    condition,
    shared_words,
    first_thing,
)
